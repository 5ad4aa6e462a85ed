"""IDX files (the MNIST format): parse, memory-map, write.

Header: two zero bytes, a type byte, the number of dimensions, then one big-endian uint32 per dimension,
then the payload in row-major order. Plain files are memory-mapped so large data is never read whole.
Gzip-compressed files (and zip members) are decompressed in memory (with a size cap), or, while an import
is `spooling` into its staging folder, a chunk at a time into an unlinked file there, then memory-mapped.
"""
from __future__ import annotations

import contextlib
import contextvars
import gzip
import hashlib
import io
import mmap
import os
import tempfile
import zlib
from pathlib import Path
from typing import BinaryIO, Iterator

import numpy as np

from graft.data.errors import DataError

TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
GZIP_MAGIC = b"\x1f\x8b"
DEFAULT_MAX_BYTES = 4 << 30  # decompressed payload cap for .gz input


def looks_like_idx(head: bytes) -> bool:
    return len(head) >= 4 and head[:2] == b"\0\0" and head[2] in TYPES and 1 <= head[3] <= 4


def gunzipped_head(head: bytes) -> bytes:
    """The start of the data behind the first bytes of a (possibly gzipped) file."""
    if head[:2] == GZIP_MAGIC:
        try:
            return zlib.decompressobj(wbits=31).decompress(head, 8)
        except zlib.error:
            return b""
    return head


def parse_header(head: bytes, file: object) -> tuple[np.dtype, tuple[int, ...], int]:
    """(dtype, dims, header length) from the first bytes of an IDX file."""
    if len(head) < 4:
        raise DataError(file, f"too short for an IDX header (expected at least 4 bytes, found {len(head)})")
    if head[:2] != b"\0\0":
        raise DataError(file, f"bad IDX magic (expected 00 00, found {head[:2].hex(' ')})")
    if head[2] not in TYPES:
        known = ", ".join(f"0x{c:02X}" for c in TYPES)
        raise DataError(file, f"bad IDX type byte 0x{head[2]:02X} (expected one of {known})")
    ndim = head[3]
    if not 1 <= ndim <= 4:
        raise DataError(file, f"bad IDX dimension count {ndim} (expected 1 to 4)")
    header_len = 4 + 4 * ndim
    if len(head) < header_len:
        raise DataError(file, f"IDX header truncated (expected {header_len} bytes, found {len(head)})")
    dims = tuple(int.from_bytes(head[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return TYPES[head[2]], dims, header_len


def _check_size(dtype: np.dtype, dims: tuple[int, ...], payload: int, file: object) -> None:
    expected = int(np.prod(dims, dtype=object)) * dtype.itemsize
    if payload < expected:
        raise DataError(file, f"payload too short for dimensions {list(dims)} "
                              f"(expected {expected} bytes, found {payload})")
    if payload > expected:
        raise DataError(file, f"payload longer than dimensions {list(dims)} declare "
                              f"(expected {expected} bytes, found {payload}: {payload - expected} trailing)")


def parse_idx_bytes(buf: bytes, file: object = "<bytes>") -> np.ndarray:
    """A read-only array viewing `buf` (no copy)."""
    dtype, dims, header_len = parse_header(buf[:20], file)
    _check_size(dtype, dims, len(buf) - header_len, file)
    arr = np.frombuffer(buf, dtype=dtype, offset=header_len).reshape(dims)
    return arr


def gunzip(path: Path | io.BytesIO, max_bytes: int = DEFAULT_MAX_BYTES, name: object = None) -> bytes:
    """The gunzipped bytes of a file (or an in-memory gzip stream), refused past `max_bytes`."""
    name = path if name is None else name
    try:
        with gzip.open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(name, f"not a readable gzip file ({e})") from None
    if len(data) > max_bytes:
        raise DataError(name, f"decompresses to more than the limit of {max_bytes} bytes")
    return data


_SPOOL: contextvars.ContextVar[Path | None] = contextvars.ContextVar("graft_idx_spool", default=None)
SPOOL_CHUNK = 8 << 20


@contextlib.contextmanager
def spooling(folder: str | os.PathLike) -> Iterator[None]:
    """While inside, compressed input is decompressed into files in `folder` (an import's staging folder,
    made when first needed; a refused import leaves none behind)."""
    folder = Path(folder)
    existed = folder.exists()
    token = _SPOOL.set(folder)
    try:
        yield
    except BaseException:
        if not existed and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
        raise
    finally:
        _SPOOL.reset(token)


def spool_file() -> tuple[int, str]:
    """(fd, path) of a new file in the spool folder."""
    folder = spool_folder()
    folder.mkdir(parents=True, exist_ok=True)
    return tempfile.mkstemp(prefix=".spool-", dir=folder)


def spool_folder() -> Path | None:
    return _SPOOL.get()


def spooled(write, name: object) -> str:
    """The path of a new file in the spool folder that `write(file)` filled (removed if `write` fails). Callers
    map it and unlink it at once: the mapping keeps it while used, and nothing stays behind."""
    fd, tmp = spool_file()
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
        return tmp
    except BaseException:
        os.unlink(tmp)
        raise


def spool_stream(fh: BinaryIO, max_bytes: int, name: object) -> np.ndarray:
    """An IDX stream (gzipped or not: told by its first bytes) copied a chunk at a time into the spool
    folder, as a memory-mapped array; refused past `max_bytes` decompressed."""
    def write(out) -> None:
        head = fh.read(2)
        src = gzip.GzipFile(fileobj=_Prefixed(head, fh), mode="rb") if head == GZIP_MAGIC else _Prefixed(head, fh)
        total = 0
        try:
            while chunk := src.read(SPOOL_CHUNK):
                total += len(chunk)
                if total > max_bytes:
                    raise DataError(name, f"decompresses to more than the limit of {max_bytes} bytes")
                out.write(chunk)
        except (OSError, EOFError, zlib.error) as e:
            raise DataError(name, f"not a readable gzip file ({e})") from None
    tmp = spooled(write, name)
    try:
        return read_idx(tmp, max_bytes, name)
    finally:
        os.unlink(tmp)


class _Prefixed(io.RawIOBase):
    """A stream whose first bytes were already read (to sniff gzip), put back in front."""

    def __init__(self, head: bytes, rest: BinaryIO):
        self.head, self.rest = head, rest

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if self.head:
            out, self.head = (self.head, b"") if n < 0 or n >= len(self.head) else (self.head[:n], self.head[n:])
            return out
        return self.rest.read(n)

    def readinto(self, b) -> int:
        data = self.read(len(b))
        b[:len(data)] = data
        return len(data)


def read_idx(path: str | os.PathLike, max_bytes: int = DEFAULT_MAX_BYTES, name: object = None) -> np.ndarray:
    """An IDX file as an array: decoded from memory for .gz, memory-mapped (read-only) otherwise.

    `name` is how messages call the file (default: its path)."""
    path = Path(path)
    name = path if name is None else name
    try:
        with open(path, "rb") as fh:
            head = fh.read(20)
    except OSError as e:
        raise DataError(name, f"cannot read ({e.strerror or e})") from None
    if head[:2] == GZIP_MAGIC:
        if spool_folder() is not None:
            with open(path, "rb") as fh:
                return spool_stream(fh, max_bytes, name)
        return parse_idx_bytes(gunzip(path, max_bytes, name), name)
    dtype, dims, header_len = parse_header(head, name)
    _check_size(dtype, dims, path.stat().st_size - header_len, name)
    if int(np.prod(dims, dtype=object)) == 0:
        return np.zeros(dims, dtype=dtype)
    return np.memmap(path, dtype=dtype, mode="r", offset=header_len, shape=dims)


WRITE_CHUNK_BYTES = 8 << 20


def write_idx(path: str | os.PathLike, array: np.ndarray, rows: np.ndarray | None = None) -> str:
    """Write `array` (or its `rows`, in that order) as a plain IDX file (big-endian payload), fsynced; returns
    the file's sha256. Written in chunks: a memory-mapped source is read a chunk at a time and its pages are
    dropped after each, so a set larger than memory is copied without being held."""
    arr = array if isinstance(array, np.ndarray) else np.asarray(array)
    code = {("u", 1): 0x08, ("i", 1): 0x09, ("i", 2): 0x0B, ("i", 4): 0x0C, ("f", 4): 0x0D,
            ("f", 8): 0x0E}.get((arr.dtype.kind, arr.dtype.itemsize))
    if code is None:
        raise ValueError(f"IDX cannot hold dtype {arr.dtype}")
    if not 1 <= arr.ndim <= 4:
        raise ValueError(f"IDX holds 1 to 4 dimensions, not {arr.ndim}")
    n = len(arr) if rows is None else len(rows)
    header = bytes([0, 0, code, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in (n, *arr.shape[1:]))
    digest = hashlib.sha256(header)
    row_bytes = max(1, arr[:1].nbytes)
    step = max(1, WRITE_CHUNK_BYTES // row_bytes)
    # sparse rows (a carved split): one read covers at most a chunk's span of the file, since every row read
    # through the mapping brings its surrounding pages (whole large folios) into the process until released
    ordered = rows is not None and bool(np.all(np.diff(rows) >= 0))
    with open(path, "wb") as fh:
        fh.write(header)
        start = 0
        while start < n:
            stop = min(start + step, n)
            if ordered:
                stop = max(start + 1, min(stop, int(np.searchsorted(rows, rows[start] + step))))
            part = arr[start:stop] if rows is None else arr[rows[start:stop]]
            data = memoryview(np.ascontiguousarray(part, dtype=TYPES[code])).cast("B")
            fh.write(data)
            digest.update(data)
            release_pages(arr)
            start = stop
        fh.flush()
        os.fsync(fh.fileno())
    return digest.hexdigest()


def release_pages(arr: np.ndarray) -> None:
    """Drop the pages of a memory-mapped array from this process (they stay in the OS page cache)."""
    while arr is not None and not isinstance(arr, mmap.mmap):
        arr = getattr(arr, "base", None)
    if arr is not None and hasattr(arr, "madvise"):
        arr.madvise(mmap.MADV_DONTNEED)


def as_images(arr: np.ndarray, file: object) -> np.ndarray:
    """IDX image array -> uint8 [N, C, H, W] (a view when possible)."""
    if arr.dtype != np.uint8:
        raise DataError(file, f"image pixels must be unsigned bytes (IDX type 0x08), found {arr.dtype}")
    if arr.ndim == 3:
        return arr.reshape(arr.shape[0], 1, arr.shape[1], arr.shape[2])
    if arr.ndim == 4:
        return arr
    raise DataError(file, f"images need 3 or 4 dimensions (N, H, W or N, C, H, W), found {arr.ndim}")


def as_labels(arr: np.ndarray, file: object) -> np.ndarray:
    if arr.ndim != 1:
        raise DataError(file, f"labels need 1 dimension, found {arr.ndim} ({list(arr.shape)})")
    if arr.dtype.kind not in "iu":
        raise DataError(file, f"labels must be integers, found {arr.dtype}")
    return arr.astype(np.int64)


def check_labels(labels: np.ndarray, file: object, n_classes: int | None = None) -> None:
    if labels.size == 0:
        return
    low, high = int(labels.min()), int(labels.max())
    if low < 0:
        i = int(np.argmax(labels < 0))
        raise DataError(file, f"label {low} at index {i} is negative (expected 0 or more)")
    if n_classes is not None and high >= n_classes:
        i = int(np.argmax(labels >= n_classes))
        raise DataError(file, f"label {int(labels[i])} at index {i} is out of range "
                              f"(expected 0 to {n_classes - 1} for {n_classes} classes)")


def read_pair(images_path: str | os.PathLike, labels_path: str | os.PathLike,
              n_classes: int | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
              names: tuple[object, object] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Images and labels from two IDX files; `names` are how messages call them (default: their paths)."""
    img_name, lab_name = names or (images_path, labels_path)
    return check_pair(as_images(read_idx(images_path, max_bytes, img_name), img_name),
                      as_labels(read_idx(labels_path, max_bytes, lab_name), lab_name), img_name, lab_name,
                      n_classes)


def check_pair(images: np.ndarray, labels: np.ndarray, img_name: object, lab_name: object,
               n_classes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    if len(images) != len(labels):
        raise DataError(lab_name, f"image/label count mismatch ({len(images)} images in "
                                  f"{Path(str(img_name)).name}, {len(labels)} labels)")
    check_labels(labels, lab_name, n_classes)
    return images, labels
