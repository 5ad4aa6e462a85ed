"""PNG rendering of samples for the UI and the API."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from graft.data import load_dataset
from graft.data.render import WRONG, image_grid_png, image_png


def _open(png: bytes) -> Image.Image:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return Image.open(io.BytesIO(png)).convert("RGB")


def test_single_image_is_upscaled_crisply():
    ds = load_dataset({"dataset": "mnist", "transforms": [{"limit": 1}]}, "test")
    img = _open(image_png(ds.images[0], scale=4))
    assert img.size == (112, 112)
    assert img.getpixel((4 * 14, 4 * 14))[0] == ds.images[0, 0, 14, 14]
    assert img.getpixel((4 * 14 + 3, 4 * 14 + 3)) == img.getpixel((4 * 14, 4 * 14))


def test_grid_marks_only_wrong_predictions():
    ds = load_dataset({"dataset": "mnist", "transforms": [{"limit": 6}]}, "test")
    preds = ds.labels.copy()
    preds[4] = (preds[4] + 1) % 10
    right = _open(image_grid_png(ds.images, ds.labels, cols=3))
    marked = _open(image_grid_png(ds.images, ds.labels, preds, cols=3))
    assert right.size == marked.size and right.width > 3 * 28 and right.height > 2 * 28
    def red(im: Image.Image) -> int:
        return int((np.asarray(im) == WRONG).all(axis=-1).sum())
    assert red(right) == 0 and red(marked) > 50


def test_grid_colour_images_and_mismatched_lengths():
    rgb = np.zeros((2, 3, 5, 5), dtype=np.uint8)
    rgb[:, 1] = 255
    img = _open(image_grid_png(rgb, [0, 1], classes=["a", "b"], scale=1))
    assert (np.asarray(img) == (0, 255, 0)).all(axis=-1).any()
    with pytest.raises(ValueError, match="2 images, 1 labels"):
        image_grid_png(rgb, [0])
