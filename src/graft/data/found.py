"""`Found`: what a reader got out of an input, before it is stored: splits as the data came, classes, and
what was decided on the way (the label column and why, preprocessing applied, warnings)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from graft.data.errors import DataError

SPLIT_ORDER = ("train", "val", "test")


@dataclass
class Found:
    kind: str
    splits: dict[str, tuple[np.ndarray, np.ndarray]]   # split -> (uint8 [N, C, H, W], int64 [N])
    classes: list[str] | None = None
    label_column: dict | None = None     # CSV/parquet: {column, name, by, evidence}
    preprocessing: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    source: Any = None                   # the name for messages about the whole input

    @property
    def shape(self) -> list[int]:
        return [int(d) for d in next(iter(self.splits.values()))[0].shape[1:]]

    def all_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Every split's samples, in split order (one array when there is one split: no copy)."""
        parts = [self.splits[s] for s in SPLIT_ORDER if s in self.splits]
        if len(parts) == 1:
            return parts[0]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def split_from_name(name: str) -> str | None:
    """train / test / val from a file name (`t10k` is MNIST's test), None when it names none."""
    low = name.lower()
    if "t10k" in low or "test" in low:
        return "test"
    if "train" in low:
        return "train"
    if "val" in low:
        return "val"
    return None


def sizes_text(sizes: Counter, cap: int = 6) -> str:
    """'height x width 4x4 (3 images), 8x6 (1 image)': in the order resize takes them, commonest first."""
    items = sizes.most_common()
    text = "height x width " + ", ".join(f"{h}x{w} ({n} image{'s' if n != 1 else ''})" for (h, w), n in items[:cap])
    return text + (f" and {len(items) - cap} more sizes" if len(items) > cap else "")


def fit_note() -> str:
    return ("import with resize=(height, width) to scale each image to cover that size and crop its centre")


def parse_resize(resize: Any, max_pixels: int) -> bool | tuple[int, int] | None:
    """None/False (native size), True (the first image's size, as before) or (H, W) (also 'H,W' or 'HxW')."""
    if resize is None or isinstance(resize, bool):
        return resize
    if isinstance(resize, str):
        resize = resize.lower().replace("x", ",").split(",")
    try:
        h, w = (int(v) for v in resize)
    except (TypeError, ValueError):
        raise DataError("resize", f"expected (height, width), found {resize!r}") from None
    if h < 1 or w < 1 or h * w > max_pixels:
        raise DataError("resize", f"expected a height and width of at least 1 and at most {max_pixels} pixels "
                                  f"in all, found {h}x{w}")
    return h, w


def merge_splits(parts: dict[str, list[tuple[np.ndarray, np.ndarray]]], where: object) -> dict:
    """Join per-split pieces; every split must share one image shape."""
    shapes = {tuple(im.shape[1:]) for pieces in parts.values() for im, _ in pieces}
    if len(shapes) > 1:
        raise DataError(where, f"splits have different image shapes {sorted(list(s) for s in shapes)}")
    out = {}
    for split in SPLIT_ORDER:
        pieces = parts.get(split)
        if pieces:
            out[split] = pieces[0] if len(pieces) == 1 else (np.concatenate([p[0] for p in pieces]),
                                                            np.concatenate([p[1] for p in pieces]))
    return out


def fit_arrays(images: np.ndarray, size: Sequence[int]) -> np.ndarray:
    """Fit uint8 [N, C, H, W] to (H, W) image by image (the same method as decoded files)."""
    from graft.data.images import fit_array
    if tuple(images.shape[2:]) == tuple(size):
        return images
    out = np.empty((len(images), images.shape[1], *size), dtype=np.uint8)
    for i, im in enumerate(images):
        hwc = im[0] if im.shape[0] == 1 else np.moveaxis(im, 0, -1)
        fitted = fit_array(np.ascontiguousarray(hwc), tuple(size))
        out[i] = fitted[None] if fitted.ndim == 2 else np.moveaxis(fitted, -1, 0)
    return out
