"""Readers for user data files: IDX pair, NPZ and CSV (image folders and zips live in images.py).

Each reader validates everything and raises DataError naming the file (and row) for any problem.
"""
from __future__ import annotations

import csv
import math
import zipfile
import zlib
from pathlib import Path
from typing import Sequence

import numpy as np

from graft.data import idx
from graft.data.errors import DataError
from graft.data.images import Limits

NPZ_KEYS = (("x", "y"), ("images", "labels"))
_CSV_CHUNK = 4096


def _pixels_to_uint8(values: np.ndarray, where: object) -> np.ndarray:
    if values.dtype == np.uint8:
        return values
    if values.dtype.kind == "b":
        return values.astype(np.uint8) * 255
    if values.dtype.kind not in "iuf":
        raise DataError(where, f"pixels must be numbers, found dtype {values.dtype}")
    if values.size:
        if values.dtype.kind == "f" and not (np.isfinite(values).all() and (values == np.floor(values)).all()):
            raise DataError(where, "pixels must be whole numbers 0-255 (found fractions or NaN; "
                                   "scale [0, 1] data by 255 first)")
        low, high = values.min(), values.max()
        if low < 0 or high > 255:
            raise DataError(where, f"pixel values must be 0-255 (found {low} to {high})")
    return values.astype(np.uint8)


def _labels_int64(values: np.ndarray, where: object) -> np.ndarray:
    if values.ndim != 1:
        raise DataError(where, f"labels need 1 dimension, found shape {list(values.shape)}")
    if values.dtype.kind in "iu":
        out = values.astype(np.int64)
    elif values.dtype.kind == "f" and np.isfinite(values).all() and (values == np.floor(values)).all() \
            and (values.size == 0 or np.abs(values).max() < 2**62):
        out = values.astype(np.int64)
    else:
        raise DataError(where, f"labels must be whole numbers, found dtype {values.dtype}")
    return out


def _nchw(images: np.ndarray, where: object) -> np.ndarray:
    if images.ndim == 3:
        return images[:, None]
    if images.ndim == 4:
        if images.shape[1] in (1, 3):
            return images
        if images.shape[3] in (1, 3):
            return np.ascontiguousarray(images.transpose(0, 3, 1, 2))
    raise DataError(where, f"images need shape [N, H, W], [N, C, H, W] or [N, H, W, C] with C 1 or 3, "
                           f"found {list(images.shape)}")


def read_npz(path: Path, limits: Limits) -> tuple[np.ndarray, np.ndarray, list[str] | None]:
    if not zipfile.is_zipfile(path):
        raise DataError(path, "not an NPZ archive (expected a zip of .npy arrays, as written by numpy.savez)")
    try:
        with zipfile.ZipFile(path) as zf:
            sizes = [i.file_size for i in zf.infolist()]
        if any(s > limits.max_total_bytes for s in sizes) or sum(sizes) > limits.max_total_bytes:
            raise DataError(path, f"arrays exceed the limit of {limits.max_total_bytes} bytes")
        with np.load(path, allow_pickle=False) as z:
            keys = list(z.files)
            pair = next(((x, y) for x, y in NPZ_KEYS if x in keys and y in keys), None)
            if pair is None:
                raise DataError(path, f"expected arrays named x and y, or images and labels (found {keys})")
            images, labels = z[pair[0]], z[pair[1]]
            classes = [str(c) for c in z["classes"].tolist()] if "classes" in keys else None
    except DataError:
        raise
    except ValueError as e:
        if "allow_pickle" in str(e) or "Object arrays" in str(e):
            raise DataError(path, "holds object arrays (pickled Python objects), which graft never loads; "
                                  "save plain numeric arrays with numpy.savez") from None
        raise DataError(path, f"unreadable NPZ ({e})") from None
    except (OSError, EOFError, KeyError, IndexError, TypeError, AttributeError, zipfile.BadZipFile, zlib.error,
            NotImplementedError, RuntimeError, UnicodeDecodeError, SyntaxError, MemoryError) as e:
        raise DataError(path, f"unreadable NPZ ({type(e).__name__}: {e})") from None
    return _nchw(_pixels_to_uint8(np.asarray(images), f"{path}:{pair[0]}"), path), \
        _labels_int64(np.asarray(labels), f"{path}:{pair[1]}"), classes


def _csv_shape(n_pixels: int, shape: Sequence[int] | None, path: Path, row: int) -> tuple[int, int, int]:
    if shape is not None:
        c, h, w = (list(shape) if len(shape) == 3 else [1, *shape])
        if c * h * w != n_pixels:
            raise DataError(path, f"shape {list(shape)} needs {c * h * w} pixel columns, found {n_pixels}", row)
        return c, h, w
    side = math.isqrt(n_pixels)
    if n_pixels == 0 or side * side != n_pixels:
        raise DataError(path, f"{n_pixels} pixel columns is not a square image (give the shape)", row)
    return 1, side, side


def _scan_rows(rows: list[tuple[int, list[str]]], width: int, label_col: int, path: Path) -> None:
    """Find the first bad row of a chunk that failed fast conversion, and say what is wrong with it."""
    for line, cells in rows:
        if len(cells) != width:
            raise DataError(path, f"expected {width} columns, found {len(cells)}", line)
        for col, cell in enumerate(cells):
            try:
                v = float(cell)
            except ValueError:
                raise DataError(path, f"column {col + 1} is not a number ({cell[:40]!r})", line) from None
            what = "label" if col == label_col else "pixel"
            if not math.isfinite(v) or v != math.floor(v):
                raise DataError(path, f"column {col + 1} {what} {cell[:40]!r} is not a whole number", line)
            if col != label_col and not 0 <= v <= 255:
                raise DataError(path, f"column {col + 1} pixel value {cell[:40]} is outside 0-255", line)
            if col == label_col and not 0 <= v < 2**31:
                raise DataError(path, f"label {cell[:40]} is negative or too large", line)


def _convert_chunk(rows: list[tuple[int, list[str]]], width: int, label_col: int, path: Path):
    try:
        values = np.array([cells for _, cells in rows], dtype=str).astype(np.float64)
        if values.ndim != 2 or values.shape[1] != width:
            raise ValueError("ragged")
        pixels = np.delete(values, label_col, axis=1)
        labels = values[:, label_col]
        ok = (np.isfinite(values).all() and (values == np.floor(values)).all() and pixels.min() >= 0
              and pixels.max() <= 255 and labels.min() >= 0 and labels.max() < 2**31)
    except (ValueError, OverflowError):
        ok = False
    if not ok:
        _scan_rows(rows, width, label_col, path)
        raise DataError(path, "could not read the numbers of this file")  # _scan_rows always finds it first
    return pixels.astype(np.uint8), labels.astype(np.int64)


def read_csv(path: Path, limits: Limits, label_column: int | str | None = None,
             shape: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Label column (default: the one headed 'label', else the first) plus pixel columns; header optional."""
    if path.stat().st_size > limits.max_total_bytes:
        raise DataError(path, f"file is over the limit of {limits.max_total_bytes} bytes")
    pix_chunks, lab_chunks = [], []
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            width = label_col = None
            chunk: list[tuple[int, list[str]]] = []
            for cells in reader:
                if not cells or all(not c.strip() for c in cells):
                    continue
                if width is None:
                    width, label_col, is_header = _csv_layout(cells, label_column, path, reader.line_num)
                    if is_header:
                        continue
                chunk.append((reader.line_num, cells))
                if len(chunk) == _CSV_CHUNK:
                    p, lab = _convert_chunk(chunk, width, label_col, path)
                    pix_chunks.append(p), lab_chunks.append(lab)
                    chunk = []
            if chunk:
                p, lab = _convert_chunk(chunk, width, label_col, path)
                pix_chunks.append(p), lab_chunks.append(lab)
    except UnicodeDecodeError as e:
        raise DataError(path, f"not UTF-8 text ({e.reason} at byte {e.start})") from None
    except csv.Error as e:
        raise DataError(path, f"malformed CSV ({e})") from None
    if not lab_chunks:
        raise DataError(path, "no data rows")
    c, h, w = _csv_shape(width - 1, shape, path, 1)
    pixels = np.concatenate(pix_chunks)
    return pixels.reshape(len(pixels), c, h, w), np.concatenate(lab_chunks)


def _csv_layout(cells: list[str], label_column: int | str | None, path: Path, line: int) -> tuple[int, int, bool]:
    def numeric(c: str) -> bool:
        try:
            float(c)
            return True
        except ValueError:
            return False
    is_header = not all(numeric(c) for c in cells)
    names = [c.strip().lower() for c in cells]
    if isinstance(label_column, str):
        if not is_header or label_column.lower() not in names:
            raise DataError(path, f"no column named {label_column!r} in the header", line)
        col = names.index(label_column.lower())
    elif isinstance(label_column, int):
        if not 0 <= label_column < len(cells):
            raise DataError(path, f"label column {label_column} is outside the {len(cells)} columns", line)
        col = label_column
    else:
        col = names.index("label") if is_header and "label" in names else 0
    if len(cells) < 2:
        raise DataError(path, f"expected a label column and pixel columns, found {len(cells)} column", line)
    return len(cells), col, is_header


def find_idx_pair(folder: Path) -> tuple[Path, Path]:
    images, labels = [], []
    for p in sorted(folder.iterdir()):
        if not p.is_file() or p.is_symlink():
            continue
        head = file_head(p)
        if not idx.looks_like_idx(head):
            continue
        (labels if head[3] == 1 else images).append(p)
    if len(images) != 1 or len(labels) != 1:
        raise DataError(folder, f"expected one IDX images file and one IDX labels file, found "
                                f"{[p.name for p in images]} and {[p.name for p in labels]}")
    return images[0], labels[0]


def file_head(path: Path) -> bytes:
    """The first bytes of a file, gunzipped when it is gzip."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if head[:2] == idx.GZIP_MAGIC:
        try:
            return zlib.decompressobj(wbits=31).decompress(head, 8)
        except zlib.error:
            return b""
    return head
