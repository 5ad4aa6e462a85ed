"""`import_dataset`: tell what kind of input a path is, read and validate it, stage it in graft's stored form.

Stored form (a folder the store moves to artifacts/<ds-id>/): plain IDX files per split, memory-mapped on
load, and dataset.json {format, name, kind, source, classes, shape, splits: {split: {images, labels, count}},
sha256}. Nothing is written outside the staging folder.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from graft.data import idx
from graft.data.dataset import STORED_FORMAT
from graft.data.errors import DataError
from graft.data.fingerprint import canonical_json, sha256_bytes, sha256_file
from graft.data.images import Limits, decode_entries, folder_entries, zip_entries
from graft.data.importers import file_head, find_idx_pair, read_csv, read_npz

KINDS = ("idx", "npz", "csv", "zip", "folder")
SPLIT_SEED = 0
MAX_CLASSES = 10_000


def sniff_kind(path: Any) -> str:
    """The import kind of a path (or an (images, labels) pair of paths), from its extension or first bytes."""
    if isinstance(path, (tuple, list)):
        return "idx"
    p = Path(path)
    if p.is_dir():
        has_idx = any(f.is_file() and idx.looks_like_idx(file_head(f)) for f in p.iterdir())
        return "idx" if has_idx else "folder"
    if not p.is_file():
        raise DataError(p, "no such file or folder")
    ext = p.suffix.lower()
    if ext in (".npz", ".csv", ".zip"):
        return ext[1:]
    head = file_head(p)
    if head[:2] == b"PK":
        return "npz" if _zip_has_npy(p) else "zip"
    if idx.looks_like_idx(head):
        raise DataError(p, "an IDX file alone has no labels: import the images and labels files together "
                           "(a folder holding both, or a pair)")
    if ext in (".txt", ".tsv") or (head and all(32 <= b < 127 or b in (9, 10, 13) for b in head[:512])):
        return "csv"
    raise DataError(p, f"cannot tell the kind of data (expected one of {', '.join(KINDS)})")


def _zip_has_npy(p: Path) -> bool:
    import zipfile
    try:
        with zipfile.ZipFile(p) as zf:
            return any(n.endswith(".npy") for n in zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return False


def read_any(path: Any, kind: str, limits: Limits, classes: Sequence[str] | None = None, resize: bool = False,
             label_column: int | str | None = None, shape: Sequence[int] | None = None
             ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Read and validate one input; -> (images uint8 [N,C,H,W], labels int64 [N], classes)."""
    if kind not in KINDS:
        raise DataError(path, f"unknown import kind {kind!r} (expected one of {', '.join(KINDS)})")
    found_classes: list[str] | None = None
    if kind == "idx":
        img_path, lab_path = path if isinstance(path, (tuple, list)) else find_idx_pair(Path(path))
        images, labels = idx.read_pair(img_path, lab_path, len(classes) if classes else None,
                                       max_bytes=limits.max_total_bytes)
        source = lab_path
    elif kind == "npz":
        images, labels, found_classes = read_npz(Path(path), limits)
        source = path
    elif kind == "csv":
        images, labels = read_csv(Path(path), limits, label_column, shape)
        source = path
    else:
        entries = zip_entries(Path(path), limits) if kind == "zip" else folder_entries(Path(path), limits)
        images, labels, found_classes = decode_entries(entries, path, limits, resize)
        source = path
    if len(images) != len(labels):
        raise DataError(source, f"image/label count mismatch ({len(images)} images, {len(labels)} labels)")
    if len(labels) == 0:
        raise DataError(source, "holds no samples")
    names = list(classes) if classes else found_classes
    idx.check_labels(labels, source, len(names) if names else None)
    if names is None:
        if int(labels.max()) >= MAX_CLASSES:
            raise DataError(source, f"label {int(labels.max())} implies more than {MAX_CLASSES} classes "
                                    f"(give the class names, or check the label column)")
        names = [str(i) for i in range(int(labels.max()) + 1)]
    if len(set(names)) != len(names):
        raise DataError(source, f"class names repeat ({names})")
    return images, labels, [str(n) for n in names]


def _fsync_write(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def write_stored(staging_dir: Path, name: str, kind: str, source: str, images: np.ndarray, labels: np.ndarray,
                 classes: list[str], test_fraction: float = 0.0) -> dict:
    """Write the stored form into `staging_dir`; returns the dataset.json content."""
    staging_dir.mkdir(parents=True, exist_ok=True)
    splits = {"train": np.arange(len(labels))}
    if test_fraction > 0:
        perm = np.random.default_rng(SPLIT_SEED).permutation(len(labels))
        n_test = int(round(len(labels) * test_fraction))
        splits = {"train": np.sort(perm[: len(labels) - n_test]), "test": np.sort(perm[len(labels) - n_test:])}
    label_dtype = np.uint8 if labels.max() < 256 else np.int32
    meta_splits, hashes = {}, {}
    for split, chosen in splits.items():
        files = {"images": f"{split}-images-idx{3 if images.shape[1] == 1 else 4}-ubyte",
                 "labels": f"{split}-labels-idx1-ubyte"}
        part = images[chosen]
        idx.write_idx(staging_dir / files["images"], part[:, 0] if images.shape[1] == 1 else part)
        idx.write_idx(staging_dir / files["labels"], labels[chosen].astype(label_dtype))
        meta_splits[split] = {**files, "count": int(len(chosen))}
        hashes.update({f: sha256_file(staging_dir / f) for f in files.values()})
    meta = {"format": STORED_FORMAT, "name": name, "kind": kind, "source": source, "classes": classes,
            "shape": [int(d) for d in images.shape[1:]], "splits": meta_splits, "files": hashes,
            "sha256": sha256_bytes(canonical_json(hashes).encode())}
    _fsync_write(staging_dir / "dataset.json", json.dumps(meta, indent=2))
    return meta


def import_dataset(path: Any, kind: str | None = None, name: str | None = None, staging_dir: Any = None, *,
                   classes: Sequence[str] | None = None, test_fraction: float = 0.0, resize: bool = False,
                   label_column: int | str | None = None, shape: Sequence[int] | None = None,
                   limits: Limits | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Read `path` (kind sniffed when None) and, with `staging_dir`, stage it there in graft's stored form.

    `test_fraction` carves a deterministic test split off the data (the rest is train).
    """
    limits = limits or Limits()
    if not 0.0 <= test_fraction < 1.0:
        raise DataError("test_fraction", f"expected a number from 0 up to (not including) 1, found {test_fraction}")
    kind = kind or sniff_kind(path)
    images, labels, names = read_any(path, kind, limits, classes, resize, label_column, shape)
    if staging_dir is not None:
        first = Path(path[0] if isinstance(path, (tuple, list)) else path)
        write_stored(Path(staging_dir), name or first.stem, kind, first.name, images, labels, names, test_fraction)
    return images, labels, names
