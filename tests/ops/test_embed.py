"""Embedding maps (ops.embed): what a foundation sees, as 2-D points, stored so the same request reopens them."""
import numpy as np
import pytest

import graft
from graft.ops import evaluate_model, slice_model, train_model

ZEROS_ONES = {"dataset": "mnist", "transforms": [{"keep_classes": [0, 1]}, {"limit": 200}]}
TEST = {"dataset": "mnist", "transforms": [{"limit": 300}]}


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    ws = graft.Workspace(tmp_path_factory.mktemp("embed"))
    net = {"name": "small", "input": {"shape": [1, 28, 28]}, "nodes": [
        {"id": "conv", "type": "Conv2d", "params": {"out_channels": 4, "kernel_size": 3}, "inputs": ["input"]},
        {"id": "relu", "type": "ReLU", "inputs": ["conv"]},
        {"id": "pool", "type": "MaxPool2d", "params": {"kernel_size": 4}, "inputs": ["relu"]},
        {"id": "flatten", "type": "Flatten", "inputs": ["pool"]},
        {"id": "fc", "type": "Linear", "params": {"out_features": 10}, "inputs": ["flatten"]}]}
    base = train_model(ws, net, {"dataset": "mnist", "transforms": [{"limit": 512}]}, {"epochs": 1}, name="base",
                       progress_bar=False)
    fnd = slice_model(ws, base["id"], end="flatten", name="features")
    yield {"ws": ws, "base": base, "fnd": fnd}
    ws.close()


def centroid_accuracy(points: np.ndarray, labels: np.ndarray) -> float:
    """How often a point is nearer its own class's centre than the other's (0.5 is chance for two classes)."""
    centres = np.stack([points[labels == c].mean(axis=0) for c in (0, 1)])
    nearest = np.argmin(((points[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
    return float((nearest == labels).mean())


def test_pca_of_a_foundation_separates_zeros_from_ones(made):
    doc = graft.embed(made["ws"], made["fnd"]["id"], ZEROS_ONES, limit=200, method="pca")
    points, labels = np.asarray(doc["points"]), np.asarray(doc["labels"])
    assert points.shape == (200, 2) and set(labels) == {0, 1}
    assert doc["feature"] == "output" and doc["feature_dim"] == 144 and doc["preds"] is None
    assert centroid_accuracy(points, labels) > 0.9
    assert len(doc["explained"]) == 2 and doc["explained"][0] >= doc["explained"][1] > 0


def test_the_same_seed_gives_the_same_map_and_another_seed_other_images(made):
    ws, fnd = made["ws"], made["fnd"]["id"]
    first = graft.embed(ws, fnd, TEST, limit=80, method="tsne", seed=3)
    ws.layout.embedding_file(first["id"]).unlink()          # forget it: the next call computes it again
    again = graft.embed(ws, fnd, TEST, limit=80, method="tsne", seed=3)
    assert again["points"] == first["points"] and again["indices"] == first["indices"]
    other = graft.embed(ws, fnd, TEST, limit=80, method="tsne", seed=4)
    assert other["id"] != first["id"] and other["indices"] != first["indices"]
    assert all(0 <= i < 300 for i in other["indices"]) and other["indices"] == sorted(other["indices"])


def test_a_stored_map_is_reopened_not_computed_again(made):
    ws, fnd = made["ws"], made["fnd"]["id"]
    doc = graft.embed(ws, fnd, TEST, limit=50)
    stamp = ws.layout.embedding_file(doc["id"]).stat().st_mtime_ns
    assert graft.embed(ws, fnd, TEST, limit=50) == doc
    assert ws.layout.embedding_file(doc["id"]).stat().st_mtime_ns == stamp
    assert doc["id"] in [s["id"] for s in ws.embeddings.list(model_id=fnd)]
    assert doc["id"] not in [s["id"] for s in ws.embeddings.list(model_id=made["base"]["id"])]


def test_a_classifier_maps_its_last_linear_input_and_its_predictions_are_the_evaluations(made):
    ws, base = made["ws"], made["base"]["id"]
    doc = graft.embed(ws, base, TEST, split="test", limit=100)
    assert doc["classifier"] and doc["feature"] == "input of fc" and doc["feature_dim"] == 144
    ev = evaluate_model(ws, base, TEST, split="test")
    preds = ws.evaluations.predictions(ev["id"])["preds"]
    assert doc["preds"] == [int(preds[i]) for i in doc["indices"]]
    assert doc["data"]["split"] == "test" and doc["total"] == 300


@pytest.mark.parametrize("kw, field", [({"limit": 100_000}, "limit"), ({"limit": 5}, "limit"),
                                       ({"method": "umap"}, "method")])
def test_a_request_out_of_bounds_is_refused_naming_the_field(made, kw, field):
    with pytest.raises(ValueError, match=rf"^{field}: expected"):
        graft.embed(made["ws"], made["fnd"]["id"], TEST, **kw)


def test_images_of_another_shape_are_refused_naming_both(made):
    with pytest.raises(ValueError, match=r"28x28"):
        graft.embed(made["ws"], made["fnd"]["id"], {"dataset": "mnist", "convert": "rgb"}, limit=10)
