"""Patterns of ONNX nodes that graft imports as one node: exporters write LayerNorm as ReduceMean, Sub, Pow,
ReduceMean, Add, Sqrt, Div, Mul, Add below opset 17 and GELU as Div, Erf, Add, Mul, Mul (or its tanh form)
below opset 20; graft imports each as one LayerNorm or GELU node.

`plan(graph, consts)` runs before the importer's main loop: every pattern in PATTERNS is tried at each node of its
anchor op type; a match lists the nodes it replaces and one replacement node of a standard op type (or one a
handler in onnx_ops.HANDLERS knows). The main loop handles the replacement where the match's first node stands
and skips the match's other nodes. Constant nodes inside a pattern are left in place (they fold as usual).
A pattern checks structure and constant values only, and never matches when a tensor inside it is used outside
it or is a graph output, so a fused graph computes what the original does.

Adding a pattern: a function (view, node) -> Match | None, listed in PATTERNS under its anchor op type.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .onnx_ops import FOLD, attrs


@dataclass
class Match:
    nodes: list[int]                 # indices (in graph.node) of the nodes replaced
    replacement: object              # an onnx NodeProto, handled through onnx_ops.HANDLERS
    consts: dict[str, np.ndarray] = field(default_factory=dict)   # constants its inputs name, resolved here


@dataclass
class Plan:
    at: dict[int, Match]             # first index of a match -> the match
    skip: set[int]                   # the other indices of every match
    fused: dict[str, int]            # replacement op type -> how many


class _FoldCtx:
    """What onnx_ops.FOLD's functions read, for constant-only chains (never Shape: no sizes are known yet)."""

    def __init__(self, consts):
        self.consts, self.where, self.attrs, self.b = consts, "", {}, None

    def fail(self, problem):
        return ValueError(problem)


class View:
    """The graph as patterns see it: who produces and who uses each tensor, and constant values."""

    def __init__(self, graph, consts: dict[str, np.ndarray]):
        self.nodes = list(graph.node)
        self.producer = {out: i for i, n in enumerate(self.nodes) for out in n.output if out}
        self.users: dict[str, list[int]] = {}
        for i, n in enumerate(self.nodes):
            for name in n.input:
                self.users.setdefault(name, []).append(i)
        self.outputs = {o.name for o in graph.output}
        self.consts = dict(consts)
        self._ctx = _FoldCtx(self.consts)

    def const(self, name: str) -> np.ndarray | None:
        """The value of a tensor computed from constants only (initializers, Constant, Unsqueeze of them...)."""
        if not name:
            return None
        if name in self.consts:
            return self.consts[name]
        i = self.producer.get(name)
        node = self.nodes[i] if i is not None else None
        if node is None or node.op_type not in FOLD or node.op_type == "Shape":
            return None
        if any(x and self.const(x) is None for x in node.input):
            return None
        try:
            values = FOLD[node.op_type](self._ctx, node, "")
        except Exception:   # a fold that needs the batch or an unsupported attribute: not a constant here
            return None
        for out, value in zip(node.output, values):
            self.consts[out] = np.asarray(value)
        return self.consts.get(name)

    def scalar(self, name: str) -> float | None:
        v = self.const(name)
        if v is None or v.dtype == object or v.size != 1:
            return None
        return float(v.reshape(-1)[0])

    def node(self, name: str):
        """(index, node) producing tensor `name`, or (None, None)."""
        i = self.producer.get(name)
        return (i, self.nodes[i]) if i is not None else (None, None)

    def sole_user(self, name: str, op_type: str):
        """(index, node) of the one node using `name`, when it is of op_type and `name` is not a graph output."""
        users = self.users.get(name, [])
        if len(users) != 1 or name in self.outputs or self.nodes[users[0]].op_type != op_type:
            return None, None
        return users[0], self.nodes[users[0]]

    def split(self, node) -> tuple[str | None, float | None]:
        """For a binary node with one scalar-constant operand: (the other operand, the scalar)."""
        a, b = node.input[0], node.input[1]
        if self.scalar(b) is not None and self.const(a) is None:
            return a, self.scalar(b)
        if self.scalar(a) is not None and self.const(b) is None:
            return b, self.scalar(a)
        return None, None

    def other(self, node, name: str) -> str | None:
        """The operand of a binary node that is not `name`."""
        ins = list(node.input)
        if len(ins) != 2 or name not in ins:
            return None
        return ins[1] if ins[0] == name else ins[0]


def _close(a: float | None, b: float, tol: float = 1e-4) -> bool:
    return a is not None and abs(a - b) <= tol * max(1.0, abs(b))


def _replacement(view: View, first: int, op_type: str, inputs: list[str], output: str, **attributes):
    from onnx import helper
    anchor = view.nodes[first]
    scope = [p for p in anchor.name.split("/") if p][:-1]
    name = "/" + "/".join([*scope, op_type]) if scope else f"{op_type}_{first}"
    return helper.make_node(op_type, inputs, [output], name=name, **attributes)


def _axes(view: View, node) -> list[int] | None:
    if len(node.input) > 1 and node.input[1]:
        v = view.const(node.input[1])
        return None if v is None else [int(a) for a in v.reshape(-1)]
    a = attrs(node)
    return [int(x) for x in a["axes"]] if "axes" in a else None


def layer_norm(view: View, mean_node) -> Match | None:
    """mean = ReduceMean(x); d = x - mean; var = ReduceMean(d ** 2); y = d / sqrt(var + eps) [* w] [+ b]."""
    x, axes = mean_node.input[0], _axes(view, mean_node)
    if axes is None or attrs(mean_node).get("keepdims", 1) != 1:
        return None
    i_mean = view.producer[mean_node.output[0]]
    i_sub, sub = view.sole_user(mean_node.output[0], "Sub")
    if sub is None or list(sub.input) != [x, mean_node.output[0]]:
        return None
    d = sub.output[0]
    users = [view.nodes[i] for i in view.users.get(d, [])]
    if d in view.outputs or sorted(u.op_type for u in users) != ["Div", "Pow"]:
        return None
    i_pow, pow_ = next((view.producer[u.output[0]], u) for u in users if u.op_type == "Pow")
    i_div, div = next((view.producer[u.output[0]], u) for u in users if u.op_type == "Div")
    if pow_.input[0] != d or not _close(view.scalar(pow_.input[1]), 2.0) or div.input[0] != d:
        return None
    i_var, var = view.sole_user(pow_.output[0], "ReduceMean")
    if var is None or _axes(view, var) != axes or attrs(var).get("keepdims", 1) != 1:
        return None
    i_add, add = view.sole_user(var.output[0], "Add")
    rest, eps = view.split(add) if add is not None else (None, None)
    if rest != var.output[0] or eps is None or eps <= 0:
        return None
    i_sqrt, sqrt = view.sole_user(add.output[0], "Sqrt")
    if sqrt is None or view.sole_user(sqrt.output[0], "Div")[1] is not div or div.input[1] != sqrt.output[0]:
        return None
    nodes, out, consts, inputs = [i_mean, i_sub, i_pow, i_var, i_add, i_sqrt, i_div], div.output[0], {}, ["", ""]
    for k, op in enumerate(("Mul", "Add")):
        i_aff, aff = view.sole_user(out, op)
        other = view.other(aff, out) if aff is not None else None
        value = view.const(other) if other else None
        if value is None or (op == "Add" and not inputs[0]) or value.dtype == object:
            break
        nodes.append(i_aff)
        inputs[k], consts[other], out = other, value, aff.output[0]
    repl = _replacement(view, i_mean, "LayerNormalization", [x, *inputs], out, epsilon=float(eps), graft_axes=axes)
    return Match(sorted(nodes), repl, consts)


def gelu_erf(view: View, erf) -> Match | None:
    """0.5 * x * (1 + erf(x / sqrt(2))), in the orders exporters write it."""
    i_erf = view.producer[erf.output[0]]
    i_scale, scale = view.node(erf.input[0])
    if scale is None or scale.op_type not in ("Div", "Mul") or view.sole_user(erf.input[0], "Erf")[1] is not erf:
        return None
    x, c = view.split(scale)
    if x is None or not _close(c, 2 ** 0.5 if scale.op_type == "Div" else 2 ** -0.5):
        return None
    i_one, one = view.sole_user(erf.output[0], "Add")
    if one is None or view.split(one) != (erf.output[0], 1.0):
        return None
    return _gelu_tail(view, [i_scale, i_erf, i_one], one.output[0], x, "none")


def gelu_tanh(view: View, tanh) -> Match | None:
    """0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x ** 3)))."""
    i_tanh = view.producer[tanh.output[0]]
    i_k, k = view.node(tanh.input[0])
    if k is None or k.op_type != "Mul" or view.sole_user(tanh.input[0], "Tanh")[1] is not tanh:
        return None
    inner, c = view.split(k)
    if inner is None or not _close(c, (2 / np.pi) ** 0.5):
        return None
    i_sum, total = view.node(inner)
    if total is None or total.op_type != "Add" or view.sole_user(inner, "Mul")[1] is not k:
        return None
    for x, cubic_name in ((total.input[0], total.input[1]), (total.input[1], total.input[0])):
        i_c3, c3 = view.node(cubic_name)
        cube, c = view.split(c3) if c3 is not None and c3.op_type == "Mul" else (None, None)
        if cube is None or not _close(c, 0.044715) or view.sole_user(cubic_name, "Add")[1] is not total:
            continue
        cube_nodes = _cube(view, cube, x)
        if cube_nodes is None:
            continue
        i_one, one = view.sole_user(tanh.output[0], "Add")
        if one is None or view.split(one) != (tanh.output[0], 1.0):
            return None
        return _gelu_tail(view, [*cube_nodes, i_c3, i_sum, i_k, i_tanh, i_one], one.output[0], x, "tanh")
    return None


def _cube(view: View, name: str, x: str) -> list[int] | None:
    """The nodes computing x ** 3 as Pow(x, 3) or x * (x * x)."""
    i, node = view.node(name)
    if node is None or view.sole_user(name, "Mul")[1] is None:
        return None
    if node.op_type == "Pow" and node.input[0] == x and _close(view.scalar(node.input[1]), 3.0):
        return [i]
    if node.op_type == "Mul" and x in node.input:
        sq = view.other(node, x)
        i_sq, square = view.node(sq) if sq else (None, None)
        if square is not None and square.op_type == "Mul" and list(square.input) == [x, x] \
                and view.sole_user(sq, "Mul")[1] is node:
            return [i_sq, i]
    return None


def _gelu_tail(view: View, nodes: list[int], gate: str, x: str, approximate: str) -> Match | None:
    """x * gate * 0.5 as (x * gate) * 0.5 or (x * 0.5) * gate."""
    i_mul, mul = view.sole_user(gate, "Mul")
    if mul is None:
        return None
    partner = view.other(mul, gate)
    if partner == x:
        i_half, half = view.sole_user(mul.output[0], "Mul")
        if half is None or view.split(half) != (mul.output[0], 0.5):
            return None
        nodes, out = [*nodes, i_mul, i_half], half.output[0]
    else:
        i_half, half = view.node(partner) if partner else (None, None)
        if half is None or half.op_type != "Mul" or view.split(half) != (x, 0.5) \
                or view.sole_user(partner, "Mul")[1] is not mul:
            return None
        nodes, out = [*nodes, i_half, i_mul], mul.output[0]
    nodes = sorted(nodes)
    return Match(nodes, _replacement(view, nodes[0], "Gelu", [x], out, approximate=approximate))


def _inner_used_outside(view: View, m: Match) -> bool:
    inside = set(m.nodes)
    final = m.replacement.output[0]
    for i in m.nodes:
        for out in view.nodes[i].output:
            if out and out != final and (out in view.outputs or any(u not in inside for u in view.users.get(out, []))):
                return True
    return False


PATTERNS: dict[str, list[Callable[[View, object], Match | None]]] = {
    "ReduceMean": [layer_norm],
    "Erf": [gelu_erf],
    "Tanh": [gelu_tanh],
}


def plan(graph, consts: dict[str, np.ndarray]) -> Plan:
    """Every match in the graph (a node joins at most one)."""
    view = View(graph, consts)
    at, skip, taken, fused = {}, set(), set(), {}
    for node in view.nodes:
        for pattern in PATTERNS.get(node.op_type, []):
            m = pattern(view, node)
            if m is None or taken & set(m.nodes) or _inner_used_outside(view, m):
                continue
            taken |= set(m.nodes)
            at[m.nodes[0]] = m
            skip |= set(m.nodes[1:])
            fused[m.replacement.op_type] = fused.get(m.replacement.op_type, 0) + 1
            break
    return Plan(at, skip, fused)
