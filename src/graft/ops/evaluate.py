"""Evaluate a registered model on a data set and keep the result (summary + per-sample predictions)."""
from __future__ import annotations

import numpy as np

from .data_refs import check_input, data_ref, load_split
from .models import load_model


def evaluate_model(ws, model_id: str, data="mnist", split: str | None = None, batch_size: int = 256,
                   should_stop=None) -> dict:
    """Evaluate; returns the flat evaluation: id, total, hit, accuracy, per_class, confusion, classes, ...
    `should_stop` (engine.cancel) is checked per batch; a cancelled evaluation registers nothing."""
    from ..engine.evaluate import evaluate

    ref = data_ref(data)
    split = split or ref.get("split") or "test"
    record, _, module = load_model(ws, model_id)
    trained_with = (record.get("dataset") or {}).get("convert") if isinstance(record.get("dataset"), dict) else None
    if trained_with and "convert" not in ref:
        ref["convert"] = trained_with       # the channel conversion the model was trained with, unless told
    ds = load_split(ws, ref, split)
    shape = record.get("input_shape") or []
    if shape and all(isinstance(d, int) and d > 0 for d in shape):
        check_input(ds, record["input_shape"], ref)
    result = evaluate(module, ds, batch_size=batch_size, should_stop=should_stop)
    predictions = {"labels": np.asarray(result.pop("labels"), dtype=np.int64),
                   "preds": np.asarray(result.pop("preds"), dtype=np.int64),
                   "confidences": np.asarray(result.pop("confidences"), dtype=np.float32)}
    summary = {"model_name": record["name"], **result}
    ev = ws.evaluations.add({"model_id": record["id"], "data": {**ref, "split": split},
                            "data_fingerprint": ds.fingerprint, "summary": summary}, predictions=predictions)
    return flat_evaluation(ev)


def flat_evaluation(ev: dict) -> dict:
    """A registry evaluation record with its summary's figures at the top level."""
    return {**ev["summary"], "id": ev["id"], "model_id": ev["model_id"], "dataset": ev["data"],
            "data_fingerprint": ev.get("data_fingerprint"), "created_at": ev.get("created_at")}


def get_evaluation(ws, evaluation_id: str) -> dict:
    return flat_evaluation(ws.evaluations.get(evaluation_id))


def evaluation_samples(ws, evaluation_id: str) -> dict[str, np.ndarray]:
    return ws.evaluations.predictions(evaluation_id)
