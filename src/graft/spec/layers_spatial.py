"""Spatial layers: convolutions, pooling, upsampling. Shapes exclude the batch dimension (C, H, W)."""
from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from .issues import ShapeError
from .layers import Layer, NonNegInt, Params, PosInt, Recipe, Shape, conv_out, expect_rank, pair, register

Pos = PosInt
NonNeg = NonNegInt
Pair = Pos | tuple[Pos, Pos]
NonNegPair = NonNeg | tuple[NonNeg, NonNeg]


def _check_size(out: tuple[int, ...], shape: Shape, what: str, field: str) -> None:
    if min(out) < 1:
        raise ShapeError(f"input is too small for this {what}: the output would be {list(out)}",
                         port=0, expected=f"spatial size large enough for the {what}", found=list(shape),
                         field=field)


class _ConvParams(Params):
    out_channels: Pos
    kernel_size: Pair
    stride: Pair = 1
    padding: NonNegPair | Literal["same", "valid"] = 0
    dilation: Pair = 1
    groups: Pos = 1
    bias: bool = True

    @field_validator("padding")
    @classmethod
    def _same_needs_stride_1(cls, v, info: ValidationInfo):
        stride = info.data.get("stride")
        if v == "same" and stride is not None and pair(stride) != (1, 1):
            raise ValueError("padding 'same' needs stride 1")
        return v

    @field_validator("groups")
    @classmethod
    def _groups_divide_out(cls, v, info: ValidationInfo):
        out = info.data.get("out_channels")
        if out is not None and out % v:
            raise ValueError(f"groups must divide out_channels ({out})")
        return v


class Conv1dParams(_ConvParams):
    kernel_size: Pos
    stride: Pos = 1
    padding: NonNeg | Literal["same", "valid"] = 0
    dilation: Pos = 1


def _conv_common(p: _ConvParams, shape: Shape) -> None:
    if shape[0] % p.groups:
        raise ShapeError(f"groups ({p.groups}) must divide the input channels", port=0,
                         expected=f"channels divisible by {p.groups}", found=list(shape), field="params.groups")


def _conv_sizes(p: _ConvParams, sizes: tuple[int, ...]) -> tuple[int, ...]:
    n = len(sizes)
    k, s, d = (pair(p.kernel_size)[:n], pair(p.stride)[:n], pair(p.dilation)[:n])
    if p.padding == "same":
        return sizes
    pad = (0, 0) if p.padding == "valid" else pair(p.padding)
    return tuple(conv_out(sizes[i], k[i], s[i], pad[i], d[i]) for i in range(n))


def _torch_padding(p: _ConvParams):
    return p.padding if isinstance(p.padding, (int, str)) else tuple(p.padding)


@register
class Conv1d(Layer):
    type = "Conv1d"
    category = "convolution"
    doc = "1-D convolution over (channels, length) inputs; in_channels comes from the input."
    Params = Conv1dParams

    @classmethod
    def infer(cls, p, inputs):
        shape = inputs[0]
        expect_rank(shape, (2,), what=" (channels, length)")
        _conv_common(p, shape)
        out = _conv_sizes(p, shape[1:])
        _check_size(out, shape, "kernel", "params.kernel_size")
        return (p.out_channels, *out)

    @classmethod
    def param_count(cls, p, inputs):
        return p.out_channels * (inputs[0][0] // p.groups) * p.kernel_size + (p.out_channels if p.bias else 0)

    @classmethod
    def recipe(cls, p, inputs):
        return Recipe("Conv1d", (inputs[0][0], p.out_channels, p.kernel_size),
                      {"stride": p.stride, "padding": _torch_padding(p), "dilation": p.dilation, "groups": p.groups,
                       "bias": p.bias})


@register
class Conv2d(Layer):
    type = "Conv2d"
    category = "convolution"
    doc = "2-D convolution over (channels, height, width) inputs; in_channels comes from the input."
    Params = _ConvParams

    @classmethod
    def infer(cls, p, inputs):
        shape = inputs[0]
        expect_rank(shape, (3,), what=" (channels, height, width)")
        _conv_common(p, shape)
        out = _conv_sizes(p, shape[1:])
        _check_size(out, shape, "kernel", "params.kernel_size")
        return (p.out_channels, *out)

    @classmethod
    def param_count(cls, p, inputs):
        kh, kw = pair(p.kernel_size)
        return p.out_channels * (inputs[0][0] // p.groups) * kh * kw + (p.out_channels if p.bias else 0)

    @classmethod
    def recipe(cls, p, inputs):
        return Recipe("Conv2d", (inputs[0][0], p.out_channels, pair(p.kernel_size)),
                      {"stride": pair(p.stride), "padding": _torch_padding(p), "dilation": pair(p.dilation),
                       "groups": p.groups, "bias": p.bias})


class ConvTranspose2dParams(Params):
    out_channels: Pos
    kernel_size: Pair
    stride: Pair = 1
    padding: NonNegPair = 0
    dilation: Pair = 1
    output_padding: NonNegPair = 0
    bias: bool = True

    @field_validator("output_padding")
    @classmethod
    def _smaller_than_stride(cls, v, info: ValidationInfo):
        s, d = info.data.get("stride"), info.data.get("dilation")
        if s is not None and d is not None:
            for op, si, di in zip(pair(v), pair(s), pair(d)):
                if op >= max(si, di):
                    raise ValueError("output_padding must be smaller than stride or dilation")
        return v


@register
class ConvTranspose2d(Layer):
    type = "ConvTranspose2d"
    category = "convolution"
    doc = "Transposed 2-D convolution (learned upsampling); in_channels comes from the input."
    Params = ConvTranspose2dParams

    @classmethod
    def infer(cls, p, inputs):
        shape = inputs[0]
        expect_rank(shape, (3,), what=" (channels, height, width)")
        k, s, pad, d, op = (pair(x) for x in (p.kernel_size, p.stride, p.padding, p.dilation, p.output_padding))
        out = tuple((shape[i + 1] - 1) * s[i] - 2 * pad[i] + d[i] * (k[i] - 1) + op[i] + 1 for i in range(2))
        _check_size(out, shape, "padding", "params.padding")
        return (p.out_channels, *out)

    @classmethod
    def param_count(cls, p, inputs):
        kh, kw = pair(p.kernel_size)
        return inputs[0][0] * p.out_channels * kh * kw + (p.out_channels if p.bias else 0)

    @classmethod
    def recipe(cls, p, inputs):
        return Recipe("ConvTranspose2d", (inputs[0][0], p.out_channels, pair(p.kernel_size)),
                      {"stride": pair(p.stride), "padding": pair(p.padding), "output_padding": pair(p.output_padding),
                       "dilation": pair(p.dilation), "bias": p.bias})


def pool_out(size: int, k: int, s: int, pad: int, d: int, ceil_mode: bool) -> int:
    """torch's pooling_output_shape: in ceil mode the last window must start inside the (left-padded) input."""
    eff = size + 2 * pad - d * (k - 1) - 1
    out = (math.ceil(eff / s) if ceil_mode else math.floor(eff / s)) + 1
    if ceil_mode and (out - 1) * s >= size + pad:
        out -= 1
    return out


class _PoolParams(Params):
    kernel_size: Pair
    stride: Pair | None = None   # None: same as kernel_size
    padding: NonNegPair = 0
    ceil_mode: bool = False

    @field_validator("padding")
    @classmethod
    def _at_most_half_kernel(cls, v, info: ValidationInfo):
        k = info.data.get("kernel_size")
        if k is not None and any(pd > kd // 2 for pd, kd in zip(pair(v), pair(k))):
            raise ValueError("padding must be at most half of kernel_size")
        return v


def _stride(p: _PoolParams) -> tuple[int, int] | None:
    return None if p.stride is None else pair(p.stride)


class MaxPool2dParams(_PoolParams):
    dilation: Pair = 1


class AvgPool2dParams(_PoolParams):
    count_include_pad: bool = True


def _pool_infer(p, shape: Shape, dilation) -> Shape:
    expect_rank(shape, (3,), what=" (channels, height, width)")
    k, pad, d = pair(p.kernel_size), pair(p.padding), pair(dilation)
    s = pair(p.stride) if p.stride is not None else k
    out = tuple(pool_out(shape[i + 1], k[i], s[i], pad[i], d[i], p.ceil_mode) for i in range(2))
    _check_size(out, shape, "pooling window", "params.kernel_size")
    return (shape[0], *out)


@register
class MaxPool2d(Layer):
    type = "MaxPool2d"
    category = "pooling"
    doc = "Maximum over sliding windows; stride defaults to kernel_size."
    Params = MaxPool2dParams

    @classmethod
    def infer(cls, p, inputs):
        return _pool_infer(p, inputs[0], p.dilation)

    @classmethod
    def recipe(cls, p, inputs):
        return Recipe("MaxPool2d", (pair(p.kernel_size),),
                      {"stride": _stride(p), "padding": pair(p.padding), "dilation": pair(p.dilation),
                       "ceil_mode": p.ceil_mode})


@register
class AvgPool2d(Layer):
    type = "AvgPool2d"
    category = "pooling"
    doc = "Mean over sliding windows; stride defaults to kernel_size."
    Params = AvgPool2dParams

    @classmethod
    def infer(cls, p, inputs):
        return _pool_infer(p, inputs[0], 1)

    @classmethod
    def recipe(cls, p, inputs):
        return Recipe("AvgPool2d", (pair(p.kernel_size),),
                      {"stride": _stride(p), "padding": pair(p.padding), "ceil_mode": p.ceil_mode,
                       "count_include_pad": p.count_include_pad})


class AdaptiveAvgPool2dParams(Params):
    output_size: Pair = 1


@register
class AdaptiveAvgPool2d(Layer):
    type = "AdaptiveAvgPool2d"
    category = "pooling"
    doc = "Mean pooling to a fixed output size (height, width), whatever the input size."
    Params = AdaptiveAvgPool2dParams

    @classmethod
    def infer(cls, p, inputs):
        expect_rank(inputs[0], (3,), what=" (channels, height, width)")
        return (inputs[0][0], *pair(p.output_size))

    @classmethod
    def recipe(cls, p, inputs):
        return Recipe("AdaptiveAvgPool2d", (pair(p.output_size),))


class UpsampleParams(Params):
    scale_factor: float = Field(gt=0, le=64)
    mode: Literal["nearest", "bilinear"] = "nearest"


@register
class Upsample(Layer):
    type = "Upsample"
    category = "spatial"
    doc = "Resize by scale_factor: nearest works on (C, L) and (C, H, W); bilinear on (C, H, W)."
    Params = UpsampleParams

    @classmethod
    def infer(cls, p, inputs):
        shape = inputs[0]
        expect_rank(shape, (3,) if p.mode == "bilinear" else (2, 3), what=f" for mode {p.mode}")
        out = tuple(math.floor(float(n) * p.scale_factor) for n in shape[1:])
        _check_size(out, shape, "scale factor", "params.scale_factor")
        return (shape[0], *out)

    @classmethod
    def recipe(cls, p, inputs):
        extra = {"align_corners": False} if p.mode == "bilinear" else {}
        return Recipe("Upsample", (), {"scale_factor": float(p.scale_factor), "mode": p.mode, **extra})

