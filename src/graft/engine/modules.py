"""The merge modules (Add, Concat), and drop-in replacements for two nn modules whose CPU path wasted time in
graft's training step.

Dropout: PyTorch's CPU dropout draws one Mersenne-Twister number per element (`bernoulli_`), about 20 ns an
element, so the 1.2 M-element dropout of example-cnn cost 22 ms of a 70 ms bfloat16 training step. Here the
mask comes from numpy's PCG64 (16 random bits an element, 4 elements per 64-bit draw: about 2 ms), seeded from
torch's generator, so `torch.manual_seed` still makes a run reproducible and a checkpoint's saved RNG state still
resumes it exactly. The drop probability is p rounded to a multiple of 1/65536 (exact for 0.5, 0.25, 0.125...;
off by less than 8e-6 otherwise). Below MIN_ELEMENTS (numpy's fixed cost of about 25 us would dominate), on
other devices, and in eval mode, it is nn.Dropout.

Flatten: flattening a channels-last tensor copies it into (C, H, W) order, and nn.Flatten's backward hands the
layer before it a (C, H, W)-ordered gradient; MaxPool2d's CPU backward then converts its gradients to and
from channels-last (10.4 ms instead of 2.9 ms for example-cnn's pool, batch 128). This Flatten gives the
gradient back in the layout its input had.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

MIN_ELEMENTS = 8192


def keep_mask(x: torch.Tensor, p: float) -> torch.Tensor:
    """For each element of x: 0 if dropped, 1/(1-p) if kept (what nn.Dropout multiplies by), laid out like x."""
    n = x.numel()
    seed = int(torch.randint(0, 2**63 - 1, (), dtype=torch.int64))
    bits = np.random.PCG64(seed).random_raw((n + 3) // 4).view(np.int16)[:n]
    kept = torch.from_numpy(bits) >= -32768 + round(p * 65536)
    mask = torch.where(kept, torch.tensor(1 / (1 - p), dtype=x.dtype), torch.tensor(0, dtype=x.dtype))
    # the draws are independent, so any layout is a valid mask: take x's, or the multiply converts layouts
    if _channels_last(x):
        return mask.as_strided(x.shape, x.stride())
    return mask.view(x.shape)


class Dropout(nn.Dropout):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        if x.device.type != "cpu" or x.numel() < MIN_ELEMENTS or self.p == 1 or self.inplace:
            return F.dropout(x, self.p, True, self.inplace)
        return x * keep_mask(x, self.p)


class Flatten(nn.Flatten):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and x.requires_grad and (self.start_dim, self.end_dim) == (1, -1) and _channels_last(x):
            return _FlattenChannelsLast.apply(x)
        return super().forward(x)


class _FlattenChannelsLast(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.shape = x.shape
        return x.flatten(1)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape).contiguous(memory_format=torch.channels_last)


def _channels_last(x: torch.Tensor) -> bool:
    return x.dim() == 4 and not x.is_contiguous() and x.is_contiguous(memory_format=torch.channels_last)


class AddModule(nn.Module):
    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out


class MulModule(nn.Module):
    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        out = xs[0]
        for x in xs[1:]:
            out = out * x
        return out


class ConcatModule(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        return torch.cat(xs, dim=self.dim)


# The modules below have no torch.nn equivalent; ops.export_python copies their source into exported files,
# so each uses only `torch` and `nn`.

class Permute(nn.Module):
    def __init__(self, *dims: int):
        super().__init__()
        self.dims = dims

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.permute(*self.dims)


class Scale(nn.Module):
    """A learned factor (and optionally offset) per channel; `trailing` dimensions follow the channel one."""

    def __init__(self, channels: int, trailing: int = 0, bias: bool = False):
        super().__init__()
        self.shape = (channels,) + (1,) * trailing
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels)) if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x * self.weight.view(self.shape)
        return out if self.bias is None else out + self.bias.view(self.shape)


class LayerNormDim(nn.LayerNorm):
    """nn.LayerNorm over one dimension that is not the last (dim counts the batch): the channels of (N, C, H, W)."""

    def __init__(self, channels: int, dim: int, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True):
        super().__init__(channels, eps=eps, elementwise_affine=elementwise_affine, bias=bias)
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        last = x.dim() - 1   # not -1: the ONNX exporter writes a negative movedim as an invalid Transpose
        return super().forward(x.movedim(self.dim, last)).movedim(last, self.dim)
