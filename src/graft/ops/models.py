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


PREPROCESSING = ("convert", "resize", "fit", "mean", "std")   # the data reference's fields a model keeps


def preprocessing_of(record: dict, output: str | None = None) -> dict:
    """How a model's inputs were prepared, as data reference fields: convert, resize + fit, mean + std.

    A trained model (or a foundation sliced from one) keeps its training data reference's; a model imported
    with a known image processor (Hugging Face: mean/std) is fed at its input size, centre-cropped. A model
    with several heads keeps, for head `output`, its task's."""
    data = record.get("dataset")
    for task in record.get("tasks") or []:
        if output is not None and task.get("output") == output:
            data = task.get("data")
    if isinstance(data, dict) and any(k in data for k in PREPROCESSING):
        return {k: data[k] for k in PREPROCESSING if k in data}
    hp = record.get("hparams") or {}
    prep = hp.get("preprocessing") or (hp.get("source_hparams") or {}).get("preprocessing") or {}   # or sliced
    shape = record.get("input_shape") or prep.get("input_shape") or []
    if isinstance(prep.get("mean"), list) and isinstance(prep.get("std"), list) and len(shape) == 3:
        return {"resize": [int(shape[1]), int(shape[2])], "fit": "crop", "mean": list(prep["mean"]),
                "std": list(prep["std"])}
    return {}


def fit_of(record: dict) -> dict | None:
    """{resize: [H, W], fit: crop|pad} a model's inputs are fitted with, or None."""
    prep = preprocessing_of(record)
    return {"resize": list(prep["resize"]), "fit": prep.get("fit") or "crop"} if "resize" in prep else None


def normalization_from(ref: dict) -> dict | None:
    """A data reference's per-channel mean/std as the engine's normalization, or None."""
    return {"mean": list(ref["mean"]), "std": list(ref["std"])} if "mean" in ref and "std" in ref else None


ALL_GROUPS = (("convert",), ("resize", "fit"), ("mean", "std"))


def with_preprocessing(ref: dict, record: dict, groups=ALL_GROUPS, output: str | None = None) -> dict:
    """`ref` with the model's preprocessing where the reference does not say otherwise (a resize brings its
    fit, a mean its std). A head on a foundation takes its size and statistics (`groups` without convert:
    channels convert only when asked)."""
    out = dict(ref)
    for group in groups:
        kept = {k: v for k, v in preprocessing_of(record, output).items() if k in group}
        if kept and not any(k in ref for k in group):
            out.update(kept)
    return out


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
