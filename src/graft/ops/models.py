"""Load registered models back into torch modules."""
from __future__ import annotations

from ..spec.network import NetworkSpec
from .weights import load_exact


def convert_of(record: dict, output: str | None = None) -> str | None:
    """The channel conversion a model was trained with (its training data reference's `convert`; the task's of
    head `output` for a model with several heads)."""
    data = record.get("dataset")
    for task in record.get("tasks") or []:
        if output is not None and task.get("output") == output:
            data = task.get("data")
    return data.get("convert") if isinstance(data, dict) else None


def model_spec(record: dict) -> NetworkSpec:
    return NetworkSpec.model_validate(record["spec"])


def load_state(ws, model_id: str) -> dict:
    from ..engine.weights import load_weights

    return load_weights(ws.model_path(model_id, "weights.safetensors"))


def load_model(ws, model_id: str):
    """(record, spec, module in eval mode) of a registered model or foundation."""
    from ..engine.compile import compile_network

    record = ws.get_model(model_id)
    spec = model_spec(record)
    module = compile_network(spec)
    load_exact(module, load_state(ws, model_id), record["id"])
    module.normalization = (record.get("hparams") or {}).get("normalization")
    return record, spec, module.eval()
