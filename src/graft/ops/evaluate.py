"""Evaluate a registered model on a data set and keep the result (summary + per-sample predictions)."""
from __future__ import annotations

import io

import numpy as np

from .data_refs import data_ref, load_split
from .models import load_model


def evaluate_model(ws, model_id: str, data="mnist", split: str | None = None, batch_size: int = 1000) -> dict:
    from ..engine.evaluate import evaluate

    ref = data_ref(data)
    split = split or ref.get("split") or "test"
    record, _, module = load_model(ws, model_id)
    ds = load_split(ws, ref, split)
    result = evaluate(module, ds, batch_size=batch_size)
    samples = io.BytesIO()
    np.savez(samples, labels=np.asarray(result.pop("labels")), preds=np.asarray(result.pop("preds")),
             confidences=np.asarray(result.pop("confidences"), dtype=np.float32))
    summary = {
        "model_id": record["id"],
        "model_name": record["name"],
        "dataset": {**ref, "split": split},
        "data_fingerprint": ds.fingerprint,
        "classes": list(ds.classes),
        **result,
    }
    return ws.add_evaluation(summary, {"samples.npz": samples.getvalue()})


def evaluation_samples(ws, evaluation_id: str) -> dict[str, np.ndarray]:
    path = ws.evaluation_path(evaluation_id, "samples.npz")
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}
