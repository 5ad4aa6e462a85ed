"""Slicing a part out of a network, grafting a head onto a foundation, blocks."""
from __future__ import annotations

import pytest

from graft.spec.analyze import analyze
from graft.spec.graph import blocks, graft_network, select_nodes, slice_network, topo_order
from graft.spec.issues import SpecError
from graft.spec.network import NetworkSpec
from graft.spec.templates import get_template


def residual():
    """input -> stem -> (a1 -> a2) + skip -> sum -> flat -> fc"""
    def n(id, type, inputs, **params):
        return {"id": id, "type": type, "params": params, "inputs": inputs}
    return {"name": "res", "input": {"shape": [1, 8, 8]}, "nodes": [
        n("stem", "Conv2d", ["input"], out_channels=4, kernel_size=3, padding=1),
        n("a1", "Conv2d", ["stem"], out_channels=4, kernel_size=3, padding=1),
        n("a2", "ReLU", ["a1"]),
        n("skip", "ReLU", ["stem"]),
        n("sum", "Add", ["a2", "skip"]),
        n("flat", "Flatten", ["sum"]),
        n("fc", "Linear", ["flat"], out_features=3)]}


def test_topo_order_follows_dependencies():
    order = topo_order(residual())
    assert order.index("sum") > max(order.index("a2"), order.index("skip"))
    assert order == ["stem", "a1", "a2", "skip", "sum", "flat", "fc"]


def test_slice_up_to_a_node_is_the_workflow_foundation():
    part = slice_network(get_template("example-cnn"), end="flatten", name="fnd")
    assert [n.id for n in part.nodes] == ["conv1", "relu1", "conv2", "relu2", "pool", "drop1", "flatten"]
    assert part.input.shape == [1, 28, 28] and part.name == "fnd"
    assert analyze(part).output_shape == [9216]


def test_slice_from_the_middle_gets_the_entering_shape():
    part = slice_network(get_template("example-cnn"), start="pool", end="fc1")
    assert part.input.shape == [64, 24, 24]
    assert part.nodes[0].id == "pool" and part.nodes[0].inputs == ["input"]
    assert analyze(part).output_shape == [128]


def test_slice_by_node_ids_keeps_a_residual_block():
    part = slice_network(residual(), keep=["a1", "a2", "skip", "sum"])
    assert part.input.shape == [4, 8, 8]
    assert part.node("a1").inputs == ["input"] and part.node("skip").inputs == ["input"]
    assert analyze(part).output_shape == [4, 8, 8]


def test_slice_between_includes_every_path():
    assert select_nodes(NetworkSpec.model_validate(residual()), start="stem", end="sum") == \
        ["stem", "a1", "a2", "skip", "sum"]


def test_slice_with_two_external_inputs_names_them():
    with pytest.raises(SpecError) as err:
        slice_network(residual(), keep=["a2", "sum"])
    (issue,) = err.value.issues
    assert issue.code == "slice_inputs" and set(issue.found) == {"a1", "skip"}
    assert issue.found["skip"] == ["sum"]


def test_slice_with_two_outputs_names_them():
    with pytest.raises(SpecError) as err:
        slice_network(residual(), keep=["stem", "a1", "skip"])
    (issue,) = err.value.issues
    assert issue.code == "slice_outputs" and issue.found == ["a1", "skip"]


@pytest.mark.parametrize("kwargs,code", [({"keep": ["nope"]}, "unknown_node"), ({"end": "nope"}, "unknown_node"),
                                         ({"start": "fc", "end": "a1"}, "slice_args"),
                                         ({"keep": ["a1"], "end": "a2"}, "slice_args")])
def test_bad_slice_requests(kwargs, code):
    with pytest.raises(SpecError) as err:
        slice_network(residual(), **kwargs)
    assert err.value.issues[0].code == code


def test_slice_of_an_invalid_network_raises():
    bad = residual()
    bad["nodes"][1]["type"] = "Nope"
    with pytest.raises(SpecError):
        slice_network(bad, end="flat")


def test_graft_chains_the_head_onto_the_foundation():
    base = slice_network(get_template("example-cnn"), end="flatten", name="fnd")
    head = [{"id": "fc1", "type": "Linear", "params": {"out_features": 64}},
            {"id": "relu", "type": "ReLU"},
            {"id": "out", "type": "Linear", "params": {"out_features": 2}}]
    spec = graft_network(base, "fnd-0123456789ab", head, lr_multiplier=0.5)
    assert [n.id for n in spec.nodes] == ["base", "fc1", "relu", "out"]
    assert spec.node("relu").inputs == ["fc1"] and spec.node("fc1").inputs == ["base"]
    a = analyze(spec)
    assert a.ok and a.output_shape == [2] and a.frozen_params == 18_816
    assert [(b.name, b.kind, b.nodes, b.frozen, b.lr_multiplier) for b in blocks(spec)] == [
        ("base", "foundation", ["base"], True, 0.5), ("head", "head", ["fc1", "relu", "out"], False, 1.0)]


def test_graft_rejects_a_bad_head():
    base = slice_network(get_template("example-cnn"), end="flatten")
    with pytest.raises(SpecError) as err:
        graft_network(base, "fnd-0123456789ab", [{"id": "fc1", "type": "Conv2d", "params": {"out_channels": 3,
                                                                                        "kernel_size": 3}}])
    assert err.value.issues[0].node == "fc1" and err.value.issues[0].code == "shape_mismatch"
    with pytest.raises(SpecError) as err:
        graft_network(base, "fnd-0123456789ab", [{"id": "fc1", "kind": "Linear"}])
    assert {i.field for i in err.value.issues} == {"type", "kind"}


def test_foundation_named_head_is_reserved():
    base = slice_network(get_template("mlp"), end="fc1")
    with pytest.raises(SpecError) as err:
        graft_network(base, "fnd-0123456789ab", [{"id": "out", "type": "Linear", "params": {"out_features": 2}}],
                      node_id="head")
    assert err.value.issues[0].code == "reserved_id"
