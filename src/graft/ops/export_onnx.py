"""ONNX export, checked with onnxruntime against graft's own output before it is handed over.

torch's new (dynamo) exporter needs onnxscript; graft uses the TorchScript-based exporter (`dynamo=False`),
which needs only `onnx`, so the `[onnx]` extra (onnx + onnxruntime) is all an export takes.
The exported graph takes normalized float32 input [batch, *input_shape] and has one output, "output", or one per
head named after its output node id (`graft.outputs` in the metadata); the normalization graft used in
training is stored in the file's metadata (`graft.normalization`; the channel conversion, `graft.convert`; the fit
to the input size, `graft.resize` as {resize: [H, W], fit: crop|pad} or null), with the model id and name.
"""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np

from .models import convert_of, fit_of, load_model

OPSET = 17
TOLERANCE = 1e-4
CHECK_BATCH = 64


class ExportCheckFailed(ValueError):
    pass


def check_batch(ws, record: dict, module, n: int = CHECK_BATCH):
    """A real MNIST test batch when the model takes MNIST images, else seeded random inputs of its shape."""
    import torch

    from ..engine.data import input_tensor, normalization_of
    from .data_refs import load_split

    shape = list(record["spec"]["input"]["shape"])
    if shape == [1, 28, 28]:
        ds = load_split(ws, {"dataset": "mnist", "transforms": [{"limit": n}]}, "test")
        norm = normalization_of(ds, getattr(module, "normalization", None))
        return input_tensor(ds, norm, torch.device("cpu")), "mnist test"
    g = torch.Generator().manual_seed(0)
    return torch.randn(n, *shape, generator=g), "random"


def export_onnx(ws, model_id: str, path: str | Path, tolerance: float = TOLERANCE) -> dict:
    """Write `model_id` as ONNX to `path`; returns {path, max_abs_diff, batch, inputs, opset}.

    Raises ExportCheckFailed (and removes the file) when onnxruntime's output differs from torch's by
    `tolerance` or more.
    """
    record, spec, module = load_model(ws, model_id)
    module = module.float().eval()
    x, source = check_batch(ws, record, module)
    path = Path(path)
    meta = {"graft.model_id": record["id"], "graft.name": record["name"],
            "graft.normalization": json.dumps((record.get("hparams") or {}).get("normalization")),
            "graft.input_shape": json.dumps(list(spec.input.shape)),
            "graft.convert": json.dumps(convert_of(record)),
            "graft.resize": json.dumps(fit_of(record)), **_heads_meta(record, module)}
    write_onnx(module, x[:2], path, meta)
    diff = max_abs_diff(path, module, x)
    if not diff < tolerance:
        path.unlink(missing_ok=True)
        raise ExportCheckFailed(f"{record['id']}: onnxruntime's output differs from torch's by {diff:.3g} on "
                                f"{len(x)} {source} samples (tolerance {tolerance:g}); the ONNX file was removed")
    return {"format": "onnx", "path": str(path), "model_id": record["id"], "max_abs_diff": diff,
            "batch": len(x), "inputs": source, "opset": OPSET}


def _heads_meta(record: dict, module) -> dict[str, str]:
    """Several heads: the output names and each one's classes (from its task's data), in the file's metadata."""
    if len(module.outputs) < 2:
        return {}
    classes = {t["output"]: t.get("classes") for t in record.get("tasks") or []}
    return {"graft.outputs": json.dumps(list(module.outputs)),
            "graft.classes": json.dumps({o: classes.get(o) for o in module.outputs})}


def write_onnx(module, x, path: Path, meta: dict[str, str]) -> None:
    """Trace a compiled network (in eval mode) on example input x into a checked ONNX file with a batch axis."""
    import onnx
    import torch

    # one output is "output" (as it always was); several heads are named after their output node ids
    outputs = list(module.outputs) if len(module.outputs) > 1 else ["output"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (DeprecationWarning, FutureWarning, UserWarning))
        torch.onnx.export(module, (x,), str(path), dynamo=False, opset_version=OPSET, input_names=["input"],
                          output_names=outputs, dynamic_axes={n: {0: "batch"} for n in ["input", *outputs]})
    model = onnx.load(str(path))
    for key, value in meta.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def max_abs_diff(path: Path, module, x) -> float:
    """The largest difference between onnxruntime's outputs for x and the module's."""
    import onnxruntime as ort
    import torch

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input": x.numpy()})
    with torch.no_grad():
        want = module(x)
    want = [want] if isinstance(want, torch.Tensor) else list(want)
    return max(float(np.abs(g - w.numpy()).max()) for g, w in zip(got, want))
