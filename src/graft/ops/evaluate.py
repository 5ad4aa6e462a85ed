"""Evaluate a registered model on a data set and keep the result (summary + per-sample predictions)."""
from __future__ import annotations

import numpy as np

from .data_refs import check_input, data_ref, load_split
from .models import load_model, normalization_from, with_preprocessing


def evaluate_model(ws, model_id: str, data="mnist", split: str | None = None, batch_size: int = 256,
                   should_stop=None, progress_bar: bool = False, output: str | None = None) -> dict:
    """Evaluate; returns the flat evaluation: id, total, hit, accuracy, per_class, confusion, classes, ...
    `should_stop` (engine.cancel) is checked per batch; a cancelled evaluation registers nothing.
    `output` names the head of a model with several outputs (required then)."""
    from ..engine.evaluate import evaluate

    ref = data_ref(data)
    split = split or ref.get("split") or "test"
    require_classifier(ws.get_model(model_id), output=output)
    record, _, module = load_model(ws, model_id)
    head = output_of(record, output)
    if head is not None:
        module.select_outputs([head])
    ref = with_preprocessing(ref, record, output=head)   # the conversion, size and statistics it was trained with
    ds = load_split(ws, ref, split)
    require_classifier(record, ds.classes, ref.get("dataset"), output=output)
    shape = record.get("input_shape") or []
    if shape and all(isinstance(d, int) and d > 0 for d in shape):
        check_input(ds, record["input_shape"], ref)
    result = evaluate(module, ds, batch_size=batch_size, normalization=normalization_from(ref),
                      should_stop=should_stop, progress=progress_bar)
    predictions = {"labels": np.asarray(result.pop("labels"), dtype=np.int64),
                   "preds": np.asarray(result.pop("preds"), dtype=np.int64),
                   "confidences": np.asarray(result.pop("confidences"), dtype=np.float32)}
    summary = {"model_name": record["name"], **result, **({"output": head} if head is not None else {})}
    ev = ws.evaluations.add({"model_id": record["id"], "data": {**ref, "split": split},
                            "data_fingerprint": ds.fingerprint, "summary": summary}, predictions=predictions)
    return flat_evaluation(ev)


def outputs_of(record: dict) -> list[str]:
    """A model's output node ids (several heads: the record lists them; one: [] when not recorded)."""
    return list(record.get("outputs") or (record.get("spec") or {}).get("outputs") or [])


def output_of(record: dict, output: str | None) -> str | None:
    """The head an evaluation reads: `output`, checked; None for a one-output model asked for none."""
    outputs = outputs_of(record)
    name = f"{record['id']} ({record.get('name', '')})"
    if output is None:
        if len(outputs) > 1:
            raise ValueError(f"output: model {name} has {len(outputs)} outputs ({', '.join(outputs)}); expected "
                             "one of them, found none")
        return None
    if output not in outputs and not (not outputs and output == _sink_of(record)):
        raise ValueError(f"output: expected one of model {name}'s outputs ({', '.join(outputs) or _sink_of(record)}), "
                         f"found {output!r}")
    return output


def _sink_of(record: dict) -> str | None:
    nodes = (record.get("spec") or {}).get("nodes") or []
    used = {i for n in nodes for i in n.get("inputs", [])}
    sinks = [n["id"] for n in nodes if n["id"] not in used]
    return sinks[-1] if sinks else None


def require_classifier(record: dict, classes: list | None = None, data_name: str | None = None,
                       output: str | None = None) -> None:
    """Refuse what is not a classifier of `classes`: a foundation (a feature extractor), or a network whose
    output (the head `output` of several) is not one score per class. Raises ValueError naming what was given
    and what is expected."""
    name = f"{record['id']} ({record.get('name', '')})"
    shape = record.get("output_shape")
    if record.get("kind") != "foundation":
        head = output_of(record, output)
        if head is not None and record.get("output_shapes"):
            shape = record["output_shapes"].get(head)
    if record.get("kind") == "foundation":
        raise ValueError(f"evaluate: {name} is a foundation, a feature extractor with output shape {shape}, not a "
                         "classifier; expected a model that outputs one score per class: graft a head on it "
                         "and train that")
    if shape is not None and len(shape) != 1:
        raise ValueError(f"evaluate: {name} outputs shape {shape}; expected a classifier's scores, a vector of "
                         "one score per class")
    if classes is not None and shape is not None and shape[0] != len(classes):
        raise ValueError(f"evaluate: {name} outputs {shape[0]} scores but data set {data_name or ''} has "
                         f"{len(classes)} classes; expected a model trained on these classes")


def flat_evaluation(ev: dict) -> dict:
    """A registry evaluation record with its summary's figures at the top level."""
    return {**ev["summary"], "id": ev["id"], "model_id": ev["model_id"], "dataset": ev["data"],
            "data_fingerprint": ev.get("data_fingerprint"), "created_at": ev.get("created_at")}


def get_evaluation(ws, evaluation_id: str) -> dict:
    return flat_evaluation(ws.evaluations.get(evaluation_id))


def evaluation_samples(ws, evaluation_id: str) -> dict[str, np.ndarray]:
    return ws.evaluations.predictions(evaluation_id)
