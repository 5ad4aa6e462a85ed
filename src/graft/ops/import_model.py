"""Register a pretrained model from an ONNX file or a torch module, through the path `graft import-weights` takes
(ops.import_weights: the network document plus safetensors weights, loaded strictly before anything is written).

The record's hparams carry how to feed the model (`preprocessing`: input size, channels, mean/std where known)
and where it came from (`provenance`: the source, its file's sha256, the importer's figures); both reach its card.
Hugging Face folders and hub references (ops.import_hf) become a torch module and take the module's path.
"""
from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

from .cancel import check
from .import_graph import ImportFailed
from .import_hf import from_hf, is_hf_source
from .import_onnx import DEFAULT_LIMITS, Limits, onnx_to_graft
from .import_weights import import_weights

IMAGENET = {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}
SOURCES = ("an ONNX file (.onnx), a Hugging Face model folder (config.json + model.safetensors), a hub reference "
           "hf:ORG/NAME[@REVISION] or a torch nn.Module")


def parse_shape(text: str | None) -> tuple[int, ...] | None:
    if text is None:
        return None
    parts = [p.strip() for p in text.split(",")]
    if not parts or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise ValueError(f"input_shape: expected positive whole numbers such as 3,224,224; found {text!r}")
    return tuple(int(p) for p in parts)


def _is_module(source: Any) -> bool:
    return hasattr(source, "state_dict") and hasattr(source, "forward")


def _from_module(module, example_input, input_shape, name: str, should_stop=None):
    import torch

    from .import_torch import from_torch

    if example_input is None:
        if input_shape is None:
            raise ImportFailed(f"{name}: a torch module needs example_input (a batch) or input_shape (C, H, W)")
        example_input = torch.randn(2, *(int(n) for n in input_shape), generator=torch.Generator().manual_seed(0))
    doc, weights, info = from_torch(module, example_input, name=name, should_stop=should_stop)
    hf = getattr(getattr(module, "config", None), "model_type", None)
    if hf:   # transformers' vision models are trained on ImageNet-normalised RGB
        info["source"] = f"transformers {type(module).__name__} ({hf})"
    return doc, weights, info, IMAGENET if hf else None


def import_model(ws, source: Any, name: str, *, input_shape=None, example_input=None,
                 preprocessing: dict | None = None, limits: Limits = DEFAULT_LIMITS,
                 filename: str | None = None, should_stop=None) -> dict:
    """Register `source` (an .onnx path, a Hugging Face folder or hf:ORG/NAME[@REVISION], or an nn.Module with
    example_input/input_shape) as a model; returns the record. Nothing is written unless the whole model imports
    and its weights load strictly. `filename` is how messages call the file (an upload's own name, not the
    server's temporary path). Raises Cancelled between nodes and before registering when `should_stop` says so."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"name: expected a non-empty name, found {name!r}")
    if _is_module(source):
        doc, weights, info, norm = _from_module(source, example_input, input_shape, name, should_stop)
        provenance = {"source": info.get("source", f"torch module {info['module']}"), "importer": info}
    elif is_hf_source(source):
        module, example, norm, provenance = from_hf(source, name, input_shape, shown=filename)
        doc, weights, info, _ = _from_module(module, example, None, name, should_stop)
        provenance["importer"] = info
    elif isinstance(source, (str, Path)) and Path(source).suffix.lower() == ".onnx":
        doc, weights, info = onnx_to_graft(source, input_shape=input_shape, display_name=filename, limits=limits,
                                           should_stop=should_stop)
        norm = None
        provenance = {"source": f"ONNX file {info['file']}", "file": info["file"], "sha256": info["sha256"],
                      "importer": info}
    else:
        shown = (filename or str(source)) if isinstance(source, (str, Path)) else type(source).__name__
        raise ImportFailed(f"{shown}: not a source graft imports; expected {SOURCES}")
    shape = doc["input"]["shape"]
    prep = {"input_shape": shape, "channels": shape[0], "layout": "NCHW float32", **(norm or {}),
            **(preprocessing or {})}
    doc["name"] = name
    check(should_stop)
    return _register(ws, doc, weights, name, prep, provenance)


def _register(ws, doc: dict, weights: dict, name: str, prep: dict, provenance: dict) -> dict:
    from safetensors.numpy import save_file

    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", name)[:60] or "model"
    with tempfile.TemporaryDirectory(prefix="graft-import-") as tmp:
        path = Path(tmp) / f"{stem}.safetensors"
        save_file(weights, str(path))
        extra = {"hparams": {"normalization": None, "preprocessing": prep, "provenance": provenance}}
        record, _ = import_weights(ws, path, doc, name, kind="model", description=doc.get("description", ""),
                                   extra=extra)
    return record
