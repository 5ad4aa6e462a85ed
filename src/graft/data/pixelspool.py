"""One split's decoded images, gathered one at a time: in memory, or (while an import is spooling,
idx.spooling) appended to a file in its staging folder and memory-mapped from there, so memory holds one image.
"""
from __future__ import annotations

import contextlib
import os

import numpy as np

from graft.data import idx


class SplitPixels:
    def __init__(self) -> None:
        self.labels: list[int] = []
        self.grey: list[bool] = []
        self.parts: list[np.ndarray] = []
        self.file = self.path = None
        if idx.spool_folder() is not None:
            fd, self.path = idx.spool_file()
            self.file = os.fdopen(fd, "wb")

    def add(self, arr: np.ndarray, label: int) -> None:
        """One image, uint8 [H, W] (grey) or [H, W, 3] (colour); grey is written with one channel."""
        self.labels.append(label)
        self.grey.append(arr.ndim == 2)
        if self.file is None:
            self.parts.append(arr)
        else:
            self.file.write(np.ascontiguousarray(arr if arr.ndim == 2 else np.moveaxis(arr, -1, 0)))

    def finish(self, colour: bool, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
        """(images uint8 [N, C, H, W], labels int64): C is 3 when any image of the data set is colour."""
        labels = np.array(self.labels, dtype=np.int64)
        n = len(self.labels)
        if self.file is None:
            images = np.empty((n, 3 if colour else 1, h, w), dtype=np.uint8)
            for j, arr in enumerate(self.parts):
                images[j] = np.moveaxis(arr, -1, 0) if arr.ndim == 3 else arr[None]
            return images, labels
        self.file.close()
        if colour and any(self.grey):
            self._to_rgb(h, w)
        try:
            return np.memmap(self.path, dtype=np.uint8, mode="r", shape=(n, 3 if colour else 1, h, w)), labels
        finally:
            os.unlink(self.path)

    def _to_rgb(self, h: int, w: int) -> None:
        """Rewrite the file with every grey image copied to three channels, a chunk at a time."""
        sizes = np.where(self.grey, h * w, 3 * h * w)
        ends = np.cumsum(sizes)
        flat = np.memmap(self.path, dtype=np.uint8, mode="r", shape=(int(ends[-1]),))
        fd, rgb_path = idx.spool_file()
        try:
            with os.fdopen(fd, "wb") as out:
                for i, (end, grey) in enumerate(zip(ends.tolist(), self.grey)):
                    one = flat[end - int(sizes[i]):end]
                    out.write(np.broadcast_to(one.reshape(1, h, w), (3, h, w)).tobytes() if grey else one)
                    if i % 4096 == 4095:
                        idx.release_pages(flat)
        except BaseException:
            os.unlink(rgb_path)
            raise
        finally:
            del flat
        os.unlink(self.path)
        self.path = rgb_path

    def discard(self) -> None:
        if self.file is not None:
            self.file.close()
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)
