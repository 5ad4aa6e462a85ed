"""See what a model sees: its features on a data set as a 2-D map (PCA or t-SNE), stored in the workspace.

The map's id is a digest of the request (model, data, split, limit, method, seed), so asking for the same map
again reopens the stored one instead of computing it. Points keep the data set index of their image, its label
and, for a classifier, its prediction (right or wrong).
"""
from __future__ import annotations

import hashlib
import json
import time
from datetime import datetime, timezone
from typing import Any, Callable

import numpy as np

from ..contracts.requests import EMBED_MAX, EmbedRequest
from ..engine.cancel import check
from .data_refs import check_input, data_ref, load_split
from .models import convert_of, load_model

_DEFAULT = {k: f.get_default(call_default_factory=True) for k, f in EmbedRequest.model_fields.items()}
METHODS = ("pca", "tsne")


def embedding_id(model_id: str, ref: dict, split: str, limit: int, method: str, seed: int) -> str:
    key = json.dumps({"model": model_id, "data": ref, "split": split, "limit": limit, "method": method,
                      "seed": seed}, sort_keys=True)
    return f"emb-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def check_request(limit: Any, method: Any, seed: Any = 0) -> None:
    """Refuse what the contract refuses, naming the field, what is allowed and what was given."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 10 <= limit <= EMBED_MAX:
        raise ValueError(f"limit: expected a whole number of images from 10 to {EMBED_MAX}, found {limit!r:.40} "
                         "(a map of more points is slow to compute and unreadable)")
    if method not in METHODS:
        raise ValueError(f"method: expected pca or tsne, found {method!r:.40}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed: expected a whole number >= 0, found {seed!r:.40}")


def is_classifier(record: dict) -> bool:
    shape = record.get("output_shape")
    return record.get("kind") != "foundation" and isinstance(shape, list) and len(shape) == 1


def embed_model(ws, model: str, data: Any = _DEFAULT["data"], split: str | None = _DEFAULT["split"],
                limit: int = _DEFAULT["limit"], method: str = _DEFAULT["method"], seed: int = _DEFAULT["seed"],
                should_stop: Callable[[], bool] | None = None,
                on_stage: Callable[[float, str], None] | None = None) -> dict:
    """The stored map for this request, or a new one: {id, points [[x, y]], labels, preds, indices, classes, ...}.
    `should_stop` (engine.cancel) is checked per batch of features and before the projection; `on_stage(fraction,
    text)` hears what it is doing."""
    from ..engine.embedding import features_of, project

    check_request(limit, method, seed)
    record = ws.models.get(model)
    ref = data_ref(data)
    split = split or ref.get("split") or "test"
    trained_with = convert_of(record)
    if trained_with and "convert" not in ref:
        ref["convert"] = trained_with
    ref = {**ref, "split": split}
    emb_id = embedding_id(record["id"], ref, split, limit, method, seed)
    stored = ws.embeddings.find(emb_id)
    if stored is not None:
        return stored
    say = on_stage or (lambda fraction, text: None)
    say(0.0, "loading the data")
    ds = load_split(ws, ref, split)
    shape = record.get("input_shape") or []
    if shape and all(isinstance(d, int) and d > 0 for d in shape):
        check_input(ds, shape, ref)
    indices = sample_indices(len(ds), limit, seed)
    images = np.asarray(ds.images[indices])
    check(should_stop)
    say(0.1, f"features of {len(indices)} images")
    started = time.perf_counter()
    _, _, module = load_model(ws, record["id"])
    classifier = is_classifier(record)
    feats = features_of(module, images, module.normalization, classifier, should_stop)
    features_s = time.perf_counter() - started
    check(should_stop)
    say(0.5, "t-SNE of the features" if method == "tsne" else "PCA of the features")
    started = time.perf_counter()
    proj = project(feats["features"], method, seed)
    labels = np.asarray(ds.labels)[indices].astype(np.int64)
    doc = {"id": emb_id, "kind": "embedding", "model_id": record["id"], "model_name": record["name"],
           "model_kind": record.get("kind"), "classifier": classifier, "data": ref, "method": method, "seed": seed,
           "limit": limit, "n": len(indices), "total": len(ds), "feature": feats["feature"],
           "feature_dim": int(feats["features"].shape[1]), "classes": list(ds.classes),
           "explained": proj["explained"], "points": np.round(proj["points"], 4).tolist(),
           "labels": labels.tolist(), "preds": None if feats["preds"] is None else feats["preds"].tolist(),
           "indices": indices.tolist(),
           "seconds": {"features": round(features_s, 3), "projection": round(time.perf_counter() - started, 3)},
           "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    check(should_stop)
    ws.embeddings.save(doc)
    return doc


def sample_indices(n: int, limit: int, seed: int) -> np.ndarray:
    """All of 0..n-1 when they fit, else `limit` of them drawn by `seed`, in the data set's order."""
    if n <= limit:
        return np.arange(n, dtype=np.int64)
    return np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False)).astype(np.int64)


def embedding_png(doc: dict, size: int = 640) -> bytes:
    """The map as a picture: one dot per image, coloured by label (a classifier's mistakes ringed in black)."""
    import io

    from PIL import Image, ImageDraw

    pts = np.asarray(doc["points"], dtype=np.float64).reshape(-1, 2)
    margin, img = 30, Image.new("RGB", (size, size), "white")
    d = ImageDraw.Draw(img)
    lo, hi = pts.min(axis=0, initial=0.0), pts.max(axis=0, initial=1.0)
    span = np.where(hi - lo > 0, hi - lo, 1.0)
    xy = margin + (pts - lo) / span * (size - 2 * margin)
    preds = doc.get("preds")
    for i, (x, y) in enumerate(xy):
        colour = PALETTE[doc["labels"][i] % len(PALETTE)]
        wrong = preds is not None and preds[i] != doc["labels"][i]
        d.ellipse([x - 3, size - y - 3, x + 3, size - y + 3], fill=colour, outline="black" if wrong else None)
    d.text((margin, 8), f"{doc['model_name']} on {doc['data'].get('dataset')} ({doc['data'].get('split')}): "
                        f"{doc['method'].upper()} of {doc['n']} images, {doc['feature']}", fill="black")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


# Tableau 10, the front end's label colours too
PALETTE = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
           (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]
