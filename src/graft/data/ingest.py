"""`import_dataset`: tell what kind of input a path is, read and validate it, stage it in graft's stored form.

Stored form (a folder the store moves to artifacts/<ds-id>/): plain IDX files per split, memory-mapped on
load, and dataset.json {format, name, kind, source, classes, shape, splits: {split: {images, labels, count}},
split_from, preprocessing, label_column, warnings, files, sha256}. Nothing is written outside the staging
folder. Splits the data came with (train/ test/ folders, t10k files, x_test arrays, HF splits) are kept.
"""
from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from graft.data import idx
from graft.data.csvfile import read_csv
from graft.data.dataset import STORED_FORMAT
from graft.data.errors import DataError
from graft.data.fingerprint import canonical_json, remember_file_hash, sha256_bytes
from graft.data.found import SPLIT_ORDER, Found, fit_arrays, parse_resize
from graft.data.hf import hf_entries, is_hf_folder
from graft.data.hfzip import Scratch, is_zip, unzipped_hf, zip_holds_hf
from graft.data.idxsets import read_idx_set, zip_holds_idx
from graft.data.images import IMAGE_EXTENSIONS, Entry, Limits, decode_entries, folder_entries, zip_entries
from graft.data.importers import file_head, read_npz

KINDS = ("idx", "npz", "csv", "zip", "folder", "hf")
SPLIT_SEED = 0
MAX_CLASSES = 10_000


def sniff_kind(path: Any, display_name: str | None = None) -> str:
    """The import kind of a path (or an (images, labels) pair of paths), from its extension or first bytes.
    Messages call the input `display_name` (an upload's name: never the server's staging path) when given."""
    if isinstance(path, (tuple, list)):
        return "idx"
    p = Path(path)
    if p.is_dir():
        if is_hf_folder(p):
            return "hf"
        has_idx = any(f.is_file() and not f.is_symlink() and f.suffix.lower() not in IMAGE_EXTENSIONS
                      and idx.looks_like_idx(file_head(f)) for f in p.rglob("*"))
        return "idx" if has_idx else "folder"
    if not p.is_file():
        raise DataError(display_name or p, "no such file or folder")
    ext = p.suffix.lower()
    if ext in (".parquet", ".arrow"):
        return "hf"
    if ext in (".npz", ".csv"):
        return ext[1:]
    head = file_head(p)
    if head[:2] == b"PK" or ext == ".zip":
        if _zip_has_npy(p):
            return "npz"
        return "hf" if zip_holds_hf(p) else "idx" if zip_holds_idx(p) else "zip"
    if idx.looks_like_idx(head):
        raise DataError(display_name or p, "an IDX file alone has no labels: import the images and labels files together "
                           "(a folder holding both, or a pair)")
    if ext in (".txt", ".tsv") or (head and all(32 <= b < 127 or b in (9, 10, 13) for b in head[:512])):
        return "csv"
    raise DataError(display_name or p, f"cannot tell the kind of data (expected one of {', '.join(KINDS)})")


def _zip_has_npy(p: Path) -> bool:
    import zipfile
    try:
        with zipfile.ZipFile(p) as zf:
            return any(n.endswith(".npy") for n in zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return False


def display_of(path: Any, display_name: str | None) -> str:
    return display_name or str(path[1] if isinstance(path, (tuple, list)) else path)


def encoded_images(path: Any, kind: str, limits: Limits, display: str, label_column: Any = None,
                   scratch: Scratch | None = None) -> tuple[list[Entry], list[str] | None, dict | None] | None:
    """(entries, classes, label info) when the input is encoded image files (folder, zip, HF), else None.
    A zipped HF folder is unpacked for reading and kept until `scratch` closes (the entries read from it)."""
    p = Path(path) if not isinstance(path, (tuple, list)) else None
    if kind == "zip" and p is not None and zip_holds_hf(p):
        kind = "hf"
    if kind == "zip" and p is not None and zip_holds_idx(p):
        return None
    if kind == "folder" and p is not None and is_hf_folder(p):
        kind = "hf"
    if kind == "hf":
        if label_column is not None and not isinstance(label_column, str):
            raise DataError(display, f"label_column must be a column name here, found {label_column!r}")
        if p is not None and is_zip(p):
            if scratch is None:
                raise DataError(display, "a zipped Hugging Face folder is read through import_dataset or "
                                         "inspect_dataset")
            folder, prefix = scratch.enter_context(unzipped_hf(p, limits, display, scratch))
            return hf_entries(folder, limits, display, label_column, where_prefix=f"{display}:{prefix}")
        return hf_entries(p, limits, display, label_column)
    if kind in ("zip", "folder"):
        entries, classes = zip_entries(p, limits, display) if kind == "zip" else folder_entries(p, limits, display)
        if kind == "folder" and not entries and any(idx.looks_like_idx(file_head(f)) for f in p.rglob("*")
                                                    if f.is_file() and not f.is_symlink()):
            return None
        return entries, classes, None
    return None


def read_arrays(path: Any, kind: str, limits: Limits, display: str, classes: Sequence[str] | None = None,
                label_column: Any = None, shape: Sequence[int] | None = None) -> Found:
    """IDX, NPZ or CSV (or a zip/folder of IDX files) as a Found of arrays."""
    n_classes = len(classes) if classes else None
    if isinstance(path, (tuple, list)):
        img, lab = path
        return Found("idx", {"train": idx.read_pair(img, lab, n_classes)}, source=str(lab))
    p = Path(path)
    if kind in ("idx", "zip", "folder"):
        return Found("idx", read_idx_set(p, limits, display, n_classes), source=display)
    if kind == "npz":
        splits, names = read_npz(p, limits, display)
        return Found("npz", splits, names, source=display)
    images, labels, info, warns = read_csv(p, limits, label_column, shape, display)
    return Found("csv", {"train": (images, labels)}, label_column=info, warnings=warns, source=display)


def read_dataset(path: Any, kind: str | None = None, *, display_name: str | None = None,
                 classes: Sequence[str] | None = None, resize: Any = None, label_column: Any = None,
                 shape: Sequence[int] | None = None, limits: Limits | None = None,
                 each: Callable[[], None] | None = None) -> Found:
    """Read and validate one input into a Found: its splits, classes, label column and why, preprocessing.

    `display_name` is how messages call the input (what the user uploaded or typed; default: the path).
    `resize`: None (native size; mixed sizes are refused, naming them), (H, W) / "H,W" (scale each image to
    cover H x W, crop the centre) or True (the first image's size). `each` is called before each image file is
    decoded and before staging (a cancel check: it raises to stop).
    """
    limits = limits or Limits()
    display = display_of(path, display_name)
    if kind is not None and kind not in KINDS:
        raise DataError(display, f"unknown import kind {kind!r} (expected one of {', '.join(KINDS)})")
    resize = parse_resize(resize, limits.max_pixels)
    kind = kind or sniff_kind(path, display)
    with Scratch() as scratch:   # a zipped HF folder's copy lives while its rows are decoded
        enc = encoded_images(path, kind, limits, display, label_column, scratch)
        if enc is not None:
            entries, found_classes, info = enc
            splits, pre, warns = decode_entries(entries, display, limits, resize, each)
    if enc is not None:
        found = Found("hf" if info else kind, splits, found_classes, info, pre, warns, display)
    else:
        found = read_arrays(path, kind, limits, display, classes, label_column, shape)
        h, w = found.shape[1:]
        if h * w > limits.max_pixels:
            raise DataError(display, f"images are {w}x{h} pixels, over the limit of {limits.max_pixels}")
        if isinstance(resize, tuple) and tuple(found.shape[1:]) != resize:
            found.splits = {s: (fit_arrays(im, resize), lab) for s, (im, lab) in found.splits.items()}
            found.preprocessing.append({"resize": list(resize), "method": "scale to cover, centre crop",
                                        "interpolation": "bilinear"})
    found.classes = class_names(found, classes)
    return found


def class_names(found: Found, classes: Sequence[str] | None) -> list[str]:
    source = found.source
    for split, (images, labels) in found.splits.items():
        if len(images) != len(labels):
            raise DataError(source, f"image/label count mismatch ({len(images)} images, {len(labels)} labels)")
    if sum(len(lab) for _, lab in found.splits.values()) == 0:
        raise DataError(source, "holds no samples")
    names = list(classes) if classes else found.classes
    top = max(int(lab.max()) for _, lab in found.splits.values() if len(lab))
    for _, labels in found.splits.values():
        idx.check_labels(labels, source, len(names) if names else None)
    if names is None:
        if top >= MAX_CLASSES:
            raise DataError(source, f"label {top} implies more than {MAX_CLASSES} classes "
                                    f"(give the class names, or check the label column)")
        names = [str(i) for i in range(top + 1)]
    if len(set(names)) != len(names):
        raise DataError(source, f"class names repeat ({names})")
    return [str(n) for n in names]


def read_any(path: Any, kind: str, limits: Limits, classes: Sequence[str] | None = None, resize: Any = False,
             label_column: int | str | None = None, shape: Sequence[int] | None = None
             ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(images uint8 [N,C,H,W], labels int64 [N], classes) of every split together."""
    found = read_dataset(path, kind, classes=classes, resize=resize, label_column=label_column, shape=shape,
                         limits=limits)
    return (*found.all_arrays(), found.classes)


def _fsync_write(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def _carve_test(found: Found, test_fraction: float) -> tuple[dict, str]:
    """{split: (images, labels, rows or None)}: rows index `images` (a carved split is written from them, a
    chunk at a time, so the set is never copied whole)."""
    splits = {s: (im, lab, None) for s, (im, lab) in found.splits.items()}
    if "test" in splits:
        if test_fraction > 0:
            found.warnings.append(f"the data has its own test split; test_fraction {test_fraction} was not used")
        return splits, "data"
    if test_fraction <= 0:
        return splits, "data" if len(splits) > 1 else "none"
    images, labels, _ = splits["train"]
    perm = np.random.default_rng(SPLIT_SEED).permutation(len(labels))
    n_test = int(round(len(labels) * test_fraction))
    train, test = np.sort(perm[: len(labels) - n_test]), np.sort(perm[len(labels) - n_test:])
    splits["train"], splits["test"] = (images, labels[train], train), (images, labels[test], test)
    return splits, "test_fraction"


def stage(found: Found, staging_dir: Path, name: str, source: str, test_fraction: float = 0.0) -> dict:
    """Write a Found in the stored form into `staging_dir`; returns the dataset.json content.

    Images are written a chunk at a time (idx.write_idx), so a memory-mapped input (raw IDX files) larger
    than memory is imported without being held."""
    staging_dir.mkdir(parents=True, exist_ok=True)
    splits, split_from = _carve_test(found, test_fraction)
    top = max(int(lab.max()) for _, lab, _ in splits.values() if len(lab))
    label_dtype = np.uint8 if top < 256 else np.int32
    meta_splits, hashes = {}, {}
    for split in SPLIT_ORDER:
        if split not in splits:
            continue
        images, labels, rows = splits[split]
        files = {"images": f"{split}-images-idx{3 if images.shape[1] == 1 else 4}-ubyte",
                 "labels": f"{split}-labels-idx1-ubyte"}
        pixels = images[:, 0] if images.shape[1] == 1 else images
        hashes[files["images"]] = idx.write_idx(staging_dir / files["images"], pixels, rows)
        hashes[files["labels"]] = idx.write_idx(staging_dir / files["labels"], labels.astype(label_dtype))
        for f in files.values():
            remember_file_hash(staging_dir / f, hashes[f])
        meta_splits[split] = {**files, "count": int(len(labels))}
    meta = {"format": STORED_FORMAT, "name": name, "kind": found.kind, "source": source,
            "classes": found.classes, "shape": found.shape, "splits": meta_splits, "split_from": split_from,
            "preprocessing": found.preprocessing, "label_column": found.label_column,
            "warnings": found.warnings, "files": hashes, "sha256": sha256_bytes(canonical_json(hashes).encode())}
    _fsync_write(staging_dir / "dataset.json", json.dumps(meta, indent=2))
    return meta


def write_stored(staging_dir: Path, name: str, kind: str, source: str, images: np.ndarray, labels: np.ndarray,
                 classes: list[str], test_fraction: float = 0.0) -> dict:
    """Stage one set of arrays (the train split, less `test_fraction`)."""
    return stage(Found(kind, {"train": (images, labels)}, classes), staging_dir, name, source, test_fraction)


def import_dataset(path: Any, kind: str | None = None, name: str | None = None, staging_dir: Any = None, *,
                   classes: Sequence[str] | None = None, test_fraction: float = 0.0, resize: Any = None,
                   label_column: int | str | None = None, shape: Sequence[int] | None = None,
                   limits: Limits | None = None, display_name: str | None = None,
                   each: Callable[[], None] | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Read `path` (kind sniffed when None) and, with `staging_dir`, stage it there in graft's stored form.

    Returns (images, labels, classes) of every split together (train, val, test order). `test_fraction`
    carves a deterministic test split off train when the data has no test split of its own. See
    `read_dataset` for `display_name` and `resize`; `label_column` is a CSV column index or a header name.
    """
    if not 0.0 <= test_fraction < 1.0:
        raise DataError("test_fraction", f"expected a number from 0 up to (not including) 1, found {test_fraction}")
    with idx.spooling(staging_dir) if staging_dir is not None else contextlib.nullcontext():
        found = read_dataset(path, kind, display_name=display_name, classes=classes, resize=resize,
                             label_column=label_column, shape=shape, limits=limits, each=each)
        if staging_dir is not None:
            if each is not None:
                each()
            stage_found(found, path, staging_dir, name, test_fraction, display_name)
        return (*found.all_arrays(), found.classes)


def stage_found(found: Found, path: Any, staging_dir: Any, name: str | None, test_fraction: float,
                display_name: str | None) -> dict:
    first = Path(path[0] if isinstance(path, (tuple, list)) else path)
    source = Path(display_name).name if display_name else first.name
    return stage(found, Path(staging_dir), name or Path(source).stem, source, test_fraction)


def import_to(path: Any, staging_dir: Any, kind: str | None = None, name: str | None = None, *,
              test_fraction: float = 0.0, resize: Any = None, label_column: int | str | None = None,
              display_name: str | None = None, limits: Limits | None = None,
              each: Callable[[], None] | None = None) -> dict:
    """Read `path` and stage it in `staging_dir` (as import_dataset), returning the dataset.json content and
    no arrays: nothing is joined or copied whole, so raw IDX input streams from its memory map to the store."""
    if not 0.0 <= test_fraction < 1.0:
        raise DataError("test_fraction", f"expected a number from 0 up to (not including) 1, found {test_fraction}")
    with idx.spooling(staging_dir):   # compressed input decompresses into the staging folder, not memory
        found = read_dataset(path, kind, display_name=display_name, resize=resize, label_column=label_column,
                             limits=limits, each=each)
        if each is not None:
            each()
        return stage_found(found, path, staging_dir, name, test_fraction, display_name)
