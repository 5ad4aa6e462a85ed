"""Import folders of images, from a zip archive or a plain directory: class = the folder an image is in.

Hostile input is refused before anything is decoded: `..` or absolute member names, symlinks, members or
totals over the size limits, images whose header declares more pixels than the limit (decompression bombs).
Nothing is extracted to disk: members are read into memory one at a time.
"""
from __future__ import annotations

import io
import os
import stat
import struct
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable

import numpy as np
from PIL import Image, UnidentifiedImageError

from graft.data.errors import DataError

IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".pgm", ".ppm", ".pbm"}
_JUNK = {"__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini"}


@dataclass(frozen=True)
class Limits:
    max_member_bytes: int = 16 << 20        # one image file
    max_total_bytes: int = 2 << 30          # all files, uncompressed
    max_pixels: int = 1 << 24               # one image, width * height
    max_members: int = 1_000_000


Entry = tuple[str, str, Callable[[], bytes]]  # (name for messages, class name, read the bytes)


def _is_junk(parts: tuple[str, ...]) -> bool:
    return any(p in _JUNK or p.startswith(".") for p in parts)


def _class_order(names: Iterable[str]) -> list[str]:
    names = set(names)
    if all(n.isdigit() for n in names):
        return sorted(names, key=int)
    return sorted(names)


def zip_entries(path: Path, limits: Limits) -> list[Entry]:
    try:
        zf = zipfile.ZipFile(path)
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as e:
        raise DataError(path, f"not a readable zip archive ({e})") from None
    if len(infos) > limits.max_members:
        raise DataError(path, f"too many members ({len(infos)}, limit {limits.max_members})")
    total, entries, seen = 0, [], set()
    for info in sorted(infos, key=lambda i: i.filename):
        name = info.filename
        where = f"{path.name}:{name}"
        norm = name.replace("\\", "/")
        if norm in seen:
            raise DataError(where, "member name appears twice in the archive; refused")
        seen.add(norm)
        if norm.startswith("/") or (len(norm) > 1 and norm[1] == ":") or ".." in norm.split("/"):
            raise DataError(where, "member name leaves the archive (absolute path or '..'); refused")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise DataError(where, "member is a symbolic link; refused")
        if info.is_dir():
            continue
        parts = PurePosixPath(norm).parts
        if _is_junk(parts) or Path(norm).suffix.lower() not in IMAGE_EXTENSIONS:
            continue
        if info.file_size > limits.max_member_bytes:
            raise DataError(where, f"member is {info.file_size} bytes (limit {limits.max_member_bytes})")
        total += info.file_size
        if total > limits.max_total_bytes:
            raise DataError(path, f"uncompressed total exceeds the limit of {limits.max_total_bytes} bytes")
        if len(parts) < 2:
            raise DataError(where, "image is not inside a class folder (expected <class>/<image>)")
        entries.append((where, parts[-2], _zip_reader(zf, info, where, limits.max_member_bytes)))
    return entries


def _zip_reader(zf: zipfile.ZipFile, info: zipfile.ZipInfo, where: str, limit: int) -> Callable[[], bytes]:
    def read() -> bytes:
        try:
            with zf.open(info) as fh:
                data = fh.read(limit + 1)
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError, RuntimeError,
                ValueError) as e:
            raise DataError(where, f"cannot read member ({e})") from None
        if len(data) > limit:
            raise DataError(where, f"member decompresses to more than {limit} bytes")
        return data
    return read


def folder_entries(root: Path, limits: Limits) -> list[Entry]:
    if root.is_symlink():
        raise DataError(root, "the folder is a symbolic link; refused")
    total, entries = 0, []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        for d in dirnames:
            if (here / d).is_symlink():
                raise DataError(here / d, "folder is a symbolic link; refused")
        dirnames.sort()
        for fname in sorted(filenames):
            p = here / fname
            rel = p.relative_to(root)
            if p.is_symlink():
                raise DataError(p, "file is a symbolic link; refused")
            if _is_junk(rel.parts) or p.suffix.lower() not in IMAGE_EXTENSIONS:
                continue
            size = p.stat().st_size
            if size > limits.max_member_bytes:
                raise DataError(p, f"file is {size} bytes (limit {limits.max_member_bytes})")
            total += size
            if total > limits.max_total_bytes:
                raise DataError(root, f"total size exceeds the limit of {limits.max_total_bytes} bytes")
            if len(rel.parts) < 2:
                raise DataError(p, "image is not inside a class folder (expected <class>/<image>)")
            entries.append((str(p), rel.parts[-2], p.read_bytes))
            if len(entries) > limits.max_members:
                raise DataError(root, f"too many images (limit {limits.max_members})")
    return entries


def _decode(data: bytes, where: str, limits: Limits, size: tuple[int, int] | None, resize: bool) -> np.ndarray:
    """One image as uint8 [H, W] (grey) or [H, W, 3] (colour)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            w, h = img.size
            if w * h > limits.max_pixels:
                raise DataError(where, f"image declares {w}x{h} pixels, over the limit of {limits.max_pixels} "
                                       f"(a decompression bomb?)")
            if size is not None and (w, h) != size:
                if not resize:
                    raise DataError(where, f"image is {w}x{h}, the first image is {size[0]}x{size[1]} "
                                           f"(all images must have one size, or import with resize)")
                img = img.resize(size)
            rgb = np.asarray(img.convert("RGB"))
    except DataError:
        raise
    except Image.DecompressionBombError as e:
        raise DataError(where, f"image declares too many pixels (a decompression bomb?): {e}") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError,
            TypeError, IndexError, KeyError, ZeroDivisionError, struct.error) as e:
        raise DataError(where, f"not a readable image ({type(e).__name__}: {e})") from None
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise DataError(where, f"unexpected decoded shape {list(rgb.shape)}")
    if (rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all():
        return rgb[..., 0].copy()
    return rgb


def decode_entries(entries: list[Entry], source: object, limits: Limits,
                   resize: bool = False) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Decode every image; grey when all images are grey, otherwise RGB for all. -> ([N,C,H,W], labels, classes)"""
    if not entries:
        raise DataError(source, "no images found (expected <class>/<image>.png and the like)")
    classes = _class_order(c for _, c, _ in entries)
    index = {c: i for i, c in enumerate(classes)}
    pixels, size, colour = [], None, False
    budget = limits.max_total_bytes
    for where, _, read in entries:
        arr = _decode(read(), where, limits, size, resize)
        if size is None:
            size = (arr.shape[1], arr.shape[0])
        colour = colour or arr.ndim == 3
        budget -= arr.size
        if budget < 0:
            raise DataError(source, f"decoded images exceed the limit of {limits.max_total_bytes} bytes")
        pixels.append(arr)
    w, h = size
    n_channels = 3 if colour else 1
    images = np.empty((len(pixels), n_channels, h, w), dtype=np.uint8)
    for i, arr in enumerate(pixels):
        images[i] = np.moveaxis(arr, -1, 0) if arr.ndim == 3 else arr[None]
    labels = np.array([index[c] for _, c, _ in entries], dtype=np.int64)
    return images, labels, classes
