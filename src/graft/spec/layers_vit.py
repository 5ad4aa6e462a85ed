"""The layers Vision Transformers need: patch tokens, a learned class token and position table, multi-head
self-attention as one node, layer scale, and reading a feature vector off the tokens (one token, or their
mean). Token sequences are (tokens, dim): the batch is not counted."""
from __future__ import annotations

from pydantic import Field

from .issues import ShapeError
from .layers import Layer, NonNegInt, Params, PosInt, Recipe, expect_rank, register


def _tokens(shape, what: str = "") -> tuple[int, int]:
    expect_rank(shape, (2,), what=what or " (tokens, dim)")
    return int(shape[0]), int(shape[1])


@register
class PatchTokens(Layer):
    type, category = "PatchTokens", "transformer"
    doc = "A patch embedding's grid as a token sequence: (dim, H, W) -> (H*W, dim), row by row."

    @classmethod
    def infer(cls, p, inputs):
        expect_rank(inputs[0], (3,), what=" (channels, height, width)")
        c, h, w = inputs[0]
        return (h * w, c)

    @classmethod
    def recipe(cls, p, inputs):
        return Recipe("PatchTokens")


@register
class ClassToken(Layer):
    type, category = "ClassToken", "transformer"
    doc = "Prepends one learned token: (T, dim) -> (T + 1, dim)."

    @classmethod
    def infer(cls, p, inputs):
        t, d = _tokens(inputs[0])
        return (t + 1, d)

    @classmethod
    def param_count(cls, p, inputs):
        return _tokens(inputs[0])[1]

    @classmethod
    def recipe(cls, p, inputs):
        return Recipe("ClassToken", (_tokens(inputs[0])[1],))


@register
class PositionEmbedding(Layer):
    type, category = "PositionEmbedding", "transformer"
    doc = "Adds a learned (tokens, dim) table: one vector per token position."

    @classmethod
    def infer(cls, p, inputs):
        _tokens(inputs[0])
        return inputs[0]

    @classmethod
    def param_count(cls, p, inputs):
        t, d = _tokens(inputs[0])
        return t * d

    @classmethod
    def recipe(cls, p, inputs):
        return Recipe("PositionEmbedding", _tokens(inputs[0]))


class AttentionParams(Params):
    num_heads: PosInt
    bias: bool = True


@register
class MultiHeadAttention(Layer):
    type, category = "MultiHeadAttention", "transformer"
    doc = ("Multi-head self-attention over (tokens, dim): query, key, value and output projections (dim -> dim), "
           "softmax(q k^T / sqrt(dim / num_heads)) v per head.")
    Params = AttentionParams

    @classmethod
    def infer(cls, p, inputs):
        _, d = _tokens(inputs[0])
        if d % p.num_heads:
            raise ShapeError(f"num_heads ({p.num_heads}) must divide the token dim", port=0,
                             expected=f"dim divisible by {p.num_heads}", found=list(inputs[0]),
                             field="params.num_heads")
        return inputs[0]

    @classmethod
    def param_count(cls, p, inputs):
        d = _tokens(inputs[0])[1]
        return 4 * (d * d + (d if p.bias else 0))

    @classmethod
    def recipe(cls, p, inputs):
        return Recipe("MultiHeadAttention", (_tokens(inputs[0])[1], p.num_heads), {"bias": p.bias})


@register
class LayerScale(Layer):
    type, category = "LayerScale", "transformer"
    doc = "Multiplies the last dimension by a learned vector (CaiT / DINOv2 layer scale)."

    @classmethod
    def infer(cls, p, inputs):
        if not inputs[0]:
            raise ShapeError("expects an input with at least one dimension", port=0, expected="rank >= 1",
                             found=list(inputs[0]))
        return inputs[0]

    @classmethod
    def param_count(cls, p, inputs):
        return int(inputs[0][-1])

    @classmethod
    def recipe(cls, p, inputs):
        return Recipe("LayerScale", (int(inputs[0][-1]),))


class TokenSelectParams(Params):
    index: NonNegInt = 0


@register
class TokenSelect(Layer):
    type, category = "TokenSelect", "transformer"
    doc = "One token of a (tokens, dim) sequence as a (dim) vector: index 0 is the class token."
    Params = TokenSelectParams

    @classmethod
    def infer(cls, p, inputs):
        t, d = _tokens(inputs[0])
        if p.index >= t:
            raise ShapeError(f"token {p.index} is past the end of {t} tokens", port=0,
                             expected=f"more than {p.index} tokens", found=list(inputs[0]), field="params.index")
        return (d,)

    @classmethod
    def recipe(cls, p, inputs):
        return Recipe("TokenSelect", (p.index,))


class TokenMeanParams(Params):
    start: NonNegInt = Field(default=0, description="tokens before this one are left out (1: skip the class token)")


@register
class TokenMean(Layer):
    type, category = "TokenMean", "transformer"
    doc = "The mean of the tokens from `start` on, as a (dim) vector (mean pooling)."
    Params = TokenMeanParams

    @classmethod
    def infer(cls, p, inputs):
        t, d = _tokens(inputs[0])
        if p.start >= t:
            raise ShapeError(f"start {p.start} leaves none of {t} tokens", port=0,
                             expected=f"more than {p.start} tokens", found=list(inputs[0]), field="params.start")
        return (d,)

    @classmethod
    def recipe(cls, p, inputs):
        return Recipe("TokenMean", (p.start,))
