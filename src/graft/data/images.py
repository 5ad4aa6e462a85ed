"""Images from a zip archive or a plain directory: class = the folder an image is in, split = a train/, test/
or val/ folder above it when there is one.

Hostile input is refused before anything is decoded: `..` or absolute member names, symlinks, members or
totals over the size limits, images whose header declares more pixels than the limit (decompression bombs).
Nothing is extracted to disk: members are read into memory one at a time. Messages name files as the user
called them (`display`, e.g. `photos.zip:cat/1.jpg`), never the server's staging path.
"""
from __future__ import annotations

import io
import os
import stat
import struct
import warnings
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np
from PIL import Image, UnidentifiedImageError

from graft.data.errors import DataError
from graft.data.pixelspool import SplitPixels
from graft.data.found import SPLIT_ORDER, fit_note, sizes_text

IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".pgm", ".ppm", ".pbm"}
SPLIT_FOLDERS = {"train": "train", "training": "train", "test": "test", "testing": "test", "val": "val",
                 "valid": "val", "validation": "val"}
_JUNK = {"__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini"}


@dataclass(frozen=True)
class Limits:
    max_member_bytes: int = 16 << 20        # one image file
    max_total_bytes: int = 2 << 30          # all files, uncompressed
    max_pixels: int = 1 << 24               # one image, width * height
    max_members: int = 1_000_000


@dataclass(frozen=True)
class Entry:
    where: str                      # the name in messages: photos.zip:train/cat/1.jpg
    split: str
    label: int
    read: Callable[[], bytes]


def is_junk(parts: tuple[str, ...]) -> bool:
    return any(p in _JUNK or p.startswith(".") for p in parts)


def class_order(names: Iterable[str]) -> list[str]:
    names = set(names)
    if all(n.isdigit() for n in names):
        return sorted(names, key=int)
    return sorted(names)


def split_of(parts: tuple[str, ...]) -> str:
    """The split a member's folders name (train/ test/ val/ above the class folder), else train."""
    for p in parts[:-2]:
        if p.lower() in SPLIT_FOLDERS:
            return SPLIT_FOLDERS[p.lower()]
    return "train"


def _labelled(found: list[tuple[str, str, str, Callable[[], bytes]]]) -> list[Entry]:
    index = {c: i for i, c in enumerate(class_order(c for _, _, c, _ in found))}
    return [Entry(where, split, index[c], read) for where, split, c, read in found]


def check_member_name(name: str, where: str) -> str:
    """The member's name with / separators; refuses names that leave the archive."""
    norm = name.replace("\\", "/")
    if norm.startswith("/") or (len(norm) > 1 and norm[1] == ":") or ".." in norm.split("/"):
        raise DataError(where, "member name leaves the archive (absolute path or '..'); refused")
    return norm


def open_zip(path: Path, display: str, limits: Limits) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    """An archive and its members (sorted, checked: no duplicates, no escapes, no symlinks)."""
    try:
        zf = zipfile.ZipFile(path)
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as e:
        raise DataError(display, f"not a readable zip archive ({e})") from None
    if len(infos) > limits.max_members:
        raise DataError(display, f"too many members ({len(infos)}, limit {limits.max_members})")
    seen, kept = set(), []
    for info in sorted(infos, key=lambda i: i.filename):
        where = f"{display}:{info.filename}"
        norm = check_member_name(info.filename, where)
        if norm in seen:
            raise DataError(where, "member name appears twice in the archive; refused")
        seen.add(norm)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise DataError(where, "member is a symbolic link; refused")
        if not info.is_dir():
            kept.append(info)
    return zf, kept


def zip_entries(path: Path, limits: Limits, display: str | None = None) -> tuple[list[Entry], list[str]]:
    """(entries, classes) of a zip of [split/]class/image files."""
    display = display or str(path)
    zf, infos = open_zip(path, display, limits)
    total, found = 0, []
    for info in infos:
        norm = info.filename.replace("\\", "/")
        where = f"{display}:{info.filename}"
        parts = PurePosixPath(norm).parts
        if is_junk(parts) or Path(norm).suffix.lower() not in IMAGE_EXTENSIONS:
            continue
        if info.file_size > limits.max_member_bytes:
            raise DataError(where, f"member is {info.file_size} bytes (limit {limits.max_member_bytes})")
        total += info.file_size
        if total > limits.max_total_bytes:
            raise DataError(display, f"uncompressed total exceeds the limit of {limits.max_total_bytes} bytes")
        if len(parts) < 2:
            raise DataError(where, "image is not inside a class folder (expected <class>/<image>)")
        found.append((where, split_of(parts), parts[-2], zip_reader(zf, info, where, limits.max_member_bytes)))
    entries = _labelled(found)
    return entries, class_order(c for _, _, c, _ in found)


def zip_reader(zf: zipfile.ZipFile, info: zipfile.ZipInfo, where: str, limit: int) -> Callable[[], bytes]:
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


def walk_files(root: Path, display: str) -> Iterator[tuple[Path, Path, str]]:
    """(file, path relative to root, name for messages) for every regular file; refuses symlinks."""
    if root.is_symlink():
        raise DataError(display, "the folder is a symbolic link; refused")
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        for d in dirnames:
            if (here / d).is_symlink():
                raise DataError(f"{display}/{(here / d).relative_to(root).as_posix()}",
                                "folder is a symbolic link; refused")
        dirnames.sort()
        for fname in sorted(filenames):
            p = here / fname
            rel = p.relative_to(root)
            where = f"{display}/{rel.as_posix()}"
            if p.is_symlink():
                raise DataError(where, "file is a symbolic link; refused")
            yield p, rel, where


def folder_entries(root: Path, limits: Limits, display: str | None = None) -> tuple[list[Entry], list[str]]:
    """(entries, classes) of a folder of [split/]class/image files."""
    display = display or str(root)
    total, found = 0, []
    for p, rel, where in walk_files(root, display):
        if is_junk(rel.parts) or p.suffix.lower() not in IMAGE_EXTENSIONS:
            continue
        size = p.stat().st_size
        if size > limits.max_member_bytes:
            raise DataError(where, f"file is {size} bytes (limit {limits.max_member_bytes})")
        total += size
        if total > limits.max_total_bytes:
            raise DataError(display, f"total size exceeds the limit of {limits.max_total_bytes} bytes")
        if len(rel.parts) < 2:
            raise DataError(where, "image is not inside a class folder (expected <class>/<image>)")
        found.append((where, split_of(rel.parts), rel.parts[-2], p.read_bytes))
        if len(found) > limits.max_members:
            raise DataError(display, f"too many images (limit {limits.max_members})")
    return _labelled(found), class_order(c for _, _, c, _ in found)


def fit(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Scale so the image covers (H, W) (the shorter side, for a square target), then crop the centre."""
    h, w = size
    scale = max(h / img.height, w / img.width)
    nw, nh = max(w, round(img.width * scale)), max(h, round(img.height * scale))
    if (nw, nh) != img.size:
        img = img.resize((nw, nh), Image.Resampling.BILINEAR)
    left, top = (nw - w) // 2, (nh - h) // 2
    return img.crop((left, top, left + w, top + h))


def decode(data: bytes, where: str, limits: Limits, size: tuple[int, int] | None = None) -> np.ndarray:
    """One image as uint8 [H, W] (grey) or [H, W, 3] (colour), fitted to `size` (H, W) when given."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            w, h = img.size
            if w * h > limits.max_pixels:
                raise DataError(where, f"image declares {w}x{h} pixels, over the limit of {limits.max_pixels} "
                                       f"(a decompression bomb?)")
            img = img.convert("RGB")
            if size is not None and (img.height, img.width) != tuple(size):
                img = fit(img, size)
            rgb = np.asarray(img)
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


def fit_array(arr: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """`fit` for a decoded uint8 [H, W] or [H, W, 3] array."""
    if arr.shape[:2] == tuple(size):
        return arr
    return np.asarray(fit(Image.fromarray(arr), size))


def decode_entries(entries: Iterable[Entry], display: str, limits: Limits,
                   resize: bool | Sequence[int] | None = None, each: Callable[[], None] | None = None
                   ) -> tuple[dict, list[dict], list[str]]:
    """Decode every image -> ({split: (images [N,C,H,W], labels)}, preprocessing, warnings). `each` is called
    before each image (a cancel check: it raises to stop).

    One size is needed: the images' own when they share it, else `resize` (H, W): each image scaled to cover
    it and centre-cropped (`resize=True`: the first image's size). Grey and colour mixed: all become RGB.
    Images are decoded one at a time; while an import is spooling (idx.spooling) each goes straight into a
    file in its staging folder and the splits come back memory-mapped, so memory holds one image.
    """
    if not entries:
        raise DataError(display, "no images found (expected <class>/<image>.png and the like)")
    target = tuple(int(v) for v in resize) if resize not in (None, False, True) else None
    sinks: dict[str, SplitPixels] = {}
    sizes, first_at = Counter(), {}
    budget, grey, count = limits.max_total_bytes, 0, 0
    try:
        for e in entries:
            if each is not None:
                each()
            arr = decode(e.read(), e.where, limits, target)
            if resize is True and target is None:
                target = arr.shape[:2]
            sizes[arr.shape[:2]] += 1
            first_at.setdefault(arr.shape[:2], e.where)
            budget -= arr.size
            if budget < 0:
                raise DataError(display, f"decoded images exceed the limit of {limits.max_total_bytes} bytes")
            grey, count = grey + (arr.ndim == 2), count + 1
            if len(sizes) == 1:   # once sizes differ the import is refused: the rest are decoded for their errors
                if e.split not in sinks:
                    sinks[e.split] = SplitPixels()
                sinks[e.split].add(arr, e.label)
        if not sizes:   # entries read lazily (HF rows) may turn out empty
            raise DataError(display, "no images found (expected <class>/<image>.png and the like)")
        if len(sizes) > 1:
            (h0, w0), (h1, w1) = list(sizes)[:2]
            raise DataError(first_at[(h1, w1)], f"image is {h1}x{w1} (height x width), the first image is {h0}x{w0} "
                                                f"(all images must have one size; found {sizes_text(sizes)}; "
                                                f"{fit_note()})")
        (h, w), = sizes
        colour = grey < count
        splits = {s: sinks[s].finish(colour, h, w) for s in SPLIT_ORDER if s in sinks}
    except BaseException:
        for sink in sinks.values():
            sink.discard()
        raise
    preprocessing, warns = [], []
    if target is not None:
        preprocessing.append({"resize": [int(h), int(w)], "method": "scale to cover, centre crop",
                              "interpolation": "bilinear"})
    if colour and grey:
        preprocessing.append({"to_rgb": True, "images": grey})
        warns.append(f"{grey} of {count} images are grayscale and the rest colour: all import as RGB "
                     f"(the grey copied to the three channels)")
    return splits, preprocessing, warns
