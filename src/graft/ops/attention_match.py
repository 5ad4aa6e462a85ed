"""Multi-head self-attention found in an imported graph, so that it imports as one MultiHeadAttention node instead
of the twenty-odd primitives an exporter writes (projections, reshapes to heads, transposes, scaling, matmuls,
softmax, the merge of the heads and the output projection).

Both importers describe their graph as `Step`s (one per source node that can be part of attention, in the
importer's own terms: torch.export ATen nodes or ONNX nodes) and ask `find_attention` for the matches. A match is
accepted only when the axes work out: each projection's (batch, tokens, dim) output is split into (heads, head
dim) and moved to (batch, heads, tokens, head dim) (the key to (batch, heads, head dim, tokens) where a plain
matmul follows), the scaling totals 1/sqrt(head dim), the heads merge back to (batch, tokens, dim) before the
output projection, and no intermediate tensor is read outside the pattern.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

PATH = {"reshape", "transpose", "scale", "alias", "bias"}   # what may lie between a projection and the core


@dataclass
class Step:
    id: Any                         # the importer's own handle on the source node
    kind: str                       # linear, bias, reshape, transpose, scale, alias, matmul, softmax, sdpa
    inputs: list[str]               # tensor inputs (names), constants left out
    output: str
    shape: tuple | None = None      # output shape with the batch; None entries are unknown
    perm: tuple[int, ...] = ()      # transpose
    factor: float = 1.0             # scale
    dim: int | None = None          # linear: out features; softmax: axis
    extra: dict = field(default_factory=dict)   # sdpa: scale / mask handle


@dataclass
class Attention:
    x: str                          # the tensor the three projections read
    output: str                     # the output projection's result
    heads: int
    dim: int
    q: Step
    k: Step
    v: Step
    out: Step
    biases: dict[str, Step]         # projection name -> its separate bias step (ONNX: MatMul + Add)
    core: Step
    members: list[Step]


class _Graph:
    def __init__(self, steps: list[Step], readers: dict[str, int]):
        self.by_output = {s.output: s for s in steps}
        self.readers = readers          # tensor -> how many nodes (or graph outputs) read it
        self.consumers: dict[str, list[Step]] = {}
        for s in steps:
            for i in s.inputs:
                self.consumers.setdefault(i, []).append(s)

    def only_consumer(self, name: str) -> Step | None:
        c = self.consumers.get(name, [])
        return c[0] if len(c) == 1 and self.readers.get(name, 0) == 1 else None


def _layout(path: list[Step], dim: int, tokens) -> tuple[tuple, float, int | None] | None:
    """Axis labels after `path` (from a projection's (N, T, D) output), the scale it applies, the head dim."""
    labels, sizes, factor, head = ["N", "T", "D"], [None, tokens, dim], 1.0, None
    for s in path:
        if s.kind == "transpose":
            if sorted(s.perm) != list(range(len(labels))):
                return None
            labels, sizes = [labels[i] for i in s.perm], [sizes[i] for i in s.perm]
        elif s.kind == "scale":
            factor *= s.factor
        elif s.kind == "reshape":
            out = list(s.shape or ())
            if len(out) == len(labels) and all(o is None or n is None or o == n
                                               for o, n in zip(out[1:], sizes[1:])):
                continue
            if labels[-1] == "D" and len(out) == len(labels) + 1 and out[-1]:
                head = int(out[-1])
                if dim % head:
                    return None
                labels, sizes = labels[:-1] + ["H", "d"], sizes[:-1] + [dim // head, head]
            elif labels[-2:] == ["H", "d"] and len(out) == len(labels) - 1:
                labels, sizes = labels[:-2] + ["D"], sizes[:-2] + [dim]
            else:
                return None
    return tuple(labels), factor, head


def _back(g: _Graph, name: str) -> tuple[Step, list[Step], Step | None] | None:
    """(projection, the steps from it to `name`, its separate bias step) walking back through PATH steps."""
    path: list[Step] = []
    while True:
        s = g.by_output.get(name)
        if s is None:
            return None
        if s.kind == "linear":
            break
        if s.kind not in PATH or len(s.inputs) != 1:
            return None
        path.insert(0, s)
        name = s.inputs[0]
    bias = path[0] if path and path[0].kind == "bias" else None
    for p in path:                                   # each intermediate is read by the next step only
        if g.readers.get(p.inputs[0], 0) != 1:
            return None
    return s, path, bias


def _forward(g: _Graph, name: str, dim: int) -> tuple[Step, list[Step], Step | None] | None:
    """From the core's (N, H, T, d) output to the output projection (and its separate bias step)."""
    path: list[Step] = []
    while True:
        s = g.only_consumer(name)
        if s is None:
            return None
        if s.kind == "linear":
            break
        if s.kind not in {"reshape", "transpose", "alias"}:
            return None
        path.append(s)
        name = s.output
    labels = ["N", "H", "T", "d"]
    for p in path:
        if p.kind == "transpose":
            labels = [labels[i] for i in p.perm] if sorted(p.perm) == list(range(len(labels))) else []
        elif p.kind == "reshape":
            out = list(p.shape or ())
            if labels[-2:] == ["H", "d"] and len(out) == 3 and out[-1] in (None, dim):
                labels = labels[:-2] + ["D"]
            elif len(out) != len(labels):
                return None
    if labels != ["N", "T", "D"] or s.dim != dim:
        return None
    bias = g.only_consumer(s.output)
    return s, path, bias if bias is not None and bias.kind == "bias" else None


def _core(g: _Graph, s: Step):
    """(q, k, v tensor names, scale applied inside the core, whether k arrives transposed, core steps, result)."""
    if s.kind == "sdpa":
        q, k, v = s.inputs[:3]
        return q, k, v, s.extra.get("scale"), False, [s], s.output
    if s.kind != "softmax" or s.dim not in (-1, 3):
        return None
    steps, name, factor = [s], s.inputs[0], 1.0
    while (p := g.by_output.get(name)) is not None and p.kind in ("scale", "alias") and g.readers.get(name) == 1:
        factor *= p.factor
        steps.insert(0, p)
        name = p.inputs[0]
    mm = g.by_output.get(name)
    if mm is None or mm.kind != "matmul" or g.readers.get(name) != 1:
        return None
    after, name = [], s.output
    while (c := g.only_consumer(name)) is not None and c.kind == "alias":
        after.append(c)
        name = c.output
    out = g.only_consumer(name)
    if out is None or out.kind != "matmul" or out.inputs[0] != name:
        return None
    return mm.inputs[0], mm.inputs[1], out.inputs[1], factor, True, [mm, *steps, *after, out], out.output


def find_attention(steps: list[Step], readers: dict[str, int]) -> list[Attention]:
    g = _Graph(steps, readers)
    found = []
    for s in steps:
        core = _core(g, s) if s.kind in ("sdpa", "softmax") else None
        if core is None:
            continue
        q_name, k_name, v_name, core_scale, k_transposed, core_steps, result = core
        paths = [_back(g, n) for n in (q_name, k_name, v_name)]
        if any(p is None for p in paths):
            continue
        (q, qp, qb), (k, kp, kb), (v, vp, vb) = paths
        if len({q.inputs[0], k.inputs[0], v.inputs[0]}) != 1 or len({q.dim, k.dim, v.dim}) != 1:
            continue
        dim, x = int(q.dim), q.inputs[0]
        tokens = (q.shape or (None, None))[1]
        layouts = [_layout(p, dim, tokens) for p in (qp, kp, vp)]
        if any(lay is None for lay in layouts):
            continue
        want_k = ("N", "H", "d", "T") if k_transposed else ("N", "H", "T", "d")
        if [lay[0] for lay in layouts] != [("N", "H", "T", "d"), want_k, ("N", "H", "T", "d")]:
            continue
        heads_dim = {lay[2] for lay in layouts} - {None}
        if len(heads_dim) != 1:
            continue
        head = heads_dim.pop()
        scale = layouts[0][1] * layouts[1][1] * (core_scale if core_scale is not None else
                                                  (1.0 if k_transposed else 1 / math.sqrt(head)))
        if layouts[2][1] != 1.0 or not math.isclose(scale, 1 / math.sqrt(head), rel_tol=1e-5):
            continue
        fwd = _forward(g, result, dim)
        if fwd is None:
            continue
        out, op, ob = fwd
        members = [q, *qp, k, *kp, v, *vp, *core_steps, *op, out] + ([ob] if ob else [])
        biases = {n: b for n, b in (("q", qb), ("k", kb), ("v", vb), ("out", ob)) if b is not None}
        found.append(Attention(x, (ob or out).output, dim // head, dim, q, k, v, out, biases, s, members))
    return found
