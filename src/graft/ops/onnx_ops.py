"""ONNX ops, one function each: FOLD computes shape arithmetic on constants; HANDLERS map a node on tensors to
graft layers. Tensors have a batch dimension in ONNX and none in graft: axes are shifted by one here."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .import_graph import GraphBuilder, ImportFailed, batch_norm, conv, layer_norm, linear, reshape, scale


class _Batch:
    """The batch size in folded shape arithmetic: unknown, so any arithmetic on it fails the fold."""

    def __repr__(self):
        return "batch"


BATCH = _Batch()


def attrs(node) -> dict[str, Any]:
    from onnx import helper
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


@dataclass
class Ctx:
    b: GraphBuilder
    refs: dict[str, str]                  # ONNX tensor name -> graft node id ("input" for the graph input)
    consts: dict[str, np.ndarray]
    consumers: dict[str, int]
    opset: int
    where: str = ""
    hint: str = ""
    node: Any = None
    attrs: dict[str, Any] = field(default_factory=dict)
    static_batch: int | None = None       # an exporter that fixed the batch size writes it into reshape targets

    def fail(self, problem: str) -> ImportFailed:
        return self.b.fail(self.where, problem)

    def is_const(self, name: str) -> bool:
        return name in self.consts

    def const(self, name: str, what: str) -> np.ndarray:
        if name not in self.consts:
            raise self.fail(f"its {what} ({name!r}) must be a constant, not computed from the input")
        return self.consts[name]

    def tensor(self, name: str) -> str:
        if name not in self.refs:
            raise self.fail(f"input {name!r} must be computed from the graph input, not a constant")
        return self.refs[name]

    def shape(self, ref: str) -> tuple[int, ...]:
        return self.b.shapes[ref]

    def add(self, layer_type: str, params: dict, inputs: list[str], weights: dict | None = None,
            suffix: str = "") -> str:
        return self.b.add(self.where, layer_type, params, inputs, weights, hint=self.hint + suffix)


def _arg(ctx: Ctx, node_inputs: list[str], index: int, attr: str, default: Any = None) -> Any:
    """An operand that newer opsets pass as a constant input and older ones as an attribute."""
    if len(node_inputs) > index and node_inputs[index]:
        return ctx.const(node_inputs[index], attr)
    return ctx.attrs.get(attr, default)


# ---- folding: constants in, constants out ---------------------------------------------------------------------

def _ints(v) -> list[int]:
    return [int(x) for x in np.asarray(v).reshape(-1)]


def _fold_shape(ctx, node, where):
    x = node.input[0]
    if x not in ctx.refs:
        return [np.asarray(np.asarray(ctx.consts[x]).shape, dtype=np.int64)]
    dims = np.array([BATCH, *ctx.b.shapes[ctx.refs[x]]], dtype=object)
    a = attrs(node)
    return [dims[a.get("start", 0):a.get("end", len(dims))]]


def _fold(fn: Callable) -> Callable:
    def run(ctx, node, where):
        ctx.where, ctx.attrs = where, attrs(node)
        args = [ctx.consts[i] if i else None for i in node.input]
        try:
            return [fn(ctx, *args)]
        except TypeError:
            raise ctx.fail("its shape arithmetic involves the batch size, which graft leaves free") from None
    return run


def _unsqueeze(ctx, x, axes=None):
    axes = _ints(axes if axes is not None else ctx.attrs["axes"])
    out = np.asarray(x)
    for a in sorted(a % (out.ndim + len(axes)) for a in axes):
        out = np.expand_dims(out, a)
    return out


def _squeeze(ctx, x, axes=None):
    axes = axes if axes is not None else ctx.attrs.get("axes")
    return np.squeeze(x, axis=None if axes is None else tuple(_ints(axes)))


def _slice(ctx, x, starts, ends, axes=None, steps=None):
    x = np.asarray(x)
    axes = _ints(axes) if axes is not None else list(range(len(_ints(starts))))
    steps = _ints(steps) if steps is not None else [1] * len(axes)
    index = [slice(None)] * x.ndim
    for a, s, e, st in zip(axes, _ints(starts), _ints(ends), steps):
        index[a] = slice(s, e, st)
    return x[tuple(index)]


def _cast(ctx, x):
    from onnx import helper
    x = np.asarray(x)
    return x if x.dtype == object else x.astype(helper.tensor_dtype_to_np_dtype(ctx.attrs["to"]))


def _arith(op):
    def f(ctx, a, b):
        a, b = np.asarray(a), np.asarray(b)
        if a.dtype == object or b.dtype == object:
            raise TypeError("batch")
        if op == "Div" and np.issubdtype(a.dtype, np.integer):
            return np.trunc(a / b).astype(a.dtype)
        return {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}[op](a, b)
    return _fold(f)


def _constant(ctx, node, where):
    from onnx import numpy_helper
    a = attrs(node)
    if "value" in a:
        return [numpy_helper.to_array(a["value"])]
    for key in ("value_float", "value_int", "value_floats", "value_ints"):
        if key in a:
            return [np.asarray(a[key], dtype=np.float32 if "float" in key else np.int64)]
    raise ctx.b.fail(where, f"Constant with attributes {sorted(a)} is not supported")


def _constant_of_shape(ctx, shape):
    from onnx import numpy_helper
    value = ctx.attrs.get("value")
    fill = numpy_helper.to_array(value).reshape(-1)[0] if value is not None else np.float32(0)
    return np.full(_ints(shape), fill, dtype=np.asarray(fill).dtype)


FOLD: dict[str, Callable] = {
    "Constant": _constant,
    "Shape": _fold_shape,
    "Identity": _fold(lambda ctx, x: x),
    "Gather": _fold(lambda ctx, x, i: np.take(x, np.asarray(i).astype(np.int64), axis=ctx.attrs.get("axis", 0))),
    "Unsqueeze": _fold(_unsqueeze),
    "Squeeze": _fold(_squeeze),
    "Concat": _fold(lambda ctx, *xs: np.concatenate([np.atleast_1d(x) for x in xs], axis=ctx.attrs["axis"])),
    "Slice": _fold(_slice),
    "Cast": _fold(_cast),
    "Reshape": _fold(lambda ctx, x, s: np.reshape(x, _ints(s))),
    "ConstantOfShape": _fold(_constant_of_shape),
    "Transpose": _fold(lambda ctx, x: np.transpose(x, ctx.attrs.get("perm"))),
    "Expand": _fold(lambda ctx, x, s: np.broadcast_to(x, np.broadcast_shapes(np.shape(x), tuple(_ints(s))))),
    "Range": _fold(lambda ctx, a, b, d: np.arange(a, b, d)),
    "Neg": _fold(lambda ctx, x: -np.asarray(x)),
    "Equal": _fold(lambda ctx, a, b: np.equal(a, b)),
    "Where": _fold(lambda ctx, c, a, b: np.where(c, a, b)),
    **{op: _arith(op) for op in ("Add", "Sub", "Mul", "Div")},
}


# ---- mapping: a node on tensors -> graft layers ----------------------------------------------------------------

def _pads4(ctx, pads, kernel, strides, dilations, size) -> list[int]:
    """(top, left, bottom, right) from ONNX pads/auto_pad."""
    auto = ctx.attrs.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        total = [max((math.ceil(n / s) - 1) * s + (k - 1) * d + 1 - n, 0)
                 for n, k, s, d in zip(size, kernel, strides, dilations)]
        first = [t // 2 if auto == "SAME_UPPER" else t - t // 2 for t in total]
        return [first[0], first[1], total[0] - first[0], total[1] - first[1]]
    if auto == "VALID":
        return [0, 0, 0, 0]
    p = list(pads or [0, 0, 0, 0])
    return [p[0], p[1], p[2], p[3]]


def _spatial(ctx) -> tuple[list[int], list[int]]:
    return list(ctx.attrs.get("strides", [1, 1])), list(ctx.attrs.get("dilations", [1, 1]))


def _conv(ctx, ins):
    x = ctx.tensor(ins[0])
    w = ctx.const(ins[1], "weight")
    if w.ndim != 4:
        raise ctx.fail(f"only 2-D convolutions are supported (weight of shape {list(w.shape)})")
    bias = ctx.const(ins[2], "bias") if len(ins) > 2 and ins[2] else None
    strides, dilations = _spatial(ctx)
    pads = _pads4(ctx, ctx.attrs.get("pads"), w.shape[2:], strides, dilations, ctx.shape(x)[1:])
    return conv(ctx.b, ctx.where, x, w, bias, strides, pads, dilations, ctx.attrs.get("group", 1), ctx.hint)


def _batch_norm(ctx, ins):
    if ctx.attrs.get("training_mode", 0) or any(ctx.node.output[1:]):
        raise ctx.fail("batch normalisation in training mode is not supported (export the model in eval mode)")
    scale, shift, mean, var = (ctx.const(i, w) for i, w in zip(ins[1:5], ("scale", "B", "mean", "var")))
    return batch_norm(ctx.b, ctx.where, ctx.tensor(ins[0]), scale, shift, mean, var, ctx.attrs.get("epsilon", 1e-5),
                      hint=ctx.hint)


def _clip(ctx, ins):
    lo, hi = _arg(ctx, ins, 1, "min"), _arg(ctx, ins, 2, "max")
    lo = -math.inf if lo is None else float(np.asarray(lo))
    hi = math.inf if hi is None else float(np.asarray(hi))
    if (lo, hi) == (0.0, 6.0):
        return ctx.add("ReLU6", {}, [ctx.tensor(ins[0])])
    if (lo, hi) == (0.0, math.inf):
        return ctx.add("ReLU", {}, [ctx.tensor(ins[0])])
    raise ctx.fail(f"Clip to [{lo}, {hi}] is not supported: graft has ReLU (0, inf) and ReLU6 (0, 6)")


def _hard_sigmoid(ctx, ins):
    alpha, beta = ctx.attrs.get("alpha", 0.2), ctx.attrs.get("beta", 0.5)
    if abs(alpha - 1 / 6) > 1e-6 or abs(beta - 0.5) > 1e-6:
        raise ctx.fail(f"HardSigmoid with alpha {alpha}, beta {beta}: graft's Hardsigmoid is alpha 1/6, beta 0.5")
    return ctx.add("Hardsigmoid", {}, [ctx.tensor(ins[0])])


def _elementwise(layer_type: str, **params) -> Callable:
    def handler(ctx, ins):
        return ctx.add(layer_type, {k: ctx.attrs.get(k, v) for k, v in params.items()}, [ctx.tensor(ins[0])])
    return handler


def _leaky(ctx, ins):
    return ctx.add("LeakyReLU", {"negative_slope": ctx.attrs.get("alpha", 0.01)}, [ctx.tensor(ins[0])])


def _add(ctx, ins):
    if all(i in ctx.refs for i in ins):
        a, b = (ctx.refs[i] for i in ins)
        if ctx.shape(a) != ctx.shape(b):
            raise ctx.fail(f"Add of shapes {list(ctx.shape(a))} and {list(ctx.shape(b))}: graft's Add needs equal "
                           f"shapes")
        return ctx.add("Add", {}, [a, b])
    x, c = (ins[0], ins[1]) if ins[0] in ctx.refs else (ins[1], ins[0])
    ref, bias = ctx.tensor(x), np.asarray(ctx.const(c, "addend"))
    node = ctx.b.node(ref) if ref != "input" else None
    # MatMul + Add is how exporters write a Linear with bias: the bias joins the Linear it follows
    if node and node["type"] in ("Linear", "Conv2d") and not node["params"]["bias"] and ctx.consumers.get(x) == 1:
        out = node["params"].get("out_features", node["params"].get("out_channels"))
        if bias.size == out:
            node["params"]["bias"] = True
            ctx.b.set_weight(ref, "bias", bias.reshape(-1).astype(np.float32))
            return ref
    raise ctx.fail(f"Add of a constant of shape {list(bias.shape)} is supported only as the bias of the Linear "
                   f"or Conv just before it")


def _mul(ctx, ins):
    if all(i in ctx.refs for i in ins):
        return ctx.add("Mul", {}, [ctx.refs[i] for i in ins])
    x, c = (ins[0], ins[1]) if ins[0] in ctx.refs else (ins[1], ins[0])
    factor = np.asarray(ctx.const(c, "factor"))
    out = scale(ctx.b, ctx.where, ctx.tensor(x), factor, ctx.hint)
    if out is None:
        raise ctx.fail(f"Mul by a constant of shape {list(factor.shape)} is supported as a learned factor along one "
                       f"dimension (Scale) of the input of shape {list(ctx.shape(ctx.tensor(x)))}")
    return out


def _linear(ctx, x, weight, bias):
    return linear(ctx.b, ctx.where, x, weight, bias, ctx.hint)


def _layer_norm(ctx, ins):
    """LayerNormalization (opset 17), or the one onnx_patterns makes of its decomposed form (with graft_axes)."""
    x = ctx.tensor(ins[0])
    rank = len(ctx.shape(x)) + 1
    if "graft_axes" in ctx.attrs:
        axes = sorted(int(a) % rank for a in ctx.attrs["graft_axes"])
    else:
        axes = list(range(int(ctx.attrs.get("axis", -1)) % rank, rank))
    if any(ctx.node.output[1:]):
        raise ctx.fail("LayerNormalization's mean and inverse deviation outputs are not supported")
    if 0 in axes:
        raise ctx.fail("layer normalisation over the batch axis is not supported")
    weight = ctx.const(ins[1], "scale") if len(ins) > 1 and ins[1] else None
    bias = ctx.const(ins[2], "bias") if len(ins) > 2 and ins[2] else None
    return layer_norm(ctx.b, ctx.where, x, [a - 1 for a in axes], weight, bias, ctx.attrs.get("epsilon", 1e-5),
                      ctx.hint)


def _gelu(ctx, ins):
    approximate = ctx.attrs.get("approximate", b"none")
    approximate = approximate.decode() if isinstance(approximate, bytes) else approximate
    return ctx.add("GELU", {"approximate": approximate}, [ctx.tensor(ins[0])])


def _transpose(ctx, ins):
    x = ctx.tensor(ins[0])
    perm = [int(p) for p in ctx.attrs.get("perm", range(len(ctx.shape(x)), -1, -1))]
    if perm[0] != 0:
        raise ctx.fail(f"Transpose {perm} moves the batch axis; graft permutes the other dimensions")
    return ctx.add("Permute", {"dims": [p - 1 for p in perm[1:]]}, [x])


def _gemm(ctx, ins):
    a = ctx.attrs
    if a.get("transA", 0) or a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0:
        raise ctx.fail("Gemm with transA or alpha/beta other than 1 is not supported")
    w = ctx.const(ins[1], "weight B")
    w = w if a.get("transB", 0) else w.T
    bias = ctx.const(ins[2], "bias C") if len(ins) > 2 and ins[2] else None
    return _linear(ctx, ctx.tensor(ins[0]), w, bias)


def _matmul(ctx, ins):
    w = ctx.const(ins[1], "weight")
    if w.ndim != 2:
        raise ctx.fail(f"MatMul by a constant of shape {list(w.shape)}: graft supports a (in, out) matrix")
    return _linear(ctx, ctx.tensor(ins[0]), w.T, None)


def _pool(layer_type: str) -> Callable:
    def handler(ctx, ins):
        x = ctx.tensor(ins[0])
        if any(ctx.node.output[1:]):
            raise ctx.fail("pooling indices are not supported")
        k = list(ctx.attrs["kernel_shape"])
        strides, dilations = _spatial(ctx)
        t, left, bottom, right = _pads4(ctx, ctx.attrs.get("pads"), k, strides, dilations, ctx.shape(x)[1:])
        if (t, left) != (bottom, right):
            raise ctx.fail(f"uneven pooling pads {[t, left, bottom, right]} are not supported")
        params = {"kernel_size": k, "stride": strides, "padding": [t, left], "ceil_mode": bool(ctx.attrs.get(
            "ceil_mode", 0))}
        if layer_type == "MaxPool2d":
            params["dilation"] = dilations
        else:
            params["count_include_pad"] = bool(ctx.attrs.get("count_include_pad", 0))
        return ctx.add(layer_type, params, [x])
    return handler


def _global_pool(ctx, ins):
    return ctx.add("AdaptiveAvgPool2d", {"output_size": 1}, [ctx.tensor(ins[0])])


def _reduce_mean(ctx, ins):
    x = ctx.tensor(ins[0])
    rank = len(ctx.shape(x)) + 1
    axes = sorted(a % rank for a in _ints(_arg(ctx, ins, 1, "axes", [])))
    if rank != 4 or axes != [2, 3]:
        raise ctx.fail(f"ReduceMean over axes {axes} of a rank-{rank} tensor: graft supports the mean over height "
                       f"and width")
    out = ctx.add("AdaptiveAvgPool2d", {"output_size": 1}, [x])
    return out if ctx.attrs.get("keepdims", 1) else ctx.add("Flatten", {}, [out], suffix="_flat")


def _flatten(ctx, ins):
    if ctx.attrs.get("axis", 1) != 1:
        raise ctx.fail(f"Flatten at axis {ctx.attrs.get('axis')}: graft flattens everything but the batch (axis 1)")
    return reshape(ctx.b, ctx.where, ctx.tensor(ins[0]), (-1,), ctx.hint)


def _reshape(ctx, ins):
    x = ctx.tensor(ins[0])
    target = list(np.asarray(ctx.const(ins[1], "shape")).reshape(-1))
    full = (BATCH, *ctx.shape(x))
    target = [full[i] if (n is not BATCH and n == 0 and i < len(full)) else n for i, n in enumerate(target)]
    first, rest = target[0], [int(n) for n in target[1:] if n is not BATCH]
    if (ctx.static_batch and first is not BATCH and first == ctx.static_batch and len(rest) == len(target) - 1
            and -1 not in rest and int(np.prod(rest)) == int(np.prod(ctx.shape(x)))):
        first = BATCH      # the fixed batch size of the export, each sample's numbers kept together
    if len(rest) != len(target) - 1 or not (first is BATCH or first == -1 and -1 not in rest):
        raise ctx.fail(f"Reshape to {target} would mix the batch with the other dimensions")
    return reshape(ctx.b, ctx.where, x, tuple(rest), ctx.hint)


def _pad(ctx, ins):
    pads = _ints(_arg(ctx, ins, 1, "pads"))
    value = _arg(ctx, ins, 2, "value", 0.0)
    mode = ctx.attrs.get("mode", b"constant")
    if (mode.decode() if isinstance(mode, bytes) else mode) != "constant" or len(pads) != 8 \
            or any(pads[i] for i in (0, 1, 4, 5)) or min(pads) < 0:
        raise ctx.fail(f"Pad {pads} (mode {mode}): graft pads height and width of (N, C, H, W) with a constant")
    return ctx.add("Pad2d", {"padding": [pads[3], pads[7], pads[2], pads[6]],
                             "value": float(np.asarray(0.0 if value is None else value))}, [ctx.tensor(ins[0])])


def _concat(ctx, ins):
    refs = [ctx.tensor(i) for i in ins]
    axis = ctx.attrs["axis"] % (len(ctx.shape(refs[0])) + 1)
    if axis == 0:
        raise ctx.fail("Concat along the batch axis is not supported")
    return ctx.add("Concat", {"dim": axis - 1}, refs)


def _alias(ctx, ins):
    return ctx.tensor(ins[0])


HANDLERS: dict[str, Callable] = {
    "Conv": _conv, "BatchNormalization": _batch_norm, "Relu": _elementwise("ReLU"), "Clip": _clip,
    "HardSwish": _elementwise("Hardswish"), "HardSigmoid": _hard_sigmoid, "Sigmoid": _elementwise("Sigmoid"),
    "Tanh": _elementwise("Tanh"), "LeakyRelu": _leaky, "Mul": _mul, "Add": _add, "MaxPool": _pool("MaxPool2d"),
    "AveragePool": _pool("AvgPool2d"), "GlobalAveragePool": _global_pool, "ReduceMean": _reduce_mean,
    "Flatten": _flatten, "Reshape": _reshape, "Gemm": _gemm, "MatMul": _matmul, "Pad": _pad, "Concat": _concat,
    "Identity": _alias, "Dropout": _alias, "LayerNormalization": _layer_norm, "Gelu": _gelu, "Transpose": _transpose,
}
