"""torch.export's ATen graph of a Vision Transformer, mapped to graft's transformer layers: the patch grid as
tokens, the class token and position table (parameters the graph adds to the tokens), layer scale, token
selection and mean pooling, and multi-head self-attention fused into one node (ops.attention_match)."""
from __future__ import annotations

import re
from typing import Any, Callable

import numpy as np

from .attention_match import Attention, Step, find_attention

ALIAS_STEPS = {"dropout", "clone", "contiguous", "alias", "detach", "feature_dropout"}


def retype(b, nid: str, layer_type: str, params: dict, inputs: list[str]) -> str:
    """Turn the node `nid` (read by nothing else yet) into another layer; its id stays."""
    from ..spec.registry import REGISTRY
    layer = REGISTRY[layer_type]
    parsed = layer.parse(params)
    node = b.node(nid)
    node.update({"type": layer_type, "params": parsed.model_dump(mode="json"), "inputs": list(inputs)})
    b.shapes[nid] = tuple(layer.infer(parsed, [b.shapes[i] for i in inputs]))
    b.types[nid] = layer_type
    return nid


def _rank(t, ref: str) -> int:
    return len(t.b.shapes[ref])


def _transpose(base: Callable) -> Callable:
    return lambda t, x, a, b: _patch_tokens(t, x, a, b) or base(t, x, a, b)


def _patch_tokens(t, x, a, b) -> str | None:
    ref = t.tensor(x)
    node = t.b.node(ref) if ref != "input" else None
    users = len(t.fx_node.args[0].users)
    # flatten(2) then transpose(1, 2) of a (C, H, W) grid: the patch embedding's tokens
    if node and node["type"] == "Reshape" and _rank(t, ref) == 2 and {a % 3, b % 3} == {1, 2} and users == 1:
        src = node["inputs"][0]
        if len(t.b.shapes[src]) == 3:
            return retype(t.b, ref, "PatchTokens", {}, [src])
    return None


def _flatten(base: Callable) -> Callable:
    def handler(t, x, start=0, end=-1):
        ref = t.tensor(x)
        if start == 2 and end in (-1, 3) and _rank(t, ref) == 3:
            c, h, w = t.b.shapes[ref]
            return t.add("Reshape", {"shape": [c, h * w]}, [ref])
        return base(t, x, start, end)
    return handler


def _cat(base: Callable) -> Callable:
    def handler(t, xs, dim=0):
        vals = [t.value(x) for x in xs]
        if len(vals) == 2 and not isinstance(vals[0], str) and isinstance(vals[1], str) and dim in (1, -2) \
                and _rank(t, vals[1]) == 2:
            token = vals[0].detach().cpu().numpy()
            d = t.b.shapes[vals[1]][1]
            if token.shape[1:] == (1, d) and np.all(token == token[:1]):   # one learned token, expanded
                return t.add("ClassToken", {}, [vals[1]], {"token": token[:1]})
        return base(t, xs, dim)
    return handler


def _const_operand(t, a, b):
    va, vb = t.value(a), t.value(b)
    if isinstance(va, str) and not isinstance(vb, str) and vb is not None and hasattr(vb, "shape"):
        return va, vb.detach().cpu().numpy()
    if isinstance(vb, str) and not isinstance(va, str) and va is not None and hasattr(va, "shape"):
        return vb, va.detach().cpu().numpy()
    return None, None


def _add(base: Callable) -> Callable:
    def handler(t, a, b, alpha=1):
        ref, table = _const_operand(t, a, b)
        if ref is not None and alpha == 1 and _rank(t, ref) == 2 and table.shape in ((1, *t.b.shapes[ref]),
                                                                                      t.b.shapes[ref]):
            return t.add("PositionEmbedding", {}, [ref], {"table": table.reshape(1, *t.b.shapes[ref])})
        return base(t, a, b, alpha)
    return handler


def _mul(base: Callable) -> Callable:
    def handler(t, a, b):
        ref, gamma = _const_operand(t, a, b)
        if ref is not None and _rank(t, ref) == 2 and gamma.shape == (t.b.shapes[ref][-1],):
            return t.add("LayerScale", {}, [ref], {"gamma": gamma})
        return base(t, a, b)
    return handler


def _select(t, x, dim, index):
    ref = t.tensor(x)
    if _rank(t, ref) != 2 or dim not in (1, -2):
        raise t.fail(f"select(dim {dim}) of a {list(t.b.shapes[ref])} tensor: graft selects one token of (tokens, "
                     "dim)")
    return t.add("TokenSelect", {"index": int(index) % t.b.shapes[ref][0]}, [ref])


def _mean(base: Callable) -> Callable:
    def handler(t, x, dims, keepdim=False, dtype=None):
        ref = t.tensor(x)
        if _rank(t, ref) == 2 and list(dims) in ([1], [-2]) and not keepdim:
            return t.add("TokenMean", {}, [ref])
        return base(t, x, dims, keepdim, dtype)
    return handler


def _to(t, x, *args, **kwargs):
    import torch
    dtypes = [a for a in (*args, kwargs.get("dtype")) if isinstance(a, torch.dtype)]
    if any(d != torch.float32 for d in dtypes):
        raise t.fail(f"conversion to {dtypes[0]}: graft imports float32 networks")
    return t.tensor(x)


def handlers(base: dict[str, Callable]) -> dict[str, Callable]:
    return {"to": _to, "_to_copy": _to, "transpose": _transpose(base["transpose"]), "flatten": _flatten(base["flatten"]),
            "cat": _cat(base["cat"]), "add": _add(base["add"]), "mul": _mul(base["mul"]), "select": _select,
            "mean": _mean(base["mean"])}


# ---- attention -----------------------------------------------------------------------------------------------

def _steps(graph, params: set[str], op_name: Callable) -> tuple[list[Step], dict[str, int]]:
    import torch.fx
    steps, readers = [], {}
    for n in graph.nodes:
        readers[n.name] = len(n.users)
        if n.op != "call_function":
            continue
        op, args = op_name(n.target), n.args
        val = n.meta.get("val")
        shape = tuple(val.shape) if hasattr(val, "shape") else None
        tensors = [a.name for a in args if isinstance(a, torch.fx.Node) and a.name not in params]

        def step(kind, **kw):
            steps.append(Step(n, kind, tensors[:kw.pop("n", 1)], n.name, shape, **kw))

        if op == "linear" and isinstance(args[1], torch.fx.Node) and args[1].name in params:
            step("linear", dim=int(args[1].meta["val"].shape[0]))
        elif op in ("view", "reshape", "_unsafe_view"):
            step("reshape")
        elif op == "transpose" and shape:
            perm = list(range(len(shape)))
            a, b = args[1] % len(shape), args[2] % len(shape)
            perm[a], perm[b] = perm[b], perm[a]
            step("transpose", perm=tuple(perm))
        elif op == "permute" and shape:
            step("transpose", perm=tuple(int(d) % len(shape) for d in args[1]))
        elif op in ("mul", "div") and len(tensors) == 1 and isinstance(args[1], (int, float)):
            step("scale", factor=float(args[1]) if op == "mul" else 1 / float(args[1]))
        elif op in ALIAS_STEPS or (op in ("to", "_to_copy") and len(tensors) == 1):
            step("alias")
        elif op in ("softmax", "_softmax") and len(tensors) == 1:
            step("softmax", dim=int(args[1]) if len(args) > 1 else int(n.kwargs.get("dim", -1)))
        elif op == "matmul" and len(tensors) == 2:
            step("matmul", n=2)
        elif op == "scaled_dot_product_attention" and len(tensors) >= 3:
            kw = dict(zip(("attn_mask", "dropout_p", "is_causal"), args[3:6]), **n.kwargs)
            if not kw.get("dropout_p") and not kw.get("is_causal"):
                step("sdpa", n=3, extra={"scale": kw.get("scale"), "mask": kw.get("attn_mask")})
    return steps, readers


def find(graph, params: set[str], op_name: Callable) -> tuple[dict[Any, Attention], set[Any]]:
    """{fx node that ends an attention: the match}, {every other fx node of the matches}."""
    steps, readers = _steps(graph, params, op_name)
    ends, members = {}, set()
    for m in find_attention(steps, readers):
        end = m.members[-1].id
        ends[end] = m
        members |= {s.id for s in m.members} - {end}
    return ends, members


def attention(t, m: Attention) -> str:
    """The MultiHeadAttention node for a match, its weights from the four projections."""
    mask = m.core.extra.get("mask") if m.core.kind == "sdpa" else None
    if mask is not None:
        value = t.value(mask)
        if isinstance(value, str) or not bool(value.all()):
            raise t.fail("attention with a mask that is not all true is not supported")
    weights = {}
    for name, s in (("q", m.q), ("k", m.k), ("v", m.v), ("out", m.out)):
        weights[f"{name}.weight"] = t.array(s.id.args[1], "weight")
        b = t.array(s.id.args[2], "bias") if len(s.id.args) > 2 else None
        if b is not None:
            weights[f"{name}.bias"] = b
    bias = len(weights) == 8
    if len(weights) not in (4, 8):
        raise t.fail("attention whose projections have a bias only in part is not supported")
    t.where = f"{m.core.id.name} (attention)"
    t.hint = re.sub(r"([._](o_proj|out_proj|dense|output))+$", "", t.hint)   # named after the attention module
    return t.add("MultiHeadAttention", {"num_heads": m.heads, "bias": bias}, [t.tensor(m.q.id.args[0])], weights)
