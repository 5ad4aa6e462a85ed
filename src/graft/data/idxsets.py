"""IDX data sets as they are distributed (MNIST, Fashion-MNIST, KMNIST, EMNIST): a folder or a zip holding
images and labels files, gzipped or raw, with the split in each file's name (train, t10k / test, val)."""
from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import Callable

import numpy as np

from graft.data import idx
from graft.data.errors import DataError
from graft.data.found import merge_splits, split_from_name
from graft.data.images import Limits, is_junk, open_zip, walk_files, zip_reader

IdxFile = tuple[str, str, int, Callable[[], np.ndarray]]  # (name for messages, base name, ndim, read it)


def folder_idx_files(folder: Path, limits: Limits, display: str) -> list[IdxFile]:
    out = []
    for p, rel, where in walk_files(folder, display):
        if is_junk(rel.parts):
            continue
        with open(p, "rb") as fh:
            head = idx.gunzipped_head(fh.read(4096))
        if idx.looks_like_idx(head):
            out.append((where, p.name, head[3], lambda p=p, where=where: idx.read_idx(p, limits.max_total_bytes,
                                                                                     where)))
    return out


def zip_holds_idx(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if info.is_dir() or is_junk(PurePosixPath(info.filename.replace("\\", "/")).parts):
                    continue
                with zf.open(info) as fh:
                    if idx.looks_like_idx(idx.gunzipped_head(fh.read(4096))):
                        return True
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError, zlib.error):
        return False
    return False


def zip_idx_files(path: Path, limits: Limits, display: str) -> list[IdxFile]:
    zf, infos = open_zip(path, display, limits)
    out, total = [], 0
    for info in infos:
        where = f"{display}:{info.filename}"
        if is_junk(PurePosixPath(info.filename.replace("\\", "/")).parts):
            continue
        try:
            with zf.open(info) as fh:
                head = fh.read(4096)
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError, RuntimeError,
                ValueError) as e:
            raise DataError(where, f"cannot read member ({e})") from None
        head = idx.gunzipped_head(head)
        if not idx.looks_like_idx(head):
            continue
        total += info.file_size
        if total > limits.max_total_bytes:
            raise DataError(display, f"uncompressed total exceeds the limit of {limits.max_total_bytes} bytes")
        read = _member_array(zf, info, where, limits.max_total_bytes)
        out.append((where, PurePosixPath(info.filename).name, head[3], read))
    return out


def _member_array(zf: zipfile.ZipFile, info: zipfile.ZipInfo, where: str, limit: int) -> Callable[[], np.ndarray]:
    read_bytes = zip_reader(zf, info, where, limit)

    def read() -> np.ndarray:
        if idx.spool_folder() is not None:   # importing: a chunk at a time into the staging folder
            try:
                with zf.open(info) as fh:
                    return idx.spool_stream(fh, limit, where)
            except DataError:
                raise
            except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError, RuntimeError, ValueError) as e:
                raise DataError(where, f"cannot read member ({e})") from None
        data = read_bytes()
        if data[:2] == idx.GZIP_MAGIC:
            data = idx.gunzip(io.BytesIO(data), limit, where)
        return idx.parse_idx_bytes(data, where)
    return read


def pair_by_split(files: list[IdxFile], display: str) -> dict[str, tuple[IdxFile, IdxFile]]:
    """{split: (images file, labels file)}; a file naming no split is train."""
    groups: dict[str, dict[str, list[IdxFile]]] = {}
    for f in files:
        role = "labels" if f[2] == 1 else "images"
        groups.setdefault(split_from_name(f[1]) or "train", {"images": [], "labels": []})[role].append(f)
    if not groups:
        raise DataError(display, "no IDX files found (expected train-images-idx3-ubyte[.gz] and the like)")
    out = {}
    for split, g in groups.items():
        if len(g["images"]) != 1 or len(g["labels"]) != 1:
            raise DataError(display, f"expected one IDX images file and one IDX labels file for the {split} "
                                     f"split, found {[f[1] for f in g['images']]} and {[f[1] for f in g['labels']]}")
        out[split] = (g["images"][0], g["labels"][0])
    return out


def read_idx_set(path: Path, limits: Limits, display: str, n_classes: int | None = None) -> dict:
    """{split: (images uint8 [N, C, H, W], labels int64)} from a folder or zip of IDX files."""
    files = zip_idx_files(path, limits, display) if path.is_file() else folder_idx_files(path, limits, display)
    parts = {}
    for split, ((iw, _, _, read_i), (lw, _, _, read_l)) in pair_by_split(files, display).items():
        images = idx.as_images(read_i(), iw)
        labels = idx.as_labels(read_l(), lw)
        parts[split] = [idx.check_pair(images, labels, iw, lw, n_classes)]
    return merge_splits(parts, display)
