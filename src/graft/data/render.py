"""PNG pictures of samples: one image upscaled, or a labelled grid with wrong predictions marked in red."""
from __future__ import annotations

import io
from typing import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

WRONG = (220, 30, 30)
RIGHT = (20, 20, 20)
BACKGROUND = (255, 255, 255)


def _to_pil(image: np.ndarray) -> Image.Image:
    """[C, H, W] or [H, W] uint8 -> grey or RGB image."""
    arr = np.asarray(image)
    if arr.ndim == 3 and arr.shape[0] in (1, 3):
        arr = arr[0] if arr.shape[0] == 1 else np.moveaxis(arr, 0, -1)
    if arr.ndim not in (2, 3):
        raise ValueError(f"expected an image of shape [C, H, W] or [H, W], found {list(np.shape(image))}")
    if arr.dtype != np.uint8:
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    return Image.fromarray(np.ascontiguousarray(arr))


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def image_png(image: np.ndarray, scale: int = 8) -> bytes:
    """One sample as a PNG, upscaled with nearest neighbour so pixels stay crisp."""
    img = _to_pil(image)
    return _png(img.resize((img.width * scale, img.height * scale), Image.NEAREST))


def _fit(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.ImageFont, width: int) -> str:
    """Shorten a caption so it does not run into the next cell."""
    if draw.textlength(text, font=font) <= width:
        return text
    while len(text) > 1 and draw.textlength(text + "..", font=font) > width:
        text = text[:-1]
    return text + ".."


def image_grid_png(images: np.ndarray, labels: Sequence[int], preds: Sequence[int] | None = None, cols: int = 10,
                   classes: Sequence[str] | None = None, scale: int = 2) -> bytes:
    """A grid of samples, each with its label underneath; with `preds`, wrong ones framed and captioned in red
    as "label>pred"."""
    n = len(images)
    if len(labels) != n or (preds is not None and len(preds) != n):
        raise ValueError(f"need one label (and prediction) per image: {n} images, {len(labels)} labels"
                         + ("" if preds is None else f", {len(preds)} predictions"))
    cols = max(1, min(cols, n or 1))
    rows = max(1, -(-n // cols))
    first = _to_pil(images[0]) if n else Image.new("L", (28, 28))
    cell_w, cell_h = first.width * scale, first.height * scale
    font = ImageFont.load_default()
    caption_h, pad = 14, 4
    grid = Image.new("RGB", (cols * (cell_w + 2 * pad), rows * (cell_h + caption_h + 2 * pad)), BACKGROUND)
    draw = ImageDraw.Draw(grid)

    def name(i: int) -> str:
        return str(classes[i]) if classes is not None and 0 <= i < len(classes) else str(i)

    for k in range(n):
        x = (k % cols) * (cell_w + 2 * pad) + pad
        y = (k // cols) * (cell_h + caption_h + 2 * pad) + pad
        tile = _to_pil(images[k]).convert("RGB").resize((cell_w, cell_h), Image.NEAREST)
        grid.paste(tile, (x, y))
        label = int(labels[k])
        wrong = preds is not None and int(preds[k]) != label
        caption = f"{name(label)}>{name(int(preds[k]))}" if wrong else name(label)
        if wrong:
            draw.rectangle((x - 2, y - 2, x + cell_w + 1, y + cell_h + 1), outline=WRONG, width=2)
        draw.text((x, y + cell_h + 1), _fit(draw, caption, font, cell_w + pad), fill=WRONG if wrong else RIGHT,
                  font=font)
    return _png(grid)
