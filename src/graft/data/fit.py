"""Fitting images to a network's input size at train time: `resize: [H, W]` with `fit: crop | pad`.

crop: scale so the image covers H x W (the shorter side fits) and cut the centre; pad: scale so it fits inside
and letterbox it with black. The resampling is separable and antialiased (a triangle filter widened when
shrinking, as PIL's bilinear), vectorised over the batch, in numpy only: the engine applies it to every batch,
and `fit_images` is copied as source into exported Python, so a model sees the same pixels everywhere.
"""
from __future__ import annotations

import numpy as np

from graft.data.errors import DataError

FITS = ("crop", "pad")


def fit_images(images, size, fit="crop"):
    """uint8 [N, C, H, W] -> uint8 [N, C, size[0], size[1]]: scaled to cover and centre-cropped ("crop") or
    scaled to fit and padded with black ("pad"). Images already of that size are returned as they are."""
    images = np.asarray(images)
    h_in, w_in = int(images.shape[2]), int(images.shape[3])
    h, w = int(size[0]), int(size[1])
    if (h_in, w_in) == (h, w):
        return images
    scale = (max if fit == "crop" else min)(h / h_in, w / w_in)

    def axis(n_in, n_out):
        # (weights [n_out, n_in], first output row the image fills, rows it fills)
        full = max(1, int(round(n_in * scale)))
        shown = min(full, n_out)
        skip, at = max(full - n_out, 0) // 2, max(n_out - full, 0) // 2
        centre = (np.arange(shown) + skip + 0.5) / scale - 0.5
        support = max(1.0, 1.0 / scale)
        weights = np.maximum(0.0, 1.0 - np.abs(np.arange(n_in)[None, :] - centre[:, None]) / support)
        return (weights / weights.sum(axis=1, keepdims=True)).astype(np.float32), at, shown

    wh, top, rows = axis(h_in, h)
    ww, left, cols = axis(w_in, w)
    out = np.zeros((len(images), images.shape[1], h, w), dtype=np.uint8)
    n_c = images.shape[1]
    for start in range(0, len(images), 1024):   # bounded memory: a float32 copy of 1,024 images at a time
        chunk = images[start:start + 1024].astype(np.float32)
        k = len(chunk)
        # two plain 2-D products (one per axis): BLAS runs them at full speed, a stack of small ones it does not
        across = (chunk.reshape(-1, w_in) @ ww.T).reshape(k, n_c, h_in, cols).transpose(0, 1, 3, 2)
        scaled = (across.reshape(-1, h_in) @ wh.T).reshape(k, n_c, cols, rows).transpose(0, 1, 3, 2)
        out[start:start + k, :, top:top + rows, left:left + cols] = np.clip(np.rint(scaled), 0, 255)
    return out


def fitted_shape(shape, fit: dict | None) -> list[int]:
    """[C, H, W] after a fit ({resize: [H, W], fit}), or `shape` when there is none."""
    shape = [int(d) for d in shape]
    return [shape[0], *[int(d) for d in fit["resize"]]] if fit else shape


def parse_fit(ref: dict) -> dict | None:
    """{resize: [H, W], fit: crop|pad} from a data reference's `resize` and `fit`, or None; raises ValueError
    naming the field."""
    resize, fit = ref.get("resize"), ref.get("fit")
    if resize is None:
        if fit is not None:
            raise DataError("data.fit", f"fit says how to resize; give resize: [H, W] with it (found fit {fit!r} "
                                        "without resize)")
        return None
    if (not isinstance(resize, (list, tuple)) or len(resize) != 2
            or not all(isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 4096 for d in resize)):
        raise DataError("data.resize", f"expected [height, width], two whole numbers from 1 to 4096, found {resize!r}")
    if fit is not None and fit not in FITS:
        raise DataError("data.fit", f"expected one of {', '.join(FITS)}, found {fit!r}")
    return {"resize": [int(resize[0]), int(resize[1])], "fit": fit or "crop"}


def parse_channel_stats(ref: dict) -> dict | None:
    """{mean: [..], std: [..]} (per channel, pixels scaled to [0, 1]) from a data reference, or None."""
    mean, std = ref.get("mean"), ref.get("std")
    if mean is None and std is None:
        return None
    for name, value in (("mean", mean), ("std", std)):
        if (not isinstance(value, (list, tuple)) or not 1 <= len(value) <= 4
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)):
            raise DataError(f"data.{name}", f"expected one number per channel (1 to 4 numbers) with "
                                            f"{'std' if name == 'mean' else 'mean'} beside it, found {value!r}")
    if len(mean) != len(std):
        raise DataError("data.std", f"expected as many numbers as mean ({len(mean)}), found {len(std)}")
    if not all(s > 0 for s in std):
        raise DataError("data.std", f"expected numbers above 0, found {list(std)}")
    return {"mean": [float(v) for v in mean], "std": [float(v) for v in std]}
