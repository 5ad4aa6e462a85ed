"""ONNX graphs of Vision Transformers (torch's exporters), mapped to graft's transformer layers: the patch grid
as tokens (Reshape + Transpose), the class token (Concat of an expanded parameter), the position table (Add of
a constant table), layer scale (Mul by a vector), token selection (Gather) and mean pooling (ReduceMean), and
multi-head self-attention as one node (ops.attention_match; shapes inside it from onnx's shape inference).

Folding gains what the exporters write around a position table: Expand to the (free) batch size, Pow, Sqrt,
Floor, and a Resize that keeps the size (an interpolation of the table to the size it already has)."""
from __future__ import annotations

import re
from typing import Any, Callable

import numpy as np

from . import onnx_ops
from .attention_match import Attention, Step, find_attention
from .onnx_ops import BATCH, _fold, _ints, attrs
from .torch_vit import retype

SMALL = 4096   # initializers up to this many elements go to shape inference (shape arithmetic may read them)


def _expand(ctx, x, shape):
    x, target = np.asarray(x), list(np.asarray(shape, dtype=object).reshape(-1))
    if target and target[0] is BATCH:   # to the batch size: graft adds the batch itself, so keep x's first axis
        x = x.reshape((1,) * (len(target) - x.ndim) + x.shape)
        return np.broadcast_to(x, (x.shape[0], *np.broadcast_shapes(x.shape[1:], tuple(_ints(target[1:])))))
    return np.broadcast_to(x, np.broadcast_shapes(x.shape, tuple(_ints(target))))


def _resize(ctx, x, roi=None, scales=None, sizes=None):
    x = np.asarray(x)
    size = tuple(_ints(sizes)) if sizes is not None and np.size(sizes) else None
    if size is None and scales is not None and np.size(scales):
        size = tuple(int(np.floor(n * s)) for n, s in zip(x.shape, np.asarray(scales).reshape(-1)))
    if size != x.shape:
        raise ctx.fail(f"Resize of a constant from {list(x.shape)} to {list(size or ())} is not supported (only to "
                       "the size it has)")
    return x


def _num(x) -> np.ndarray:
    """Sizes sliced from a shape are object arrays; without the batch among them they are plain numbers."""
    x = np.asarray(x)
    return x.astype(np.int64) if x.dtype == object and not any(v is BATCH for v in x.reshape(-1)) else x


FOLD: dict[str, Callable] = {
    "Expand": _fold(_expand), "Resize": _fold(_resize), "Pow": _fold(lambda ctx, a, b: np.power(_num(a), _num(b))),
    "Sqrt": _fold(lambda ctx, x: np.sqrt(_num(x))), "Floor": _fold(lambda ctx, x: np.floor(_num(x))),
    "Cast": _fold(lambda ctx, x: onnx_ops._cast(ctx, _num(x))),
}


def _rank(ctx, ref) -> int:
    return len(ctx.shape(ref))


def _transpose(ctx, ins):
    ref = ctx.tensor(ins[0])
    perm = list(ctx.attrs.get("perm", []))
    node = ctx.b.node(ref) if ref != "input" else None
    if node and node["type"] == "Reshape" and perm == [0, 2, 1] and ctx.consumers.get(ins[0]) == 1 \
            and len(ctx.shape(node["inputs"][0])) == 3:
        return retype(ctx.b, ref, "PatchTokens", {}, [node["inputs"][0]])
    return BASE["Transpose"](ctx, ins)


def _concat(ctx, ins):
    if len(ins) == 2 and ctx.is_const(ins[0]) and ins[1] in ctx.refs and ctx.attrs.get("axis") in (1, -2):
        ref, token = ctx.refs[ins[1]], np.asarray(ctx.consts[ins[0]])
        if _rank(ctx, ref) == 2 and token.shape == (1, 1, ctx.shape(ref)[1]):
            return ctx.add("ClassToken", {}, [ref], {"token": token.astype(np.float32)})
    return onnx_ops._concat(ctx, ins)


def _const_operand(ctx, ins):
    if len(ins) == 2 and sum(i in ctx.refs for i in ins) == 1:
        x = ins[0] if ins[0] in ctx.refs else ins[1]
        c = ins[1] if x == ins[0] else ins[0]
        if ctx.is_const(c):
            return ctx.refs[x], np.asarray(ctx.consts[c])
    return None, None


def _add(ctx, ins):
    ref, table = _const_operand(ctx, ins)
    if ref is not None and ref != "input" and _rank(ctx, ref) == 2 and table.shape in ((1, *ctx.shape(ref)),
                                                                                     ctx.shape(ref)):
        return ctx.add("PositionEmbedding", {}, [ref], {"table": table.reshape(1, *ctx.shape(ref))
                                                        .astype(np.float32)})
    return onnx_ops._add(ctx, ins)


def _mul(ctx, ins):
    ref, gamma = _const_operand(ctx, ins)
    if ref is not None and ref != "input" and _rank(ctx, ref) == 2 and gamma.shape == (ctx.shape(ref)[-1],):
        return ctx.add("LayerScale", {}, [ref], {"gamma": gamma.astype(np.float32)})
    return BASE["Mul"](ctx, ins)


def _gather(ctx, ins):
    ref, index = ctx.tensor(ins[0]), np.asarray(ctx.const(ins[1], "indices"))
    if _rank(ctx, ref) != 2 or ctx.attrs.get("axis", 0) not in (1, -2) or index.ndim != 0:
        raise ctx.fail(f"Gather on axis {ctx.attrs.get('axis', 0)} of a {['batch', *ctx.shape(ref)]} tensor: graft "
                       "selects one token of (batch, tokens, dim)")
    return ctx.add("TokenSelect", {"index": int(index) % ctx.shape(ref)[0]}, [ref])


def _reduce_mean(ctx, ins):
    ref = ctx.tensor(ins[0])
    axes = _ints(onnx_ops._arg(ctx, ins, 1, "axes", []))
    if _rank(ctx, ref) == 2 and axes in ([1], [-2]) and not ctx.attrs.get("keepdims", 1):
        return ctx.add("TokenMean", {}, [ref])
    return BASE["ReduceMean"](ctx, ins)


def _cast(ctx, ins):
    if ctx.attrs.get("to") != 1:
        raise ctx.fail(f"Cast of a computed tensor to ONNX type {ctx.attrs.get('to')}: graft computes in float32")
    return ctx.tensor(ins[0])


BASE = onnx_ops.HANDLERS
HANDLERS: dict[str, Callable] = {
    "Transpose": _transpose, "Cast": _cast, "Concat": _concat, "Add": _add, "Mul": _mul, "Gather": _gather,
    "ReduceMean": _reduce_mean,
}


# ---- attention -----------------------------------------------------------------------------------------------

def _shapes(model, in_name: str, shape: tuple[int, ...]) -> dict[str, tuple]:
    """Every tensor's shape (batch first; None where unknown) by onnx's shape inference on the graph without its
    large initializers (declared as inputs instead), for the declared input size."""
    from onnx import TensorProto, helper, shape_inference
    g = model.graph
    small = [t for t in g.initializer if int(np.prod(t.dims)) <= SMALL]
    big = [helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)) for t in g.initializer
           if int(np.prod(t.dims)) > SMALL]
    inputs = [helper.make_tensor_value_info(in_name, TensorProto.FLOAT, ["batch", *shape])]
    light = helper.make_model(helper.make_graph(list(g.node), "shapes", inputs + big, list(g.output), small),
                              opset_imports=list(model.opset_import))
    light.ir_version = model.ir_version
    inferred = shape_inference.infer_shapes(light, data_prop=True)
    out = {}
    for v in inferred.graph.value_info:
        dims = v.type.tensor_type.shape.dim
        out[v.name] = tuple(d.dim_value if d.HasField("dim_value") else None for d in dims)
    return out


class _Folding:
    """What onnx_ops' folds read from a context, for folding ahead of the import (any failure: not folded)."""

    def __init__(self, consts):
        self.consts, self.where, self.attrs = consts, "", {}

    def fail(self, problem):
        return ValueError(problem)


def _merge(a: tuple | None, b: list) -> tuple:
    if a is None or len(a) != len(b):
        return tuple(b)
    return tuple(x if x is not None else y for x, y in zip(a, b))


def _reshaped(src: tuple | None, target: list) -> list:
    out = [None if t is BATCH else int(t) for t in target]
    for i, t in enumerate(out):
        if t == 0 and src and i < len(src):
            out[i] = src[i]
    if -1 in out:
        i, rest = out.index(-1), [n for j, n in enumerate(out) if j != out.index(-1)]
        total = np.prod(src[1:]) if src and None not in src[1:] else None
        out[i] = None if total is None or None in rest[1:] else int(total // np.prod(rest[1:]))
    return out


def _known(graph, consts: dict[str, np.ndarray], shapes: dict[str, tuple], in_name: str, shape):
    """(the constants and the shape arithmetic on them, as far as they fold; every tensor's sizes, from shape
    inference and completed by the folded reshape targets)."""
    known, ctx = dict(consts), _Folding(None)
    ctx.consts = known
    sizes = {**shapes, in_name: (None, *shape)}
    folds = {**onnx_ops.FOLD, **FOLD}
    for index, node in enumerate(graph.node):
        ins = [i for i in node.input if i]
        out = node.output[0] if node.output else ""
        try:
            if node.op_type == "Shape":
                dims = sizes.get(node.input[0])
                if dims is None or None in dims[1:]:
                    continue
                a = attrs(node)
                part = [BATCH, *dims[1:]][a.get("start", 0):a.get("end", len(dims))]
                known[out] = np.array(part, dtype=object if BATCH in part else np.int64)
            elif node.op_type in folds and all(i in known for i in ins):
                known[out] = folds[node.op_type](ctx, node, f"#{index}")[0]
            elif node.op_type == "Reshape" and node.input[1] in known:
                target = list(np.asarray(known[node.input[1]], dtype=object).reshape(-1))
                sizes[out] = _merge(sizes.get(out), _reshaped(sizes.get(node.input[0]), target))
            elif node.op_type == "Transpose" and sizes.get(node.input[0]) and "perm" in attrs(node):
                src = sizes[node.input[0]]
                sizes[out] = _merge(sizes.get(out), [src[int(p)] for p in attrs(node)["perm"]])
        except Exception:   # noqa: BLE001  what does not fold here is left to the import, which names it
            continue
    return known, sizes


def _steps(graph, known, shapes, opset: int) -> tuple[list[Step], dict[str, int]]:
    readers: dict[str, int] = {}
    for node in graph.node:
        if node.op_type != "Shape":          # a Shape reads a size, not the values: it is folded
            for i in node.input:
                readers[i] = readers.get(i, 0) + 1
    for o in graph.output:
        readers[o.name] = readers.get(o.name, 0) + 1
    steps = []
    for index, node in enumerate(graph.node):
        op, ins, out = node.op_type, list(node.input), node.output[0] if node.output else ""
        tensors = [i for i in ins if i and i not in known]
        consts = [i for i in ins if i in known]
        a = attrs(node)

        def step(kind, **kw):
            steps.append(Step(index, kind, tensors, out, shapes.get(out), **kw))

        if op == "MatMul" and len(tensors) == 1 and consts and known[consts[0]].ndim == 2 and ins[1] in known:
            step("linear", dim=int(known[ins[1]].shape[1]), extra={"weight": ins[1]})
        elif op == "Add" and len(tensors) == 1 and consts and known[consts[0]].ndim == 1:
            step("bias", extra={"bias": consts[0]})
        elif op == "Reshape" and ins[0] not in known:   # its target shape is arithmetic on sizes
            tensors = [ins[0]]
            step("reshape")
        elif op == "Transpose" and len(tensors) == 1 and "perm" in a:
            step("transpose", perm=tuple(int(p) for p in a["perm"]))
        elif op in ("Mul", "Div") and len(tensors) == 1 and consts and np.size(known[consts[0]]) == 1 \
                and np.asarray(known[consts[0]]).dtype != object:
            f = float(np.asarray(known[consts[0]]).reshape(-1)[0])
            step("scale", factor=f if op == "Mul" else 1 / f)
        elif op in ("Identity", "Dropout") or (op == "Cast" and a.get("to") == 1):
            step("alias")
        elif op == "Softmax" and len(tensors) == 1:
            step("softmax", dim=int(a.get("axis", -1 if opset >= 13 else 1)))
        elif op == "MatMul" and len(tensors) == 2:
            step("matmul")
    return steps, readers


ARITHMETIC = set(onnx_ops.FOLD) | set(FOLD)


def _absorb(graph, members: set[int], end: int, graph_outputs: set[str]) -> set[int] | None:
    """The match's nodes plus the shape arithmetic that only they read; None if a node outside reads the size
    of a tensor inside (it could not be folded)."""
    consumers: dict[str, list[int]] = {}
    for i, node in enumerate(graph.node):
        for name in node.input:
            consumers.setdefault(name, []).append(i)
    group = set(members)
    for i in range(end, -1, -1):
        node = graph.node[i]
        if i in group or node.op_type not in ARITHMETIC or any(o in graph_outputs for o in node.output):
            continue
        users = [u for o in node.output for u in consumers.get(o, [])]
        if users and all(u in group for u in users):
            group.add(i)
    inner = {o for i in group if i != end for o in graph.node[i].output}
    for i, node in enumerate(graph.node):
        if i not in group and node.op_type == "Shape" and node.input[0] in inner:
            return None
    return group


def find(model, consts, in_name: str, shape, opset: int) -> tuple[dict[int, Attention], set[int]]:
    """{node index that ends an attention: the match}, {the other node indices it covers}."""
    graph = model.graph
    if not any(n.op_type == "Softmax" for n in graph.node):
        return {}, set()
    shapes = _shapes(model, in_name, shape)
    known, sizes = _known(graph, consts, shapes, in_name, shape)
    steps, readers = _steps(graph, known, sizes, opset)
    outputs = {o.name for o in graph.output}
    ends, inside = {}, set()
    for m in find_attention(steps, readers):
        end = m.members[-1].id
        group = _absorb(graph, {s.id for s in m.members}, end, outputs)
        if group is not None:
            ends[end] = m
            inside |= group - {end}
    return ends, inside


def attention(ctx, m: Attention) -> str:
    weights: dict[str, Any] = {}
    for name, s in (("q", m.q), ("k", m.k), ("v", m.v), ("out", m.out)):
        weights[f"{name}.weight"] = np.asarray(ctx.consts[s.extra["weight"]]).T.astype(np.float32)
        if name in m.biases:
            weights[f"{name}.bias"] = np.asarray(ctx.consts[m.biases[name].extra["bias"]]).astype(np.float32)
    if len(weights) not in (4, 8):
        raise ctx.fail("attention whose projections have a bias only in part is not supported")
    ctx.hint = re.sub(r"(_(o_proj|out_proj|dense|output))+$", "", ctx.hint)   # named after the attention module
    return ctx.add("MultiHeadAttention", {"num_heads": m.heads, "bias": len(weights) == 8}, [ctx.tensor(m.x)],
                   weights)
