"""What both importers (ONNX files, torch modules) write into: a graft network document built node by node.

Each node is parsed and its shape inferred by the registry layer as it is added, so an importer always knows the
shape of what it has built so far (shapes exclude the batch), and a node graft cannot compute fails at once,
naming the source node. Weights are numpy arrays under node-scoped state-dict keys (`<node id>.weight`).
"""
from __future__ import annotations

import re
from typing import Any

import numpy as np
from pydantic import ValidationError

from ..spec.issues import ShapeError
from ..spec.network import INPUT
from ..spec.registry import REGISTRY

MAX_ID = 64


class ImportFailed(ValueError):
    """A model graft cannot import; the message names the source (file or module) and the node."""


def node_id(hint: str, taken: set[str]) -> str:
    """A valid, unused node id from a source name such as `/resnet/encoder/stages.0/Conv` or `layer.0.conv`."""
    base = re.sub(r"[^A-Za-z0-9_]+", "_", hint).strip("_") or "node"
    if not re.match(r"[A-Za-z_]", base):
        base = f"n_{base}"
    base = base[-MAX_ID + 4:].lstrip("_0123456789") or "node"   # the end of a scope path is its most specific part
    out, i = base, 2
    while out in taken or out == INPUT:
        out, i = f"{base}_{i}", i + 1
    taken.add(out)
    return out


def group_name(path: str | None) -> str | None:
    """A node's `group` from a source's module path (`resnet.encoder.stages.0`, `/resnet/encoder/stages.0`):
    dotted, each part reduced to letters, digits and `_`; None for the top level."""
    parts = [re.sub(r"[^A-Za-z0-9_]+", "_", p).strip("_") for p in re.split(r"[./]+", path or "")]
    dotted = ".".join(p for p in parts if p)
    return dotted[:256].rstrip(".") or None


class GraphBuilder:
    def __init__(self, source: str, name: str, input_shape: tuple[int, ...]):
        self.source, self.name = source, name
        self.input_shape = tuple(int(n) for n in input_shape)
        self.nodes: list[dict] = []
        self.shapes: dict[str, tuple[int, ...]] = {INPUT: self.input_shape}
        self.types: dict[str, str] = {INPUT: "input"}
        self.weights: dict[str, np.ndarray] = {}
        self.taken: set[str] = set()
        self.group: str | None = None   # the module path of the source node being mapped: add()'s default group

    def fail(self, where: str, problem: str) -> ImportFailed:
        return ImportFailed(f"{self.source}: node {where}: {problem}")

    def add(self, where: str, layer_type: str, params: dict[str, Any], inputs: list[str],
            weights: dict[str, Any] | None = None, hint: str | None = None, group: str | None = None) -> str:
        """Add a node (named after `hint`, else `where`); returns its id. `where` names the source node in errors;
        `group` is the module path it came from (see group_name; default: self.group)."""
        layer = REGISTRY[layer_type]
        try:
            parsed = layer.parse(params)
            shape = tuple(layer.infer(parsed, [self.shapes[i] for i in inputs]))
        except ValidationError as e:
            raise self.fail(where, f"{layer_type} parameters {params}: {e.errors()[0]['msg']}") from None
        except ShapeError as e:
            raise self.fail(where, f"{layer_type} on inputs of shape {[list(self.shapes[i]) for i in inputs]}: "
                                   f"{e}") from None
        nid = node_id(hint or where, self.taken)
        node = {"id": nid, "type": layer_type, "params": parsed.model_dump(mode="json"), "inputs": list(inputs)}
        if group_name(group or self.group):
            node["group"] = group_name(group or self.group)
        self.nodes.append(node)
        self.shapes[nid], self.types[nid] = shape, layer_type
        for key, value in (weights or {}).items():
            self.weights[f"{nid}.{key}"] = np.array(value, order="C")
        return nid

    def set_weight(self, nid: str, key: str, value: Any) -> None:
        self.weights[f"{nid}.{key}"] = np.array(value, order="C")

    def node(self, nid: str) -> dict:
        return next(n for n in self.nodes if n["id"] == nid)

    def document(self, outputs: list[str], description: str = "") -> dict:
        doc = {"format": "graft.network/v1", "name": self.name, "description": description,
               "input": {"shape": list(self.input_shape)}, "nodes": self.nodes}
        if outputs:
            doc["outputs"] = list(outputs)
        return doc


# ---- pieces both importers map the same way ---------------------------------------------------------------------

def conv(b: GraphBuilder, where: str, x: str, weight: np.ndarray, bias: np.ndarray | None, stride, padding,
         dilation, groups: int, hint: str | None = None) -> str:
    """A Conv2d; `padding` is (top, left, bottom, right): an uneven one becomes a Pad2d node before the conv."""
    top, left, bottom, right = (int(v) for v in padding)
    if (top, left) != (bottom, right):
        x = b.add(where, "Pad2d", {"padding": [left, right, top, bottom]}, [x], hint=f"{hint or where}_pad")
        top = left = 0
    params = {"out_channels": int(weight.shape[0]), "kernel_size": [int(k) for k in weight.shape[2:]],
              "stride": [int(s) for s in stride], "padding": [top, left], "dilation": [int(d) for d in dilation],
              "groups": int(groups), "bias": bias is not None}
    weights = {"weight": weight} if bias is None else {"weight": weight, "bias": bias}
    return b.add(where, "Conv2d", params, [x], weights, hint)


def batch_norm(b: GraphBuilder, where: str, x: str, scale, shift, mean, var, eps: float,
               tracked: Any = 0, hint: str | None = None) -> str:
    kind = {3: "BatchNorm2d", 1: "BatchNorm1d", 2: "BatchNorm1d"}.get(len(b.shapes[x]))
    if kind is None:
        raise b.fail(where, f"batch normalisation of a rank-{len(b.shapes[x])} input is not supported")
    weights = {"weight": scale, "bias": shift, "running_mean": mean, "running_var": var,
               "num_batches_tracked": np.asarray(tracked, dtype=np.int64)}
    return b.add(where, kind, {"eps": float(eps)}, [x], weights, hint)


def reshape(b: GraphBuilder, where: str, x: str, target: tuple[int, ...], hint: str | None = None) -> str:
    """Reshape each sample to `target` (no batch): (N, -1) is a Flatten."""
    if len(target) == 1:
        return x if len(b.shapes[x]) == 1 else b.add(where, "Flatten", {}, [x], hint=hint)
    return b.add(where, "Reshape", {"shape": [int(n) for n in target]}, [x], hint=hint)

