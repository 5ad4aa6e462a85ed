"""Layers for networks that move their channels around (ConvNeXt's channels-last blocks, layer scale):
Permute, and Scale (a learned factor per channel along one dimension). LayerNorm over the channels of a
(C, H, W) map is LayerNorm with `dim: 0` (layers_basic)."""
from __future__ import annotations

from pydantic import Field, field_validator

from .issues import ShapeError
from .layers import Layer, Params, Recipe, register


class PermuteParams(Params):
    dims: list[int] = Field(min_length=1, max_length=6)   # a permutation of the sample dims (no batch)

    @field_validator("dims")
    @classmethod
    def _permutation(cls, v):
        if sorted(v) != list(range(len(v))):
            raise ValueError(f"dims must be a permutation of 0..{len(v) - 1} (the batch is not counted)")
        return v


@register
class Permute(Layer):
    type, category, Params = "Permute", "shape", PermuteParams
    doc = "Reorders the dimensions of each sample: dims [1, 2, 0] turns (C, H, W) into (H, W, C)."

    @classmethod
    def infer(cls, p, inputs):
        shape = inputs[0]
        if len(p.dims) != len(shape):
            raise ShapeError(f"dims {p.dims} permute a rank-{len(p.dims)} input", port=0,
                             expected=f"rank {len(p.dims)}", found=list(shape), field="params.dims")
        return tuple(shape[d] for d in p.dims)

    @classmethod
    def recipe(cls, p, inputs):
        return Recipe("Permute", (0, *(d + 1 for d in p.dims)))   # the module sees the batch


class ScaleParams(Params):
    dim: int = 0        # the dimension the factors run along, without the batch: 0 channels-first, -1 last
    bias: bool = False  # also a learned offset per channel


def _axis(p: ScaleParams, shape) -> int:
    if not -len(shape) <= p.dim < len(shape):
        raise ShapeError(f"dim {p.dim} is out of range for a rank-{len(shape)} input", port=0,
                         expected=f"dim in [{-len(shape)}, {len(shape) - 1}]", found=p.dim, field="params.dim")
    return p.dim % len(shape)


@register
class Scale(Layer):
    type, category, Params = "Scale", "normalization", ScaleParams
    doc = ("Multiplies each channel by a learned factor (layer scale; with bias, a per-channel affine): dim 0 for "
           "(C, H, W), -1 for channels-last or (tokens, features).")

    @classmethod
    def infer(cls, p, inputs):
        _axis(p, inputs[0])
        return inputs[0]

    @classmethod
    def param_count(cls, p, inputs):
        return inputs[0][_axis(p, inputs[0])] * (2 if p.bias else 1)

    @classmethod
    def recipe(cls, p, inputs):
        d = _axis(p, inputs[0])
        return Recipe("Scale", (inputs[0][d], len(inputs[0]) - 1 - d), {"bias": p.bias})
