"""The layers imported mobile CNNs need beyond the basic ones: ReLU6, hard swish and hard sigmoid, the
squeeze-excite multiply, and the explicit zero padding of TF-style (asymmetric) convolutions."""
from __future__ import annotations


from .issues import ShapeError
from .layers import Layer, NonNegInt, Params, Recipe, expect_rank, register
from .layers_basic import Add, _activation

ReLU6 = _activation("ReLU6", "min(max(0, x), 6).")
Hardswish = _activation("Hardswish", "x * ReLU6(x + 3) / 6 (MobileNetV3).")
Hardsigmoid = _activation("Hardsigmoid", "ReLU6(x + 3) / 6 (MobileNetV3's squeeze-excite gate).")


def broadcast(shapes: list) -> tuple[int, ...]:
    """numpy's broadcasting over the sample dimensions (the batch is never broadcast); ShapeError names the port."""
    rank = max(len(s) for s in shapes)
    out = [1] * rank
    for port, shape in enumerate(shapes):
        padded = (1,) * (rank - len(shape)) + tuple(shape)
        for i, n in enumerate(padded):
            if n != 1 and out[i] not in (1, n):
                raise ShapeError("inputs must broadcast: each dimension equal or 1", port=port,
                                 expected=list(out), found=list(shape))
            out[i] = max(out[i], n)
    return tuple(out)


@register
class Mul(Add):
    """The squeeze-excite gate: like Add, but a product, and the inputs need only broadcast."""
    type, doc = "Mul", "Element-wise product of inputs that broadcast, e.g. (C, H, W) * (C, 1, 1) in squeeze-excite."
    infer = classmethod(lambda cls, p, inputs: broadcast(inputs))
    recipe = classmethod(lambda cls, p, inputs: Recipe("Mul"))


class Pad2dParams(Params):
    padding: tuple[NonNegInt, NonNegInt, NonNegInt, NonNegInt]   # left, right, top, bottom (torch's order)
    value: float = 0.0


@register
class Pad2d(Layer):
    type, category, Params = "Pad2d", "spatial", Pad2dParams
    doc = "Pads (C, H, W) inputs with a constant: padding is (left, right, top, bottom)."

    @classmethod
    def infer(cls, p, inputs):
        expect_rank(inputs[0], (3,), what=" (channels, height, width)")
        (left, right, top, bottom), (c, h, w) = p.padding, inputs[0]
        return (c, h + top + bottom, w + left + right)

    @classmethod
    def recipe(cls, p, inputs):
        return Recipe("ConstantPad2d", (tuple(p.padding), float(p.value)))
