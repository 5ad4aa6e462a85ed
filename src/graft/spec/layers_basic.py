"""Normalisation, activation, shape and merge layers. Shapes exclude the batch dimension."""
from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .issues import ShapeError
from .layers import Layer, Params, PosInt, Recipe, Shape, expect_rank, register

Pos = PosInt


# ---- normalisation -------------------------------------------------------------------------------------------

class BatchNormParams(Params):
    eps: float = Field(default=1e-5, gt=0)
    momentum: float = Field(default=0.1, ge=0, le=1)
    affine: bool = True


@register
class BatchNorm1d(Layer):
    type = "BatchNorm1d"
    category = "normalization"
    doc = "Batch normalisation over features (C) or sequences (C, L); num_features comes from the input."
    Params = BatchNormParams

    @classmethod
    def infer(cls, p, inputs):
        expect_rank(inputs[0], (1, 2), what=" (features) or (channels, length)")
        return inputs[0]

    @classmethod
    def param_count(cls, p, inputs):
        return 2 * inputs[0][0] if p.affine else 0

    @classmethod
    def recipe(cls, p, inputs):   # BatchNorm2d's too: the op is the layer type
        return Recipe(cls.type, (inputs[0][0],), {"eps": p.eps, "momentum": p.momentum, "affine": p.affine})


@register
class BatchNorm2d(BatchNorm1d):
    type = "BatchNorm2d"
    doc = "Batch normalisation over the channels of (C, H, W) inputs; num_features comes from the input."

    @classmethod
    def infer(cls, p, inputs):
        expect_rank(inputs[0], (3,), what=" (channels, height, width)")
        return inputs[0]


class LayerNormParams(Params):
    normalized_shape: Pos | list[Pos] | None = None   # None: the last dimension
    eps: float = Field(default=1e-5, gt=0)
    elementwise_affine: bool = True
    bias: bool = True
    dim: int = -1   # without normalized_shape: the one dimension normalised (0: the channels of (C, H, W))

    @model_validator(mode="after")
    def _shape_or_dim(self):
        if self.normalized_shape is not None and self.dim != -1:
            raise ValueError("give normalized_shape (trailing dimensions) or dim (one dimension), not both")
        return self


def _dim(p: LayerNormParams, shape: Shape) -> int:
    if not -len(shape) <= p.dim < len(shape):
        raise ShapeError(f"dim {p.dim} is out of range for a rank-{len(shape)} input", port=0,
                         expected=f"dim in [{-len(shape)}, {len(shape) - 1}]", found=p.dim, field="params.dim")
    return p.dim % len(shape)


def _norm_shape(p: LayerNormParams, shape: Shape) -> tuple[int, ...]:
    if p.normalized_shape is None:
        return (shape[_dim(p, shape)],)
    want = (p.normalized_shape,) if isinstance(p.normalized_shape, int) else tuple(p.normalized_shape)
    if len(want) > len(shape) or tuple(shape[len(shape) - len(want):]) != want:
        raise ShapeError("normalized_shape must equal the last dimensions of the input", port=0,
                         expected=f"input ending in {list(want)}", found=list(shape), field="params.normalized_shape")
    return want


@register
class LayerNorm(Layer):
    type = "LayerNorm"
    category = "normalization"
    doc = ("Layer normalisation over the last dimension, the trailing normalized_shape, or the one dimension dim "
           "(dim 0: over the channels of (C, H, W), as ConvNeXt's channels-first LayerNorm).")
    Params = LayerNormParams

    @classmethod
    def infer(cls, p, inputs):
        _norm_shape(p, inputs[0])
        return inputs[0]

    @classmethod
    def param_count(cls, p, inputs):
        n = math.prod(_norm_shape(p, inputs[0]))
        return (n + (n if p.bias else 0)) if p.elementwise_affine else 0

    @classmethod
    def recipe(cls, p, inputs):
        kwargs = {"eps": p.eps, "elementwise_affine": p.elementwise_affine, "bias": p.bias}
        shape = inputs[0]
        if p.normalized_shape is None and _dim(p, shape) != len(shape) - 1:
            return Recipe("LayerNormDim", (shape[_dim(p, shape)], _dim(p, shape) + 1), kwargs)   # + 1: the batch
        return Recipe("LayerNorm", (_norm_shape(p, shape),), kwargs)


class DropoutParams(Params):
    p: float = Field(default=0.5, ge=0, le=1)


@register
class Dropout(Layer):
    type = "Dropout"
    category = "regularization"
    doc = "Zeroes each element with probability p during training."
    Params = DropoutParams

    @classmethod
    def recipe(cls, p, inputs):
        return Recipe("Dropout", (p.p,))


# ---- activations ---------------------------------------------------------------------------------------------

def _activation(name: str, doc: str, params: type[Params] | None = None) -> type[Layer]:
    """An element-wise layer whose module takes its parameters (if any) as keyword arguments."""
    def recipe(cls, p, inputs):
        return Recipe(name, (), p.model_dump())
    attrs = {"type": name, "category": "activation", "doc": doc, "recipe": classmethod(recipe)}
    if params is not None:
        attrs["Params"] = params
    return register(type(name, (Layer,), attrs))


class LeakyReLUParams(Params):
    negative_slope: float = 0.01


class GELUParams(Params):
    approximate: Literal["none", "tanh"] = "none"


ReLU = _activation("ReLU", "max(0, x).")
LeakyReLU = _activation("LeakyReLU", "x for x > 0, negative_slope * x otherwise.", LeakyReLUParams)
GELU = _activation("GELU", "Gaussian error linear unit.", GELUParams)
SiLU = _activation("SiLU", "x * sigmoid(x) (swish).")
Sigmoid = _activation("Sigmoid", "1 / (1 + exp(-x)).")
Tanh = _activation("Tanh", "Hyperbolic tangent.")


# ---- shape ---------------------------------------------------------------------------------------------------

@register
class Flatten(Layer):
    type = "Flatten"
    category = "shape"
    doc = "Flattens every dimension but the batch: (C, H, W) -> (C*H*W)."

    @classmethod
    def infer(cls, p, inputs):
        return (math.prod(inputs[0]),)

    @classmethod
    def recipe(cls, p, inputs):
        return Recipe("Flatten")


class ReshapeParams(Params):
    shape: list[int] = Field(min_length=1, max_length=4)

    @field_validator("shape")
    @classmethod
    def _one_unknown(cls, v):
        if any(n < -1 or n == 0 for n in v):
            raise ValueError("dimensions must be positive, or -1 for the one inferred dimension")
        if v.count(-1) > 1:
            raise ValueError("at most one dimension may be -1")
        return v


def _resolve(p: ReshapeParams, shape: Shape) -> tuple[int, ...]:
    total, known = math.prod(shape), math.prod(n for n in p.shape if n != -1)
    if -1 in p.shape:
        if total % known:
            raise ShapeError(f"cannot reshape {total} elements into {p.shape}", port=0,
                             expected=f"element count divisible by {known}", found=list(shape), field="params.shape")
        return tuple(total // known if n == -1 else n for n in p.shape)
    if total != known:
        raise ShapeError(f"cannot reshape {total} elements into {p.shape}", port=0,
                         expected=f"{known} elements", found=list(shape), field="params.shape")
    return tuple(p.shape)


@register
class Reshape(Layer):
    type = "Reshape"
    category = "shape"
    doc = "Reshapes each sample to `shape` (no batch dimension; one entry may be -1)."
    Params = ReshapeParams

    @classmethod
    def infer(cls, p, inputs):
        return _resolve(p, inputs[0])

    @classmethod
    def recipe(cls, p, inputs):
        return Recipe("Sequential", (Recipe("Flatten"), Recipe("Unflatten", (1, _resolve(p, inputs[0])))))


class LinearParams(Params):
    out_features: Pos
    bias: bool = True
    per_position: bool = False   # inputs of any rank: the last dimension at every position (channels-last maps)


@register
class Linear(Layer):
    type = "Linear"
    category = "dense"
    doc = ("Fully connected layer on the last dimension; in_features comes from the input. per_position: on an input "
           "of any rank, e.g. a channels-last map (H, W, C) as in ConvNeXt's blocks.")
    Params = LinearParams

    @classmethod
    def infer(cls, p, inputs):
        if not p.per_position:
            expect_rank(inputs[0], (1, 2), what=" (add a Flatten before it, or set per_position for a channels-last "
                                                "map)")
        return (*inputs[0][:-1], p.out_features)

    @classmethod
    def param_count(cls, p, inputs):
        return inputs[0][-1] * p.out_features + (p.out_features if p.bias else 0)

    @classmethod
    def recipe(cls, p, inputs):
        return Recipe("Linear", (inputs[0][-1], p.out_features), {"bias": p.bias})


# ---- merges (their modules take *tensors) --------------------------------------------------------------------

@register
class Add(Layer):
    type = "Add"
    category = "merge"
    doc = "Element-wise sum of two or more inputs of the same shape."
    min_inputs, max_inputs = 2, None

    @classmethod
    def infer(cls, p, inputs):
        for i, shape in enumerate(inputs[1:], start=1):
            if tuple(shape) != tuple(inputs[0]):
                raise ShapeError("all inputs must have the same shape", port=i, expected=list(inputs[0]),
                                 found=list(shape))
        return inputs[0]

    @classmethod
    def recipe(cls, p, inputs):
        return Recipe("Add")


class ConcatParams(Params):
    dim: int = 0   # counted without the batch dimension: 0 is channels


@register
class Concat(Layer):
    type = "Concat"
    category = "merge"
    doc = "Joins two or more inputs along dim (0 = channels; the batch is not counted); other dims must match."
    Params = ConcatParams
    min_inputs, max_inputs = 2, None

    @classmethod
    def infer(cls, p, inputs):
        first = tuple(inputs[0])
        if not -len(first) <= p.dim < len(first):
            raise ShapeError(f"dim {p.dim} is out of range for rank-{len(first)} inputs", port=0,
                             expected=f"dim in [{-len(first)}, {len(first) - 1}]", found=p.dim, field="params.dim")
        d = p.dim % len(first)
        for i, shape in enumerate(inputs[1:], start=1):
            want = [n if j != d else "any" for j, n in enumerate(first)]
            if len(shape) != len(first) or any(a != b for j, (a, b) in enumerate(zip(first, shape)) if j != d):
                raise ShapeError(f"inputs must match except along dim {p.dim}", port=i, expected=want,
                                 found=list(shape))
        return (*first[:d], sum(s[d] for s in inputs), *first[d + 1:])

    @classmethod
    def recipe(cls, p, inputs):
        return Recipe("Concat", (), {"dim": p.dim % len(inputs[0]) + 1})   # + 1: the module sees the batch

