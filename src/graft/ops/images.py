"""PNG pictures of what `view` shows: a page of a data set or an evaluation."""
from __future__ import annotations

import numpy as np

from .data_refs import data_ref, load_split
from .evaluate import evaluation_samples, get_evaluation


def page_png(ws, source: dict, view: dict) -> bytes:
    """The images of one view page as a grid with their labels (and predictions for an evaluation)."""
    from ..data.render import image_grid_png

    index = np.asarray(view["indices"], dtype=np.int64)
    if "evaluation" in source:
        ev = get_evaluation(ws, source["evaluation"])
        ds = load_split(ws, ev["dataset"], ev["dataset"].get("split", "test"))
        s = evaluation_samples(ws, ev["id"])
        # as the network saw them: at its input size (the evaluation's data carries the model's resize)
        return image_grid_png(ds.prepare(ds.images[index]), ds.labels[index], preds=s["preds"][index])
    ds = load_split(ws, data_ref(source), source.get("split", "test"))
    return image_grid_png(ds.prepare(ds.images[index]), ds.labels[index])
