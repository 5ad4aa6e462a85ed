"""Fix and retrain in one action: from an evaluation of a model, edit the training data it ran on into a new
version, train the same network (same hyperparameters, same frozen foundations) on it, and evaluate the new
model on the same samples (with the fixed labels), so the two evaluations compare side by side.

The evaluation's sample indices are positions in the data it ran on (after the validation carve and the
transforms); data.edit.row_indices turns them into rows of the stored split before anything is edited.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .data_refs import data_ref
from .edits import _pairs, check_rows, edit_dataset


def training_request(ws, model: dict) -> dict:
    """What `model` was trained with: its run's request, else what its record kept."""
    run_id = model.get("run_id")
    if run_id:
        try:
            request = ws.runs.get(run_id).get("request") or {}
        except KeyError:
            request = {}
        if request.get("network") and request.get("data"):
            return request
    if not model.get("spec") or not model.get("dataset"):
        raise ValueError(f"evaluation: model {model['id']} ({model['name']}) was not trained here (imported); "
                         "expected a model trained in this workspace, whose network and data it records")
    hp = {k: v for k, v in (model.get("hparams") or {}).items() if k not in ("normalization",)}
    return {"network": model["spec"], "data": model["dataset"], "hparams": hp}


def moved(ref: dict, dataset: str, excluded: np.ndarray, root) -> dict:
    """`ref` on the new version: the same transforms, each `limit` less the left-out rows it covered (so a
    subset keeps its other images rather than taking in new ones)."""
    from ..data.edit import row_indices

    out = {**data_ref(ref), "dataset": dataset}
    chain = list(out.get("transforms") or [])
    if any("limit" in t for t in chain):
        _, rows = row_indices(ref, "train", root)
        covered = int(np.isin(rows, excluded).sum())
        out["transforms"] = [{**t, "limit": max(1, t["limit"] - covered)} if "limit" in t else t for t in chain]
    return out


def plan(ws, evaluation: str) -> tuple:
    """(evaluation, model, training request, data ref, split, data set, stored row of each sample); refuses an
    evaluation whose data is not what the model trained on (an edit there would not change what it learns)."""
    from ..data.dataset import parse_ref
    from ..data.edit import row_indices

    ev = ws.evaluations.get(evaluation)
    model = ws.get_model(ev["model_id"])
    request = training_request(ws, model)
    ref = dict(ev["data"] or {})
    split = ref.pop("split", None) or "test"
    dataset = parse_ref(ref)["dataset"]
    trained_on = parse_ref(data_ref(request["data"]))["dataset"]
    source, rows = row_indices(ref, split, ws.root)
    if source != "train" or trained_on != dataset:
        raise ValueError(f"evaluation: {ev['id']} ran on the {split} split of {dataset}, but model {model['id']} "
                         f"trained on the train split of {trained_on}; expected an evaluation on the data it "
                         "trained on (evaluate it on the train split), so the edits change what it learns")
    return ev, model, request, ref, split, dataset, rows


def retrain(ws, evaluation: str, relabel: list | None = None, exclude: list[int] | None = None,
            name: str | None = None, epochs: int | None = None, *, should_stop: Callable | None = None,
            progress: Any = None, on_step: Callable | None = None, progress_bar: bool = False) -> dict:
    """Edit, train, evaluate; returns {dataset, model, evaluation, previous} (records; `previous` is the
    evaluation the edits came from). Indices are the evaluation's samples; labels are class names or numbers
    of its classes. Raises ValueError naming the field for an index or label it cannot take."""
    from ..data.dataset import _base_arrays
    from ..data.edit import class_index
    from .evaluate import evaluate_model, flat_evaluation
    from .train import train_model

    ev, model, request, ref, split, dataset, rows = plan(ws, evaluation)
    what = f"a sample of evaluation {ev['id']}"
    pairs = _pairs(relabel)
    samples = check_rows([p[0] for p in pairs], len(rows), "relabel", what)
    left_out = check_rows(list(exclude or []), len(rows), "exclude", what)
    shown = list((ev.get("summary") or {}).get("classes") or [])
    _, _, stored_classes, _, _ = _base_arrays(dataset, "train", ws.root)
    row_relabel = []
    for i, (sample, (_, label)) in enumerate(zip(samples, pairs)):
        cls = shown[class_index(label, shown, f"relabel[{i}].label", dataset)] if shown else str(label)
        if cls not in stored_classes:
            raise ValueError(f"relabel[{i}].label: class {cls!r} comes from a relabel transform of the "
                             f"evaluation's data; expected a class of {dataset} ({', '.join(stored_classes[:12])})")
        row_relabel.append({"index": int(rows[sample]), "label": stored_classes.index(cls)})
    row_exclude = [int(rows[s]) for s in left_out]
    parent_name = ws.get_dataset(dataset)["name"] if dataset.startswith("ds-") else dataset
    new = edit_dataset(ws, dataset, "train", row_relabel, row_exclude, name=f"{parent_name} (fixed)")
    excluded = np.asarray(sorted(row_exclude), dtype=np.int64)
    hp = dict(request.get("hparams") or {})
    if epochs is not None:
        hp["epochs"] = int(epochs)
    if progress is not None:
        progress.epochs = int(hp.get("epochs", 1))
    trained = train_model(ws, request["network"], moved(request["data"], new["id"], excluded, ws.root), hp,
                          name=name or f"{model['name']} (fixed)",
                          description=f"retrained from {model['id']} on {new['id']}, the edit of {dataset} "
                                      f"made from evaluation {ev['id']}",
                          should_stop=should_stop, progress=progress, on_step=on_step, progress_bar=progress_bar)
    again = evaluate_model(ws, trained["id"], {**moved(ref, new["id"], excluded, ws.root), "split": split},
                           split=split, should_stop=should_stop)
    return {"dataset": new, "model": trained, "evaluation": again, "previous": flat_evaluation(ev)}
