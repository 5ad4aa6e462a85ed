"""An ONNX file as a graft network document and its weights, without executing anything from the file.

The file is parsed as protobuf data (onnx.load) after it passed the checks below; it is never run. The shape
arithmetic exporters leave in a graph (Shape -> Gather -> Concat -> Reshape, Constant, Identity) is computed here
for the declared input size ("folded"); every other node maps to one graft layer (onnx_ops.HANDLERS), or the
import fails naming the node, its op type and what is supported.

Refused before anything is built: a file over `limits.max_bytes` (with its external data), one that is not
valid ONNX (corrupt, truncated), external data outside the file's folder (the CVE-2022-25882 family), a graph
whose input size is dynamic when no input_shape is given.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import onnx_ops, onnx_vit
from .cancel import check
from .import_graph import GraphBuilder, ImportFailed, fuse_moved_norms
from .onnx_ops import BATCH, Ctx, attrs
from .onnx_patterns import plan

FOLD = {**onnx_ops.FOLD, **onnx_vit.FOLD}
HANDLERS = {**onnx_ops.HANDLERS, **onnx_vit.HANDLERS}


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 2 << 30        # the file plus its external data
    max_nodes: int = 100_000


DEFAULT_LIMITS = Limits()
# ops whose constant inputs are arguments (bounds, sizes, pads), not weights
ARGUMENT_OPS = {"Clip", "Pad", "Reshape", "Slice", "Unsqueeze", "Squeeze", "Gather", "Cast", "ReduceMean", "Concat",
                "Shape", "Identity"}


def _external_files(model, path: Path, shown: str) -> list[Path]:
    """The external data files the initializers name, each checked to lie inside the model's folder."""
    from onnx.external_data_helper import uses_external_data

    folder = path.parent.resolve()
    files = []
    for t in model.graph.initializer:
        if not uses_external_data(t):
            continue
        location = next((e.value for e in t.external_data if e.key == "location"), "")
        target = (folder / location).resolve()
        if not location or Path(location).is_absolute() or ".." in Path(location).parts \
                or not target.is_relative_to(folder):
            raise ImportFailed(f"{shown}: initializer {t.name!r} keeps its data at {location!r}, outside the "
                               f"file's folder; refused (external data must lie beside the model)")
        if not target.is_file():
            raise ImportFailed(f"{shown}: initializer {t.name!r}: its external data file {location!r} is missing")
        files.append(target)
    return sorted(set(files))


def read_onnx(path: str | Path, limits: Limits = DEFAULT_LIMITS, shown: str | None = None):
    """The checked ModelProto, plus the file's sha256; messages call the file `shown` (default: its path)."""
    import onnx
    from google.protobuf.message import DecodeError

    shown, path = shown or str(path), Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{shown}: no such file")
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise ImportFailed(f"{shown}: {size} bytes is over the import limit of {limits.max_bytes} bytes")
    data = path.read_bytes()
    try:
        model = onnx.load_model_from_string(data)
    except (DecodeError, ValueError, RuntimeError) as e:
        raise ImportFailed(f"{shown}: not a valid ONNX file (corrupt or truncated: {e})") from None
    if not model.HasField("graph") or not model.graph.node:
        raise ImportFailed(f"{shown}: not a valid ONNX file (it holds no graph; corrupt or truncated?)")
    external = _external_files(model, path, shown)
    total = size + sum(f.stat().st_size for f in external)
    if total > limits.max_bytes:
        raise ImportFailed(f"{shown}: {total} bytes with its external data is over the import limit of "
                           f"{limits.max_bytes} bytes")
    if len(model.graph.node) > limits.max_nodes:
        raise ImportFailed(f"{shown}: {len(model.graph.node)} nodes is over the import limit of {limits.max_nodes}")
    if external:
        from onnx.external_data_helper import load_external_data_for_model
        load_external_data_for_model(model, str(path.parent.resolve()))
    try:
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as e:
        raise ImportFailed(f"{shown}: not a valid ONNX model ({str(e).splitlines()[0]})") from None
    return model, hashlib.sha256(data).hexdigest()


def _input(graph, shown: str, input_shape) -> tuple[str, tuple[int, ...]]:
    init = {t.name for t in graph.initializer}
    real = [i for i in graph.input if i.name not in init]
    if len(real) != 1:
        raise ImportFailed(f"{shown}: graft imports graphs with one input; this one has {len(real)} "
                           f"({', '.join(i.name for i in real)})")
    inp = real[0]
    dims = [d.dim_value if d.HasField("dim_value") else (d.dim_param or "?")
            for d in inp.type.tensor_type.shape.dim]
    if len(dims) < 2:
        raise ImportFailed(f"{shown}: input {inp.name!r} has shape {dims}; expected (batch, channels, ...)")
    sample = dims[1:]
    if input_shape is None:
        if not all(isinstance(d, int) and d > 0 for d in sample):
            raise ImportFailed(f"{shown}: input {inp.name!r} has a dynamic size {['batch', *sample]}; give the "
                               f"input shape (input_shape=(C, H, W), or --input-shape C,H,W)")
        return inp.name, tuple(sample)
    shape = tuple(int(n) for n in input_shape)
    if len(shape) != len(sample) or any(isinstance(d, int) and d > 0 and d != n for d, n in zip(sample, shape)):
        raise ImportFailed(f"{shown}: input_shape {list(shape)} does not fit input {inp.name!r} of shape "
                           f"{['batch', *sample]}")
    return inp.name, shape


def _hint(node, index: int) -> str:
    """A readable node id from the exporter's scope name: `/resnet/embedder/convolution/Conv` -> its scope."""
    parts = [p for p in node.name.split("/") if p]
    if len(parts) > 1 and parts[-1].split("_")[0] == node.op_type:
        parts = parts[:-1]
    return "_".join(parts) if parts else f"{node.op_type.lower()}_{index}"


def _static_batch(graph, in_name: str) -> int | None:
    """The input's batch size when the exporter fixed it (torch's dynamo exporter does by default)."""
    inp = next(i for i in graph.input if i.name == in_name)
    dim = inp.type.tensor_type.shape.dim[0]
    return dim.dim_value if dim.HasField("dim_value") and dim.dim_value > 0 else None


def _group(node) -> str | None:
    """The module path in the exporter's scope name: `/resnet/encoder/stages.0/layers.1/Add` -> resnet.encoder.
    stages.0.layers.1. A container's child repeats its parent's name (`/layer/layer.0/`), which is dropped."""
    if not node.name.startswith("/"):
        return None
    path, parent = [], ""
    for part in [p for p in node.name.split("/") if p][:-1]:
        path.append(part[len(parent) + 1:] if parent and part.startswith(parent + ".") else part)
        parent = part
    return ".".join(path) or None


def onnx_to_graft(path: str | Path, *, input_shape=None, display_name: str | None = None,
                  limits: Limits = DEFAULT_LIMITS, should_stop=None
                  ) -> tuple[dict, dict[str, np.ndarray], dict[str, Any]]:
    """(network document, {node-scoped state-dict key: array}, info) for the ONNX file at `path`.
    `display_name` is how messages call the file (what the user uploaded; default: the path). Raises Cancelled
    between nodes when `should_stop` says so."""
    from onnx import numpy_helper

    shown = display_name or str(path)
    model, digest = read_onnx(path, limits, shown)
    graph = model.graph
    in_name, shape = _input(graph, shown, input_shape)
    name = Path(shown).stem
    b = GraphBuilder(shown, name, shape)
    consts = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    ctx = Ctx(b, {in_name: "input"}, consts, _consumers(graph), _opset(model), static_batch=_static_batch(graph, in_name))
    folded, mapped = 0, {}
    fusion = plan(graph, consts)
    fused, inside = onnx_vit.find(model, consts, in_name, shape, ctx.opset)
    for index, node in enumerate(graph.node):
        check(should_stop)
        if index in fusion.skip:
            continue
        if index in fusion.at:   # a pattern imported as one node (onnx_patterns), where its first node stands
            consts.update(fusion.at[index].consts)
            node = fusion.at[index].replacement
        where = f"{node.name or '#' + str(index)} ({node.op_type})"
        inputs = [i for i in node.input]
        if index in inside:
            continue
        if index in fused:
            ctx.where, ctx.hint = f"{where} (attention)", _hint(node, index)
            ctx.refs[node.output[0]] = onnx_vit.attention(ctx, fused[index])
            mapped["attention"] = mapped.get("attention", 0) + 1
            continue
        # a Shape is known from the input size even when its input is computed
        if node.op_type in FOLD and (node.op_type == "Shape" or all(i == "" or i in consts for i in inputs)):
            for out, value in zip(node.output, FOLD[node.op_type](ctx, node, where)):
                consts[out] = value
            folded += 1
            continue
        handler = HANDLERS.get(node.op_type)
        if handler is None:
            raise ImportFailed(f"{shown}: node {where}: op type {node.op_type} is not supported; graft imports "
                               f"{', '.join(sorted(set(HANDLERS) | set(FOLD)))} (shape arithmetic only on "
                               f"constants: {', '.join(sorted(FOLD))})")
        for i in inputs:
            if i and i not in consts and i not in ctx.refs:
                raise ImportFailed(f"{shown}: node {where}: input {i!r} is not produced by any earlier node")
        ctx.where, ctx.hint, ctx.node, ctx.attrs = where, _hint(node, index), node, attrs(node)
        b.group = _group(node)
        outs = handler(ctx, inputs)
        for out, ref in zip(node.output, outs if isinstance(outs, list) else [outs]):
            if isinstance(ref, np.ndarray):
                consts[out] = ref
            else:
                ctx.refs[out] = ref
        mapped[node.op_type] = mapped.get(node.op_type, 0) + 1
    outputs = []
    for o in graph.output:
        if o.name not in ctx.refs:
            raise ImportFailed(f"{shown}: graph output {o.name!r} is a constant, not computed from the input")
        if ctx.refs[o.name] == "input":
            raise ImportFailed(f"{shown}: graph output {o.name!r} is the input itself")
        outputs.append(ctx.refs[o.name])
    outputs = fuse_moved_norms(b, outputs)
    producer = " ".join(p for p in (model.producer_name, model.producer_version) if p)
    doc = b.document(outputs, f"imported from {Path(shown).name}" + (f" ({producer})" if producer else ""))
    info = {"format": "onnx", "file": Path(shown).name, "sha256": digest, "opset": ctx.opset, "producer": producer,
            "input_name": in_name, "input_shape": list(shape), "onnx_nodes": len(graph.node), "folded": folded,
            "mapped": mapped, "fused": fusion.fused, "source_params": _graph_params(graph)}
    return doc, b.weights, info


def _consumers(graph) -> dict[str, int]:
    n: dict[str, int] = {}
    for node in graph.node:
        for i in node.input:
            n[i] = n.get(i, 0) + 1
    for o in graph.output:
        n[o.name] = n.get(o.name, 0) + 1
    return n


def _graph_params(graph) -> int:
    """The trainable numbers the ONNX graph holds: float initializers, less batch-norm running statistics."""
    stats = {i for n in graph.node if n.op_type == "BatchNormalization" for i in n.input[3:5]}
    readers: dict[str, set[str]] = {}
    for n in graph.node:
        for i in n.input:
            readers.setdefault(i, set()).add(n.op_type)
    return sum(int(np.prod(t.dims)) for t in graph.initializer
               if t.data_type in (1, 10, 11, 16) and t.name not in stats   # float, float16, double, bfloat16
               and not readers.get(t.name, set()) <= ARGUMENT_OPS)


def _opset(model) -> int:
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 1)


__all__ = ["BATCH", "DEFAULT_LIMITS", "ImportFailed", "Limits", "onnx_to_graft", "read_onnx"]
