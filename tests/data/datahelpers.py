"""Helpers for the data tests (a uniquely named module, so it never clashes with another folder's conftest)."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image


def idx_bytes(arr: np.ndarray, type_byte: int = 0x08) -> bytes:
    header = bytes([0, 0, type_byte, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    return header + np.ascontiguousarray(arr).astype(">u1" if type_byte == 0x08 else arr.dtype).tobytes()


def png_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def files_under(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def image_bytes(arr: np.ndarray, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format=fmt, **({"quality": 95} if fmt == "JPEG" else {}))
    return buf.getvalue()


def digits_like(n: int, side: int = 28, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """MNIST-shaped samples: a zero border (so the first and last pixels are always 0), strokes inside."""
    rng = np.random.default_rng(seed)
    images = np.zeros((n, side, side), dtype=np.uint8)
    images[:, 4:-4, 4:-4] = rng.integers(0, 256, (n, side - 8, side - 8))
    return images, (np.arange(n) % 10).astype(np.uint8)
