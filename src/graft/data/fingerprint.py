"""Fingerprints: what a data set is, as one sha256, without hashing megabytes on every load."""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

from graft.data.idx import release_pages

_CHUNK = 1 << 20
_file_cache: dict[tuple[str, bool, int, int], str] = {}
_lock = threading.Lock()


def canonical_json(obj: Any) -> str:
    """Sorted keys, no whitespace: equal documents give equal text."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def sha256_bytes(data: bytes | memoryview) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | os.PathLike, decompress: bool = False) -> str:
    """sha256 of a file's bytes (of its gunzipped bytes with `decompress`), cached by path, size and mtime."""
    p = Path(path)
    st = p.stat()
    key = (str(p.resolve()), decompress, st.st_size, st.st_mtime_ns)
    with _lock:
        if key in _file_cache:
            return _file_cache[key]
    h = hashlib.sha256()
    opener = gzip.open if decompress else open
    with opener(p, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    digest = h.hexdigest()
    with _lock:
        _file_cache[key] = digest
    return digest


def remember_file_hash(path: str | os.PathLike, digest: str, decompress: bool = False) -> None:
    """Record a hash computed elsewhere (e.g. while decoding) so sha256_file need not reread the file."""
    p = Path(path)
    st = p.stat()
    with _lock:
        _file_cache[(str(p.resolve()), decompress, st.st_size, st.st_mtime_ns)] = digest


def array_fingerprint(images: np.ndarray, labels: np.ndarray) -> str:
    """sha256 over shapes, dtypes and bytes of images and labels (streamed, no full copy)."""
    h = hashlib.sha256()
    for arr in (images, labels):
        h.update(canonical_json([list(arr.shape), str(arr.dtype)]).encode())
        flat = np.ascontiguousarray(arr).reshape(-1).view(np.uint8)
        for start in range(0, flat.size, _CHUNK * 16):
            h.update(flat[start:start + _CHUNK * 16])
    return h.hexdigest()


def dataset_fingerprint(base_hash: str, transforms: list[dict], split: str, val_fraction: float = 0.0) -> str:
    """sha256 of the source data's hash, the normalised transform chain and the split."""
    doc = {"base": base_hash, "transforms": transforms, "split": split, "val_fraction": val_fraction}
    return sha256_bytes(canonical_json(doc).encode())


def pixel_stats(images: np.ndarray) -> tuple[float, float]:
    """Mean and std of the pixels scaled to [0, 1], from a byte histogram built in chunks."""
    flat = images.reshape(-1)
    if flat.size == 0:
        return 0.0, 0.0
    hist = np.zeros(256, dtype=np.int64)
    step = 1 << 20      # bincount widens each chunk to int64: 8 MB at a time
    for start in range(0, flat.size, step):
        hist += np.bincount(np.asarray(flat[start:start + step]), minlength=256)
        release_pages(images)     # a memory-mapped set is read through, never held
    values = np.arange(256, dtype=np.float64) / 255.0
    n = hist.sum()
    mean = float((hist * values).sum() / n)
    var = float((hist * (values - mean) ** 2).sum() / n)
    return mean, var ** 0.5
