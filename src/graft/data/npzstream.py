"""NPZ arrays while an import spools (idx.spooling): each image array is copied from its zip member a chunk at a
time into a file in the staging folder (a stored member is read as it lies, a deflated one decompressed through
zipfile's stream) and memory-mapped from there; pixels that are not uint8 [N, C, H, W] already are converted into
a second file the same way. Memory holds a chunk, never the array; the result equals `np.load`'s.
"""
from __future__ import annotations

import os
import zipfile

import numpy as np

from graft.data import idx
from graft.data.errors import DataError

OBJECT_ARRAYS = ("holds object arrays (pickled Python objects), which graft never loads; "
                 "save plain numeric arrays with numpy.savez")


def member_keys(zf: zipfile.ZipFile) -> dict[str, str]:
    """{key as np.load names it: member name}."""
    return {(n[:-4] if n.endswith(".npy") else n): n for n in zf.namelist()}


def read_header(fh, at: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """(shape, fortran order, dtype) of a .npy stream, left at the start of its data."""
    fmt = np.lib.format
    try:
        version = fmt.read_magic(fh)
    except ValueError:
        raise DataError(at, "not a .npy array (bad magic)") from None
    if version == (1, 0):
        return fmt.read_array_header_1_0(fh)
    if version == (2, 0):
        return fmt.read_array_header_2_0(fh)
    raise DataError(at, f"unsupported .npy format version {version[0]}.{version[1]} (expected 1.0 or 2.0)")


def layout_of(shape: tuple[int, ...], where: str) -> str:
    """'nhw', 'nchw' or 'nhwc', as `importers.nchw` tells them apart."""
    if len(shape) == 3:
        return "nhw"
    if len(shape) == 4:
        if shape[1] in (1, 3):
            return "nchw"
        if shape[3] in (1, 3):
            return "nhwc"
    raise DataError(where, f"images need shape [N, H, W], [N, C, H, W] or [N, H, W, C] with C 1 or 3, "
                           f"found {list(shape)}")


def spool_images(zf: zipfile.ZipFile, member: str, at: str, where: str) -> np.ndarray:
    """The member's pixels as uint8 [N, C, H, W], memory-mapped from the spool folder."""
    with zf.open(member) as fh:
        shape, fortran, dtype = read_header(fh, at)
        if dtype.hasobject:
            raise DataError(where, OBJECT_ARRAYS)
        layout = layout_of(shape, where)
        if dtype.kind not in "biuf":
            raise DataError(at, f"pixels must be numbers, found dtype {dtype}")
        expected = int(np.prod(shape, dtype=object)) * dtype.itemsize
        if expected == 0:
            return _to_nchw(np.zeros(shape, dtype=np.uint8), layout)
        raw = idx.spooled(lambda out: _copy(fh, out, expected, at), at)
    try:
        src = np.memmap(raw, dtype=dtype, mode="r", shape=shape, order="F" if fortran else "C")
    finally:
        os.unlink(raw)   # the mapping keeps the file while it is used
    if dtype == np.uint8 and not fortran and layout != "nhwc":
        return _to_nchw(src, layout)
    out_shape = _to_nchw(np.empty((0, *shape[1:]), dtype=np.uint8), layout).shape[1:]
    converted = idx.spooled(lambda out: _convert(src, layout, out, at), at)
    try:
        return np.memmap(converted, dtype=np.uint8, mode="r", shape=(shape[0], *out_shape))
    finally:
        os.unlink(converted)


def _to_nchw(arr: np.ndarray, layout: str) -> np.ndarray:
    return arr[:, None] if layout == "nhw" else arr.transpose(0, 3, 1, 2) if layout == "nhwc" else arr


def _copy(fh, out, expected: int, at: str) -> None:
    left = expected
    while left > 0:
        chunk = fh.read(min(idx.SPOOL_CHUNK, left))
        if not chunk:
            raise DataError(at, f"array data truncated (expected {expected} bytes, found {expected - left})")
        out.write(chunk)
        left -= len(chunk)
    fh.read(1)   # reach the member's end, so zipfile checks its CRC


def _convert(src: np.ndarray, layout: str, out, at: str) -> None:
    """Rows of `src` as uint8 NCHW into `out`, a chunk at a time, refused as `importers.pixels_to_uint8` refuses
    (fractions at once; out-of-range values after the whole array is seen, naming its minimum and maximum)."""
    row_bytes = max(1, int(np.prod(src.shape[1:], dtype=object)) * src.dtype.itemsize)
    step = max(1, idx.SPOOL_CHUNK // row_bytes)
    low = high = None
    for start in range(0, len(src), step):
        part = np.asarray(src[start:start + step])
        if part.dtype.kind == "b":
            pixels = part.astype(np.uint8) * 255
        else:
            if part.dtype.kind == "f" and not (np.isfinite(part).all() and (part == np.floor(part)).all()):
                raise DataError(at, "pixels must be whole numbers 0-255 (found fractions or NaN; "
                                    "scale [0, 1] data by 255 first)")
            lo, hi = part.min(), part.max()
            low, high = (lo, hi) if low is None else (min(low, lo), max(high, hi))
            pixels = part.astype(np.uint8)
        if low is None or (low >= 0 and high <= 255):
            out.write(np.ascontiguousarray(_to_nchw(pixels, layout)))
        idx.release_pages(src)
    if low is not None and (low < 0 or high > 255):
        raise DataError(at, f"pixel values must be 0-255 (found {low} to {high})")
