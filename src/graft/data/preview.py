"""`inspect_dataset`: look before you import. A dry run of `read_dataset` that writes nothing and says what
it found (format, splits, classes and counts, image sizes and channels, the label column and why, the first
images) and what to worry about (one class, heavy imbalance, images shared by train and test, mixed sizes).
"""
from __future__ import annotations

import base64
import hashlib
import io
from collections import Counter
from typing import Any, Sequence

import numpy as np

from graft.data.csvfile import LabelColumnError
from graft.data.errors import DataError
from graft.data.found import SPLIT_ORDER, fit_note, parse_resize, sizes_text
from graft.data.hfzip import Scratch
from graft.data.images import Limits, decode, fit_array
from graft.data.ingest import class_names, display_of, encoded_images, read_arrays, sniff_kind
from graft.data.render import _to_pil

IMBALANCE_RATIO = 10      # warn when the largest class of a split has this many times the smallest
MAX_SIZES = 20            # distinct image sizes listed
THUMB = 64                # sample images are at most this many pixels a side


def _thumb_url(hwc: np.ndarray) -> str:
    img = _to_pil(hwc)
    img.thumbnail((THUMB, THUMB))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _hwc(chw: np.ndarray) -> np.ndarray:
    return chw[0] if chw.shape[0] == 1 else np.moveaxis(chw, 0, -1)


class _Tally:
    """What inspect counts, one image at a time (so images of any size need not be held together)."""

    def __init__(self, sample: int, as_png: bool):
        self.sizes, self.channels, self.counts = Counter(), Counter(), {}
        self.hashes: dict[str, set[bytes]] = {}
        self.samples: list[dict] = []
        self.sample, self.as_png = sample, as_png

    def add(self, split: str, label: int, hwc: np.ndarray, native: tuple[int, int], grey: bool) -> None:
        self.sizes[native] += 1
        self.channels[1 if grey else 3] += 1
        self.counts.setdefault(split, Counter())[label] += 1
        self.hashes.setdefault(split, set()).add(hashlib.blake2b(hwc.tobytes(), digest_size=16).digest()
                                                 + bytes(str(hwc.shape), "ascii"))
        if len(self.samples) < self.sample:
            image = _thumb_url(hwc) if self.as_png else np.ascontiguousarray(hwc).tolist()
            self.samples.append({"split": split, "label": int(label), "image": image})


def _tally_encoded(entries, limits: Limits, size, tally: _Tally) -> None:
    for e in entries:
        arr = decode(e.read(), e.where, limits)
        fitted = fit_array(arr, size) if size else arr
        tally.add(e.split, e.label, fitted, arr.shape[:2], arr.ndim == 2)


def _tally_arrays(found, size, tally: _Tally) -> None:
    for split in SPLIT_ORDER:
        if split not in found.splits:
            continue
        images, labels = found.splits[split]
        for im, lab in zip(images, labels):
            hwc = _hwc(im)
            tally.add(split, int(lab), fit_array(hwc, size) if size else hwc, im.shape[1:], im.shape[0] == 1)


def _warnings(tally: _Tally, classes: list[str], size, extra: list[str]) -> tuple[list[dict], str | None]:
    warns = [{"code": "reader", "message": m} for m in extra]
    error = None
    if len(classes) == 1:
        warns.append({"code": "one_class", "message": f"one class only ({classes[0]!r}): nothing to tell apart"
                                                      " (is the label column right?)"})
    for split, counts in tally.counts.items():
        per = [counts.get(i, 0) for i in range(len(classes))]
        if len(per) > 1 and max(per) >= IMBALANCE_RATIO * max(min(per), 1):
            hi, lo = int(np.argmax(per)), int(np.argmin(per))
            warns.append({"code": "imbalance", "message": f"heavy imbalance in {split}: {classes[hi]!r} has "
                          f"{per[hi]} images, {classes[lo]!r} {per[lo]} (warned from {IMBALANCE_RATIO}:1)"})
    shared = len(tally.hashes.get("train", set()) & tally.hashes.get("test", set()))
    if shared:
        appear = "images appear" if shared != 1 else "image appears"
        warns.append({"code": "train_test_overlap", "message": f"{shared} {appear} "
                      f"in both train and test (identical pixels): test accuracy would overstate"})
    if len(tally.sizes) > 1:
        (h, w), _ = tally.sizes.most_common(1)[0]
        what = f"all will be fitted to {size[0]}x{size[1]} (height x width): scaled to cover, centre cropped" \
            if size else f"import needs a size: {fit_note()}, e.g. resize=({h}, {w}) (the commonest)"
        warns.append({"code": "mixed_sizes", "message": f"images have {len(tally.sizes)} sizes "
                      f"({sizes_text(tally.sizes)}); {what}"})
        if not size:
            error = f"all images must have one size; found {sizes_text(tally.sizes)}; {fit_note()}"
    if len(tally.channels) > 1:
        warns.append({"code": "mixed_channels", "message": f"{tally.channels[1]} grayscale and "
                      f"{tally.channels[3]} colour images: all will import as RGB"})
    return warns, error


def inspect_dataset(path: Any, *, display_name: str | None = None, label_column: int | str | None = None,
                    resize: Any = None, limits: Limits | None = None, sample: int = 16, kind: str | None = None,
                    classes: Sequence[str] | None = None, shape: Sequence[int] | None = None,
                    sample_format: str = "png", scratch_dir: Any = None) -> dict:
    """What importing `path` would give, as JSON-ready data; writes nothing.

    Raises DataError for input that cannot be read at all; an ambiguous CSV label column and mixed sizes
    without `resize` come back as `error` (with `label_candidates` / `sizes`) so a picker can be offered.
    Samples: `sample_format` "png" gives data:image/png;base64 URLs (at most 64 px a side), "array" nested
    uint8 lists [H, W] or [H, W, 3]. A zipped Hugging Face folder is unpacked for the look into `scratch_dir`
    (default: the system's temporary folder) and removed before this returns.
    """
    limits = limits or Limits()
    display = display_of(path, display_name)
    size = parse_resize(resize, limits.max_pixels)
    size = size if isinstance(size, tuple) else None
    kind = kind or sniff_kind(path, display)
    tally = _Tally(sample, sample_format == "png")
    report: dict[str, Any] = {"display_name": display, "format": kind, "label_column": None,
                              "label_candidates": [], "preprocessing": [], "error": None}
    with Scratch(scratch_dir) as scratch:   # a zipped HF folder's copy lives while its rows are read
        enc = encoded_images(path, kind, limits, display, label_column, scratch)
        try:
            if enc is not None:
                entries, names, info = enc
                if not entries:
                    raise DataError(display, "no images found (expected <class>/<image>.png and the like)")
                _tally_encoded(entries, limits, size, tally)
                if not tally.sizes:
                    raise DataError(display, "no images found (expected <class>/<image>.png and the like)")
                names = list(classes) if classes else names
                names = names or [str(i) for i in range(max(max(c) for c in tally.counts.values()) + 1)]
                extra = []
            else:
                found = read_arrays(path, kind, limits, display, classes, label_column, shape)
                names, info, extra = class_names(found, classes), found.label_column, found.warnings
                _tally_arrays(found, size, tally)
        except LabelColumnError as e:
            return {**report, "error": str(e), "label_candidates": e.candidates, "splits": {}, "classes": [],
                    "sizes": [], "channels": {}, "shape": None, "samples": {"format": sample_format, "items": []},
                    "warnings": [{"code": "label_column", "message": str(e)}]}
    warns, error = _warnings(tally, names, size, extra)
    (h, w), _ = tally.sizes.most_common(1)[0]
    channels = 3 if tally.channels[3] else 1
    fitted = size or ((h, w) if len(tally.sizes) == 1 else None)
    if size and tally.sizes != Counter({size: sum(tally.sizes.values())}):
        report["preprocessing"].append({"resize": list(size), "method": "scale to cover, centre crop",
                                        "interpolation": "bilinear"})
    if channels == 3 and tally.channels[1]:
        report["preprocessing"].append({"to_rgb": True, "images": tally.channels[1]})
    for item in tally.samples:
        item["class"] = names[item["label"]] if item["label"] < len(names) else str(item["label"])
    return {**report, "label_column": info, "error": error, "classes": names, "has_test": "test" in tally.counts,
            "splits": {s: {"count": sum(c.values()), "counts": {names[i] if i < len(names) else str(i): n
                                                                 for i, n in sorted(c.items())}}
                       for s, c in sorted(tally.counts.items(), key=lambda kv: SPLIT_ORDER.index(kv[0]))},
            "sizes": [{"height": int(sh), "width": int(sw), "count": n}
                      for (sh, sw), n in tally.sizes.most_common(MAX_SIZES)],
            "sizes_more": max(0, len(tally.sizes) - MAX_SIZES),
            "channels": {str(c): n for c, n in sorted(tally.channels.items())},
            "shape": [channels, *fitted] if fitted else None,
            "samples": {"format": sample_format, "items": tally.samples}, "warnings": warns}
