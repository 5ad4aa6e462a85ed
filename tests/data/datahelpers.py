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
