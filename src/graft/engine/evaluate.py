"""Evaluation: totals, per-class figures, the confusion matrix and per-sample predictions."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch
from tqdm import tqdm

from .allocator import tune_allocator
from .cancel import check
from .precision import prefers_channels_last
from .data import StreamedImages, batches_of, has_conv, normalization_of, pick_device


@torch.no_grad()
def evaluate(model: torch.nn.Module, ds: Any, batch_size: int = 256, *, normalization: dict | None = None,
             device: str | None = "auto", should_stop: Callable[[], bool] | None = None,
             stream: Any = "auto", progress: bool = False) -> dict[str, Any]:
    """Run `model` over `ds` in eval mode.

    Inputs are normalized with `normalization`, else the model's own (set by engine.train), else the data
    set's. A set too large for one tensor is streamed (engine.data.streams; `stream` forces it). Returns plain numbers and lists, plus numpy arrays `labels`, `preds`, `confidences` (one per sample).
    Raises Cancelled between batches when `should_stop` says so.
    """
    tune_allocator()
    dev = pick_device(device)
    norm = normalization or getattr(model, "normalization", None) or normalization_of(ds)
    model.to(dev).eval()
    channels_last = has_conv(model) and prefers_channels_last(dev)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    x = batches_of(ds, normalization_of(ds, norm), dev, channels_last, stream)
    streamed = isinstance(x, StreamedImages)
    preds, confs = [], []
    bar = tqdm(total=len(x), desc="evaluating", unit="image", leave=True, disable=None if progress else True)
    try:
        for i in range(0, len(x), batch_size):
            check(should_stop)
            bar.update(min(batch_size, len(x) - i))
            with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=dev.type == "cuda"):
                logits = model(x.slice(i, i + batch_size) if streamed else x[i:i + batch_size])
            probs = torch.softmax(logits.float(), dim=1)
            conf, pred = probs.max(dim=1)
            preds.append(pred.cpu())
            confs.append(conf.cpu())
    finally:
        bar.close()
    labels = np.asarray(ds.labels, dtype=np.int64)
    pred_arr = torch.cat(preds).numpy() if preds else np.zeros(0, np.int64)
    conf_arr = torch.cat(confs).numpy() if confs else np.zeros(0, np.float32)
    classes = list(ds.classes)
    k = max(len(classes), int(pred_arr.max(initial=-1)) + 1, int(labels.max(initial=-1)) + 1)
    confusion = np.bincount(labels * k + pred_arr, minlength=k * k).reshape(k, k)
    per_class = []
    for c in range(len(classes)):
        total, hit = int(confusion[c].sum()), int(confusion[c, c])
        per_class.append({"label": c, "class": classes[c], "total": total, "hit": hit,
                          "accuracy": hit / total if total else None})
    total, hit = len(labels), int((pred_arr == labels).sum())
    return {"total": total, "hit": hit, "accuracy": hit / total if total else None, "per_class": per_class,
            "confusion": confusion.tolist(), "classes": classes,
            "labels": labels, "preds": pred_arr, "confidences": conf_arr}


def predictions(result: dict[str, Any], offset: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
    """Per-sample rows {index, label, pred, confidence, correct} of an evaluate() result."""
    end = len(result["labels"]) if limit is None else min(offset + limit, len(result["labels"]))
    return [{"index": i, "label": int(result["labels"][i]), "pred": int(result["preds"][i]),
             "confidence": float(result["confidences"][i]), "correct": bool(result["labels"][i] == result["preds"][i])}
            for i in range(offset, end)]
