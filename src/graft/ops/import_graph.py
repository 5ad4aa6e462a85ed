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



def linear(b: GraphBuilder, where: str, x: str, weight: np.ndarray, bias: np.ndarray | None,
           hint: str | None = None) -> str:
    """A Linear on the last dimension; on a channels-last map (rank 3 or more) it is per_position."""
    params = {"out_features": int(weight.shape[0]), "bias": bias is not None}
    if len(b.shapes[x]) > 2:
        params["per_position"] = True
    weights = {"weight": weight} if bias is None else {"weight": weight, "bias": np.asarray(bias).reshape(-1)}
    return b.add(where, "Linear", params, [x], weights, hint)


def scale(b: GraphBuilder, where: str, x: str, factor: np.ndarray, hint: str | None = None) -> str | None:
    """x times a constant that varies along one dimension (layer scale): a Scale node; None if it is not one."""
    shape, f = b.shapes[x], np.asarray(factor)
    if f.ndim > len(shape) + 1 or f.dtype.kind != "f":
        return None
    full = (1,) * (len(shape) + 1 - f.ndim) + f.shape   # aligned with (batch, *shape)
    axes = [i for i, n in enumerate(full[1:]) if n != 1]
    if full[0] != 1 or len(axes) != 1 or full[1 + axes[0]] != shape[axes[0]]:
        return None
    dim = -1 if axes[0] == len(shape) - 1 else axes[0]
    return b.add(where, "Scale", {"dim": dim}, [x], {"weight": f.reshape(-1).astype(np.float32)}, hint)


def layer_norm(b: GraphBuilder, where: str, x: str, dims: list[int], weight, bias, eps: float,
               hint: str | None = None) -> str:
    """A LayerNorm over the sample dimensions `dims` (no batch): trailing ones, or any single one."""
    shape = b.shapes[x]
    dims = sorted(d % len(shape) for d in dims)
    if dims == list(range(dims[0], len(shape))):
        params = {} if len(dims) == 1 else {"normalized_shape": [int(n) for n in shape[dims[0]:]]}
    elif len(dims) == 1:
        params = {"dim": dims[0]}
    else:
        raise b.fail(where, f"layer normalisation over dimensions {dims} of {list(shape)}: graft normalises the "
                            f"trailing dimensions or one dimension")
    norm = tuple(int(shape[d]) for d in dims)
    weights = {}
    for key, value in (("weight", weight), ("bias", bias)):
        if value is None:
            continue
        value = np.asarray(value)
        if value.size != int(np.prod(norm)):
            raise b.fail(where, f"layer normalisation {key} of shape {list(value.shape)} for dimensions of size "
                                f"{list(norm)}")
        weights[key] = value.reshape(norm if len(dims) > 1 else (-1,))
    if bias is not None and weight is None:
        raise b.fail(where, "layer normalisation with a bias but no scale is not supported")
    params.update({"eps": float(eps), "elementwise_affine": weight is not None, "bias": bias is not None})
    return b.add(where, "LayerNorm", params, [x], weights, hint)


def fuse_moved_norms(b: GraphBuilder, outputs: list[str]) -> list[str]:
    """Permute -> LayerNorm (last dim) -> the inverse Permute, as both exporters write a channels-first LayerNorm
    (ConvNeXt's), becomes one LayerNorm over that dimension. Returns the outputs, renamed where fused."""
    used: dict[str, int] = {}
    for n in b.nodes:
        for i in n["inputs"]:
            used[i] = used.get(i, 0) + 1
    for o in outputs:
        used[o] = used.get(o, 0) + 1
    by_id = {n["id"]: n for n in b.nodes}
    renamed: dict[str, str] = {}
    drop: set[str] = set()
    for close in b.nodes:
        norm = by_id.get(close["inputs"][0]) if close["type"] == "Permute" else None
        if norm is None or norm["type"] != "LayerNorm" or norm["params"]["normalized_shape"] is not None \
                or norm["params"]["dim"] != -1 or used.get(norm["id"]) != 1:
            continue
        open_ = by_id.get(norm["inputs"][0])
        if open_ is None or open_["type"] != "Permute" or used.get(open_["id"]) != 1 or open_["id"] in drop:
            continue
        first, second = open_["params"]["dims"], close["params"]["dims"]
        if [first[d] for d in second] != list(range(len(first))):
            continue
        norm["params"]["dim"], norm["inputs"] = first[-1], list(open_["inputs"])
        old, nid = norm["id"], open_["id"]   # the first permute took the norm's name (`..._layernorm`)
        for key in [k for k in b.weights if k.startswith(old + ".")]:
            b.weights[nid + key[len(old):]] = b.weights.pop(key)
        norm["id"], b.shapes[nid] = nid, b.shapes[open_["inputs"][0]]
        renamed[close["id"]] = renamed[old] = nid
        drop |= {old, close["id"]}
        open_["id"] = ""   # replaced by the norm
    b.nodes = [n for n in b.nodes if n["id"] and n["id"] not in drop]
    for n in b.nodes:
        n["inputs"] = [renamed.get(i, i) for i in n["inputs"]]
    for nid in drop:
        b.shapes.pop(nid, None)
    return [renamed.get(o, o) for o in outputs]
