"""Suggested cut points on an imported ResNet: before the classifier and the end of each stage, each a clean
slice (no shortcut cut in half) whose shape and parameter count are what slicing there gives."""
from __future__ import annotations

import pytest
import torch

from graft.ops.import_torch import from_torch
from graft.spec.analyze import analyze
from graft.spec.cuts import cut_points
from graft.spec.graph import slice_network

transformers = pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def resnet() -> dict:
    torch.manual_seed(0)
    config = transformers.ResNetConfig(layer_type="basic", depths=[2, 1, 1], hidden_sizes=[8, 16, 32],
                                       embedding_size=8, num_labels=5, return_dict=False)   # logits, no ModelOutput
    doc, _, _ = from_torch(transformers.ResNetForImageClassification(config), torch.randn(1, 3, 32, 32))
    return doc


def test_an_imported_resnet_suggests_before_the_classifier_and_each_stage_end(resnet):
    cuts = cut_points(resnet)
    assert [c["label"] for c in cuts] == ["before the classifier", "end of stage 1", "end of stage 2",
                                          "end of stage 3"]
    before, *stages = cuts
    assert before["shape"] == [32] and before["kind"] == "classifier"
    by_id = {n["id"]: n for n in resnet["nodes"]}
    assert [by_id[n]["type"] for n in by_id[resnet["nodes"][-1]["id"]]["inputs"]] == [by_id[before["node"]]["type"]]
    assert [c["shape"] for c in stages] == [[8, 8, 8], [16, 4, 4], [32, 2, 2]]
    for k, c in enumerate(stages):     # the last block of stage k, closed by its activation
        assert f"stages_{k}_layers_" in c["node"] and by_id[c["node"]]["type"] == "ReLU"
    assert before["params"] == analyze(resnet).total_params - 32 * 5 - 5


def test_each_suggested_cut_slices_to_its_shape_and_parameter_count(resnet):
    for c in cut_points(resnet):
        part = analyze(slice_network(resnet, end=c["node"]))
        assert part.output_shape == c["shape"] and part.total_params == c["params"], c["label"]


def test_no_cut_is_suggested_inside_a_residual_block(resnet):
    """Cutting inside a block would leave the shortcut reading a node that is gone from the rest."""
    inside = [n["id"] for n in resnet["nodes"] if "_layer_0_" in n["id"]]
    assert inside and not {c["node"] for c in cut_points(resnet)} & set(inside)


def test_a_plain_mlp_is_cut_before_its_last_linear_and_has_no_stages():
    doc = {"name": "mlp", "input": {"shape": [1, 28, 28]}, "nodes": [
        {"id": "flat", "type": "Flatten", "inputs": ["input"]},
        {"id": "fc1", "type": "Linear", "inputs": ["flat"], "params": {"out_features": 32}},
        {"id": "act", "type": "ReLU", "inputs": ["fc1"]},
        {"id": "fc2", "type": "Linear", "inputs": ["act"], "params": {"out_features": 10}}]}
    assert cut_points(doc) == [{"node": "act", "label": "before the classifier", "kind": "classifier",
                                "shape": [32], "params": 784 * 32 + 32}]


def test_an_invalid_document_has_no_cut_points():
    assert cut_points({"name": "bad", "input": {"shape": [3]}, "nodes": [{"id": "x", "type": "Nope"}]}) == []
