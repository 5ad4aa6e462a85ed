"""NPZ arrays (x/y, images/labels, or Keras' x_train/y_train/x_test/y_test), and what the other readers share.

Each reader validates everything and raises DataError naming the file (and row) for any problem.
"""
from __future__ import annotations

import zipfile
import zlib
from pathlib import Path
import numpy as np

from graft.data import idx, npzstream
from graft.data.errors import DataError
from graft.data.images import Limits

NPZ_KEYS = (("x", "y"), ("images", "labels"))
SPLIT_KEYS = {"train": ("x_train", "y_train"), "val": ("x_val", "y_val"), "test": ("x_test", "y_test")}


def pixels_to_uint8(values: np.ndarray, where: object) -> np.ndarray:
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


def labels_int64(values: np.ndarray, where: object) -> np.ndarray:
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


def nchw(images: np.ndarray, where: object) -> np.ndarray:
    if images.ndim == 3:
        return images[:, None]
    if images.ndim == 4:
        if images.shape[1] in (1, 3):
            return images
        if images.shape[3] in (1, 3):
            return np.ascontiguousarray(images.transpose(0, 3, 1, 2))
    raise DataError(where, f"images need shape [N, H, W], [N, C, H, W] or [N, H, W, C] with C 1 or 3, "
                           f"found {list(images.shape)}")


def read_npz(path: Path, limits: Limits, display: str | None = None) -> tuple[dict, list[str] | None]:
    """-> ({split: (images, labels)}, class names when the archive holds `classes`)."""
    where = display or str(path)
    if not zipfile.is_zipfile(path):
        raise DataError(where, "not an NPZ archive (expected a zip of .npy arrays, as written by numpy.savez)")
    try:
        with zipfile.ZipFile(path) as zf:
            sizes = [i.file_size for i in zf.infolist()]
        if any(s > limits.max_total_bytes for s in sizes) or sum(sizes) > limits.max_total_bytes:
            raise DataError(where, f"arrays exceed the limit of {limits.max_total_bytes} bytes")
        if idx.spool_folder() is not None:   # importing: each array a chunk at a time into the staging folder
            return _spool_npz(path, where)
        with np.load(path, allow_pickle=False) as z:
            pairs = choose_pairs(list(z.files), where)
            arrays = {s: (np.asarray(z[x]), np.asarray(z[y])) for s, (x, y) in pairs.items()}
            classes = [str(c) for c in z["classes"].tolist()] if "classes" in z.files else None
    except DataError:
        raise
    except ValueError as e:
        if "allow_pickle" in str(e) or "Object arrays" in str(e):
            raise DataError(where, npzstream.OBJECT_ARRAYS) from None
        raise DataError(where, f"unreadable NPZ ({e})") from None
    except (OSError, EOFError, KeyError, IndexError, TypeError, AttributeError, zipfile.BadZipFile, zlib.error,
            NotImplementedError, RuntimeError, UnicodeDecodeError, SyntaxError, MemoryError) as e:
        raise DataError(where, f"unreadable NPZ ({type(e).__name__}: {e})") from None
    out = {}
    for split, (images, labels) in arrays.items():
        x, y = pairs[split]
        out[split] = (nchw(pixels_to_uint8(images, f"{where}:{x}"), where), labels_int64(labels, f"{where}:{y}"))
    return out, classes


def choose_pairs(keys: list[str], where: str) -> dict[str, tuple[str, str]]:
    """{split: (images key, labels key)} of an archive's arrays."""
    pairs = {s: xy for s, xy in SPLIT_KEYS.items() if xy[0] in keys and xy[1] in keys}
    if pairs:
        return pairs
    pair = next(((x, y) for x, y in NPZ_KEYS if x in keys and y in keys), None)
    if pair is None:
        raise DataError(where, f"expected arrays named x and y, images and labels, or x_train and "
                               f"y_train (found {keys})")
    return {"train": pair}


def _spool_npz(path: Path, where: str) -> tuple[dict, list[str] | None]:
    with zipfile.ZipFile(path) as zf:
        members = npzstream.member_keys(zf)
        pairs = choose_pairs(list(members), where)

        def small(key: str) -> np.ndarray:   # labels and class names: read whole, as np.load reads them
            with zf.open(members[key]) as fh:
                return np.lib.format.read_array(fh, allow_pickle=False)
        out = {}
        for split, (x, y) in pairs.items():
            images = npzstream.spool_images(zf, members[x], f"{where}:{x}", where)
            out[split] = (images, labels_int64(small(y), f"{where}:{y}"))
        classes = [str(c) for c in small("classes").tolist()] if "classes" in members else None
    return out, classes


def file_head(path: Path) -> bytes:
    """The first bytes of a file, gunzipped when it is gzip."""
    with open(path, "rb") as fh:
        return idx.gunzipped_head(fh.read(4096))
