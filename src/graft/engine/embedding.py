"""What a network sees, as points: features of a set of images (engine.features.compute_features) and their 2-D
projection by PCA or t-SNE (scikit-learn).

A foundation's features are its output, flattened. A classifier's are the input of its last Linear layer (what
the class scores are a linear function of), and its scores give the predictions, so points can be coloured right
or wrong.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch

from .data import input_tensor, normalization_of
from .features import compute_features

TSNE_PCA_DIMS = 50       # t-SNE runs on the first 50 principal components (the usual practice: less noise, faster)


def last_linear(module: torch.nn.Module) -> tuple[str, torch.nn.Linear] | None:
    """The last nn.Linear of `module` in registration order (a GraphModule registers nodes in graph order)."""
    found = None
    for name, sub in module.named_modules():
        if isinstance(sub, torch.nn.Linear):
            found = (name, sub)
    return found


def features_of(module: torch.nn.Module, images: np.ndarray, norm: dict | None, classifier: bool,
                should_stop: Callable[[], bool] | None = None) -> dict[str, Any]:
    """{features: float32 [N, D], preds: int64 [N] or None, feature: what the features are}.

    `images`: uint8 [N, C, H, W]; normalized with `norm` (the model's), else their own statistics."""
    x = input_tensor(_Images(images), normalization_of(_Images(images), norm), torch.device("cpu"))
    hook, taken, where = None, [], "output"
    if classifier:
        last = last_linear(module)
        if last is not None:
            where = f"input of {last[0]}"
            hook = last[1].register_forward_hook(lambda m, inputs, out: taken.append(inputs[0].detach().float()))
    try:
        out = compute_features(module, x, torch.float32, should_stop=should_stop)
    finally:
        if hook is not None:
            hook.remove()
    feats = torch.cat(taken) if taken else out
    preds = out.argmax(dim=1).numpy().astype(np.int64) if classifier else None
    return {"features": feats.reshape(len(x), -1).numpy().astype(np.float32, copy=False), "preds": preds,
            "feature": where}


class _Images:
    """The two things input_tensor and normalization_of read of a data set."""

    def __init__(self, images: np.ndarray):
        self.images = images
        pixels = images.astype(np.float32) / 255.0
        self.mean, self.std = float(pixels.mean()), float(pixels.std())


def project(features: np.ndarray, method: str, seed: int) -> dict[str, Any]:
    """{points: float32 [N, 2], explained: PCA's explained variance ratio per axis (None for t-SNE)}."""
    from sklearn.decomposition import PCA

    n, d = features.shape
    if method == "pca":
        pca = PCA(n_components=min(2, n, d), random_state=seed)
        points = pca.fit_transform(features)
        return {"points": _two_columns(points), "explained": [float(v) for v in pca.explained_variance_ratio_]}
    if method != "tsne":
        raise ValueError(f"method: expected pca or tsne, found {method!r:.40}")
    from sklearn.manifold import TSNE

    reduced = features
    if d > TSNE_PCA_DIMS and n > TSNE_PCA_DIMS:
        reduced = PCA(n_components=TSNE_PCA_DIMS, random_state=seed).fit_transform(features)
    tsne = TSNE(n_components=2, perplexity=float(min(30.0, (n - 1) / 3)), init="pca", random_state=seed)
    return {"points": _two_columns(tsne.fit_transform(reduced.astype(np.float32))), "explained": None}


def _two_columns(points: np.ndarray) -> np.ndarray:
    """Two columns even for a one-dimensional feature (the second axis then zero)."""
    out = np.zeros((len(points), 2), dtype=np.float32)
    out[:, :points.shape[1]] = points[:, :2]
    return out
