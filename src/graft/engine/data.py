"""Tensors for training and evaluation, without DataLoader: normalize once, index batches directly.

The uint8 images are turned into one normalized float32 tensor (on the training device) up front; batches are
slices of a seeded permutation. On MNIST this is ~190 MB for 60k images and costs well under a second, and it
is faster per step than normalizing each uint8 batch.

A set whose float32 tensor would pass STREAM_ABOVE_BYTES is streamed instead (`StreamedImages`): each batch's
rows are read from the uint8 IDX file of an imported set (or gathered from the array) and normalized alone,
so the process never holds the set.
"""
from __future__ import annotations

import mmap
import os
import weakref
from typing import Any

import numpy as np
import torch


def pick_device(name: str | None) -> torch.device:
    if name in (None, "", "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"hparams.device: expected auto or cpu on this machine (no CUDA), found {name!r}")
    return torch.device(name)


def normalization_of(ds: Any, given: dict | None = None) -> dict[str, Any]:
    """{mean, std}: one number each (the data's pixel statistics by default) or one per channel (a data
    reference's or an imported model's `mean`/`std`)."""
    if given:
        one = lambda v: [float(x) for x in v] if isinstance(v, (list, tuple)) else float(v)   # noqa: E731
        return {"mean": one(given["mean"]), "std": one(given["std"])}
    return {"mean": float(ds.mean), "std": float(ds.std) or 1.0}


def normalize_(x: torch.Tensor, norm: dict[str, Any]) -> torch.Tensor:
    """uint8-valued float32 [N, C, H, W] -> (x / 255 - mean) / std in place, per channel when given per channel."""
    x.div_(255.0)
    mean, std = norm["mean"], norm["std"]
    if isinstance(mean, list):
        shape = (1, len(mean), 1, 1)
        return x.sub_(torch.tensor(mean, device=x.device).view(shape)).div_(torch.tensor(std, device=x.device)
                                                                            .view(shape))
    return x.sub_(mean).div_(std)


def blank_value(norm: dict[str, Any]) -> Any:
    """The normalized value of a black pixel: a number, or a [1, C, 1, 1] tensor for per-channel statistics."""
    if isinstance(norm["mean"], list):
        return torch.tensor([-m / s for m, s in zip(norm["mean"], norm["std"])]).view(1, -1, 1, 1)
    return (0.0 - norm["mean"]) / norm["std"]


def prepared(ds: Any, images: Any) -> Any:
    """uint8 rows as the network sees them: the data set's fit to the input size (data.Dataset.prepare)."""
    prepare = getattr(ds, "prepare", None)
    return prepare(images) if prepare is not None else images


def input_tensor(ds: Any, norm: dict[str, Any], device: torch.device, channels_last: bool = False) -> torch.Tensor:
    """All images of `ds` as normalized float32 [N, C, H, W] on `device` (fitted to the input size once)."""
    fitted = prepared(ds, ds.images)
    x = torch.from_numpy(np.array(fitted, copy=True) if fitted is ds.images else fitted).to(device)
    x = normalize_(x.to(torch.float32), norm)
    if channels_last and x.dim() == 4:
        x = x.contiguous(memory_format=torch.channels_last)
    return x


STREAM_ABOVE_BYTES = 1 << 30    # float32 bytes of the whole set (MNIST's 60,000 images: 188 MB, in memory)


def streams(ds: Any, choice: Any = "auto") -> bool:
    """Whether `ds` is streamed batch by batch (`choice`: "auto", True or False)."""
    if choice != "auto":
        return bool(choice)
    shape = getattr(ds, "shape", None) or ds.images.shape[1:]   # the fitted shape: what the tensor would hold
    return len(ds.images) * int(np.prod(shape, dtype=np.int64)) * 4 > STREAM_ABOVE_BYTES


def file_rows(arr: Any) -> tuple[str, int] | None:
    """(file, byte position of row 0) when `arr`'s rows lie back to back in a memory-mapped file, else None."""
    root = arr
    while root is not None and not (isinstance(root, np.memmap) and isinstance(root.base, mmap.mmap)):
        root = getattr(root, "base", None)
    if root is None or not root.filename or not isinstance(arr, np.ndarray) or not arr.flags.c_contiguous:
        return None
    return root.filename, int(root.offset) + (arr.ctypes.data - root.ctypes.data)


class StreamedImages:
    """Normalized batches of a uint8 [N, C, H, W] array, gathered row by row (never the whole set).

    Rows of a memory-mapped file are read with pread into one batch buffer: through the OS page cache, so
    the process holds one batch. (Gathering through the mapping instead pulled whole large folios into the
    process: on ext4 with Linux 6.18, 256 random rows of a 300 MB file mapped 230 MB.) Other arrays
    (in memory, or views the position of which is unknown) are fancy-indexed per batch.
    """

    def __init__(self, images: Any, norm: dict[str, Any], device: torch.device, channels_last: bool = False,
                 prepare: Any = None):
        self.images, self.norm, self.device, self.channels_last = images, norm, device, channels_last
        self.prepare = prepare   # per batch: the fit to the network's input size
        self.row = int(np.prod(images.shape[1:], dtype=np.int64)) * images.dtype.itemsize
        at = file_rows(images)
        self.fd, self.start = (os.open(at[0], os.O_RDONLY), at[1]) if at else (None, 0)
        if self.fd is not None:
            weakref.finalize(self, os.close, self.fd)

    def __len__(self) -> int:
        return len(self.images)

    def _read(self, rows: np.ndarray | slice) -> np.ndarray:
        if self.fd is None:
            return np.ascontiguousarray(self.images[rows])
        if isinstance(rows, slice):
            start, stop, _ = rows.indices(len(self.images))
            out = np.empty((max(stop - start, 0), *self.images.shape[1:]), dtype=self.images.dtype)
            if len(out):
                os.preadv(self.fd, [out], self.start + start * self.row)
            return out
        out = np.empty((len(rows), *self.images.shape[1:]), dtype=self.images.dtype)
        for j, r in enumerate(rows.tolist()):
            os.preadv(self.fd, [out[j]], self.start + r * self.row)
        return out

    def rows(self, rows: np.ndarray | slice) -> torch.Tensor:
        raw = self._read(rows)
        x = torch.from_numpy(self.prepare(raw) if self.prepare is not None else raw).to(self.device)
        x = normalize_(x.to(torch.float32), self.norm)
        if self.channels_last and x.dim() == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        return x

    def index_select(self, dim: int, idx: torch.Tensor) -> torch.Tensor:
        """The in-memory tensor's call, so the training loop takes batches from either the same way."""
        return self.rows(idx.cpu().numpy())

    def slice(self, start: int, stop: int) -> torch.Tensor:
        return self.rows(slice(start, stop))


def batches_of(ds: Any, norm: dict[str, float], device: torch.device, channels_last: bool = False,
               stream: Any = "auto") -> Any:
    """The whole set as one normalized tensor, or a StreamedImages over it (both have index_select)."""
    if streams(ds, stream):
        return StreamedImages(ds.images, norm, device, channels_last, getattr(ds, "prepare", None))
    return input_tensor(ds, norm, device, channels_last)


def has_conv(model: torch.nn.Module) -> bool:
    """Networks with convolutions run channels-last (measured faster on the CPU for training and evaluation)."""
    return any(isinstance(m, torch.nn.modules.conv._ConvNd) for m in model.modules())


def label_tensor(ds: Any, device: torch.device) -> torch.Tensor:
    return torch.tensor(np.asarray(ds.labels, dtype=np.int64), device=device)


def permutation(n: int, seed: int, epoch: int) -> torch.Tensor:
    """The sample order of one epoch: a function of (seed, epoch) only, so a resumed run replays it exactly."""
    g = torch.Generator().manual_seed(seed * 100_003 + epoch)
    return torch.randperm(n, generator=g)
