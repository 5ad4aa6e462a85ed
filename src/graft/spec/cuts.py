"""Suggested cut points of a network: where people slice a foundation off (before the classifier, end of a stage).

A cut at node v keeps v and everything it depends on. It is suggested only where it is clean: nothing after v
reads the network input or any node before v other than v itself, so no residual shortcut is cut in half.
"""
from __future__ import annotations

from typing import Any

from .analyze import Analysis, analyze
from .network import INPUT

# what may follow the feature vector in a classifier: Linear layers, their activations, dropout
_CLASSIFIER = frozenset({"Linear", "Dropout", "ReLU", "ReLU6", "LeakyReLU", "GELU", "SiLU", "Sigmoid", "Tanh",
                         "Hardswish", "Hardsigmoid"})
# parameter-free elementwise layers that may close a residual block after its Add
_CLOSING = frozenset({"ReLU", "ReLU6", "LeakyReLU", "GELU", "SiLU", "Hardswish"})


def cut_points(doc: Any) -> list[dict[str, Any]]:
    """[{node, label, kind: "classifier" | "stage", shape, params}] for a valid single-output network document
    (or its Analysis), else [].

    `params` counts the foundation the cut keeps. "before the classifier" is the node feeding the network's
    trailing Linear chain; "end of stage k" is the last residual block at each spatial size (its Add, or the
    activation right after it); "end of block k" is a transformer block's last residual Add."""
    a = doc if isinstance(doc, Analysis) else analyze(doc)
    if not a.ok or a.spec is None or len(a.outputs) != 1 or len(a.order) != len(a.spec.nodes):
        return []
    nodes = {n.id: n for n in a.spec.nodes}
    order = a.order
    pos = {nid: i for i, nid in enumerate(order)}
    last_use = {INPUT: -1, **{nid: -1 for nid in order}}
    for nid in order:
        for ref in nodes[nid].inputs:
            last_use[ref] = max(last_use[ref], pos[nid])
    clean, reach, kept, total = set(), last_use[INPUT], {}, 0
    for i, nid in enumerate(order):     # reach: the furthest node that reads anything before nid
        total += a.params.get(nid, 0)
        kept[nid] = total
        if reach <= i and nid != a.outputs[0]:
            clean.add(nid)
        reach = max(reach, last_use[nid])

    def point(nid: str, label: str, kind: str) -> dict[str, Any]:
        return {"node": nid, "label": label, "kind": kind, "shape": a.shapes.get(nid), "params": kept[nid]}

    out = []
    head = _classifier_input(a.outputs[0], nodes, kept)
    if head in clean:
        out.append(point(head, "before the classifier", "classifier"))
    for k, nid in enumerate(_stage_ends(order, nodes, a.shapes, clean), 1):
        if nid != head:
            out.append(point(nid, f"end of stage {k}", "stage"))
    blocks, final = _block_ends(order, nodes, a.shapes, clean)
    out += [point(nid, f"end of block {k}", "stage") for k, nid in enumerate(blocks, 1) if nid != head]
    if final and final != head:
        out.append(point(final, "tokens after the final LayerNorm", "stage"))
    return out


def _block_ends(order: list[str], nodes: dict, shapes: dict, clean: set[str]) -> tuple[list[str], str | None]:
    """A transformer's blocks: the last clean residual Add on (tokens, dim) before each attention after the first,
    and after the last attention; then the LayerNorm that follows the last block."""
    ends, last_add, seen_attention = [], None, False
    for nid in order:
        node = nodes[nid]
        if node.type == "MultiHeadAttention":
            if seen_attention and last_add:
                ends.append(last_add)
            seen_attention, last_add = True, None
        elif node.type == "Add" and nid in clean and len(shapes.get(nid) or []) == 2:
            last_add = nid
    if seen_attention and last_add:
        ends.append(last_add)
    final = None
    if ends:
        after = order[order.index(ends[-1]) + 1:]
        final = next((n for n in after if nodes[n].type == "LayerNorm" and n in clean
                      and nodes[n].inputs == [ends[-1]]), None)
    return ends, final


def _classifier_input(output: str, nodes: dict, kept: dict[str, int]) -> str | None:
    """The node feeding the first Linear of the trailing classifier chain (the last Linear's input when that
    would keep no parameters, as in a plain MLP)."""
    linears, nid = [], output
    while nid in nodes and nodes[nid].type in _CLASSIFIER and len(nodes[nid].inputs) == 1:
        if nodes[nid].type == "Linear":
            linears.append(nodes[nid].inputs[0])
        nid = nodes[nid].inputs[0]
    for cand in reversed(linears):      # earliest Linear first
        if kept.get(cand, 0) > 0:
            return cand
    return None


def _stage_ends(order: list[str], nodes: dict, shapes: dict, clean: set[str]) -> list[str]:
    """Per run of nodes with the same spatial size ([C, H, W] outputs), the clean cut that closes its last
    residual Add. Runs without an Add (a stem) are not stages."""
    ends, run, best = [], None, None
    for nid in order:
        shape = shapes.get(nid) or []
        size = tuple(shape[1:]) if len(shape) == 3 else None
        if size != run:
            if best:
                ends.append(best)
            run, best = size, None
        if size is None:
            continue
        node = nodes[nid]
        if node.type == "Add" and nid in clean:
            best = nid
        elif (best and node.type in _CLOSING and node.inputs == [best] and nid in clean):
            best = nid
    if best:
        ends.append(best)
    return ends
