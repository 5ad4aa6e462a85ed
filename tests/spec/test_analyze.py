"""The analyser reports every mistake at once, each pinned to a node and field/port with expected and found."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from graft.spec.analyze import analyze, require_valid
from graft.spec.graph import slice_network
from graft.spec.issues import SpecError
from graft.spec.network import NetworkSpec
from graft.spec.templates import get_template


def net(*nodes, shape=(1, 28, 28), **extra):
    return {"input": {"shape": list(shape)}, "nodes": list(nodes), **extra}


def node(id, type, inputs, **params):
    return {"id": id, "type": type, "params": params, "inputs": inputs}


def by_code(analysis):
    return {i.code: i for i in analysis.issues}


def test_valid_template_has_shapes_params_and_order():
    a = analyze(get_template("example-cnn"))
    assert a.ok and a.issues == []
    assert a.shapes["conv2"] == [64, 24, 24] and a.shapes["flatten"] == [9216]
    assert a.total_params == a.trainable_params == 1_199_882 and a.frozen_params == 0
    assert a.output_shape == [10] and a.outputs == ["fc2"]
    assert a.order[0] == "conv1" and a.order[-1] == "fc2"
    assert json.loads(json.dumps(a.to_dict()))["total_params"] == 1_199_882


def test_six_mistakes_are_all_reported():
    doc = net(
        node("conv1", "Conv2d", ["input"], out_channels=0, kernel_size=3),           # bad param
        node("relu1", "Relu", ["conv1"]),                                             # unknown type
        node("pool", "MaxPool2d", ["relu7"], kernel_size=2),                          # dangling input
        node("flat", "Flatten", ["input"]),
        node("fc1", "Linear", ["input"], out_features=10),                            # shape mismatch (rank 3)
        node("fc2", "Linear", ["flat"], out_features=10),
        node("fc2", "Linear", ["flat"], out_features=5),                              # duplicate id
        node("sum", "Add", ["fc2"]),                                                  # too few inputs
        outputs=["sum", "fc1"])
    a = analyze(doc)
    assert not a.ok
    got = {(i.code, i.node) for i in a.errors}
    assert got == {("invalid_param", "conv1"), ("unknown_type", "relu1"), ("dangling_input", "pool"),
                   ("shape_mismatch", "fc1"), ("duplicate_id", "fc2"), ("input_count", "sum")}
    issues = by_code(a)
    assert issues["invalid_param"].field == "params.out_channels" and issues["invalid_param"].found == 0
    assert "ReLU" in issues["unknown_type"].expected and issues["unknown_type"].found == "Relu"
    assert issues["dangling_input"].port == 0 and issues["dangling_input"].found == "relu7"
    assert issues["shape_mismatch"].port == 0 and issues["shape_mismatch"].found == [1, 28, 28]
    assert issues["input_count"].field == "inputs" and issues["input_count"].found == 1
    for i in a.errors:
        assert i.expected is not None and i.found is not None and (i.field or i.port is not None), i
    # the unusable nodes do not cascade: nothing is said about pool's consumers or relu1's
    assert "pool" not in a.shapes and "relu1" not in a.shapes and a.shapes["fc2"] == [10]


def test_no_cascade_after_a_broken_node():
    doc = net(node("conv1", "Conv2d", ["input"], out_channels=8),     # kernel_size missing
              node("relu1", "ReLU", ["conv1"]), node("flat", "Flatten", ["relu1"]),
              node("fc", "Linear", ["flat"], out_features=10))
    a = analyze(doc)
    assert [(i.code, i.node, i.field) for i in a.issues] == [("invalid_param", "conv1", "params.kernel_size")]


def test_cycle_names_its_nodes():
    doc = net(node("a", "ReLU", ["input"]), node("b", "Add", ["a", "d"]), node("c", "ReLU", ["b"]),
              node("d", "ReLU", ["c"]), node("e", "ReLU", ["d"]))
    a = analyze(doc)
    cycles = [i for i in a.issues if i.code == "cycle"]
    assert len(cycles) == 1 and cycles[0].found == ["b", "c", "d"]
    assert all(i.code == "cycle" for i in a.errors)     # e (after the cycle) gets no spurious error


def test_self_loop_is_a_cycle():
    a = analyze(net(node("a", "Add", ["input", "a"])))
    assert [i.found for i in a.issues if i.code == "cycle"] == [["a"]]


def test_shape_mismatch_names_port_expected_and_found():
    doc = net(node("c1", "Conv2d", ["input"], out_channels=4, kernel_size=3),
              node("c2", "Conv2d", ["input"], out_channels=4, kernel_size=5),
              node("sum", "Add", ["c1", "c2"]))
    (issue,) = analyze(doc).issues
    assert (issue.code, issue.node, issue.port, issue.expected, issue.found) == \
        ("shape_mismatch", "sum", 1, [4, 26, 26], [4, 24, 24])


@pytest.mark.parametrize("bad_id,code", [("input", "reserved_id"), ("forward", "reserved_id"),
                                         ("training", "reserved_id"), ("state_dict", "reserved_id"),
                                         ("__init__", "reserved_id"), ("1abc", "invalid_id"),
                                         ("a.b", "invalid_id"), ("x" * 65, "invalid_id")])
def test_bad_ids(bad_id, code):
    a = analyze(net(node(bad_id, "Flatten", ["input"])))
    assert [(i.code, i.field, i.found) for i in a.issues] == [(code, "id", bad_id)]


def test_reserved_names_cover_torch_module_attributes():
    import torch
    from graft.spec.schema_issues import MODULE_ATTRIBUTES, id_issue
    names = set(dir(torch.nn.Module)) | set(vars(torch.nn.Module()))
    assert [n for n in names if id_issue(n, "x") is None] == []
    assert len(MODULE_ATTRIBUTES) > 50


def test_schema_errors_are_mapped_to_nodes_and_fields():
    doc = {"input": {"shape": [1, 0]}, "extra": 1,
           "nodes": [{"id": "a", "type": "ReLU", "inputs": "input"}, "oops", {"type": "ReLU"}]}
    a = analyze(doc)
    where = {(i.node, i.field) for i in a.issues}
    assert (None, "input.shape.1") in where and (None, "extra") in where
    assert ("a", "inputs") in where and ("nodes[1]", None) in where and ("nodes[2]", "id") in where
    assert a.spec is None and not a.ok


@pytest.mark.parametrize("doc", [None, [], "text", 3, {"nodes": []}, {"input": {"shape": [1]}},
                                 {"input": {"shape": [1]}, "nodes": {}}])
def test_garbage_documents_give_issues(doc):
    a = analyze(doc)
    assert not a.ok and a.errors and a.spec is None


def test_multiple_outputs_and_unused_nodes():
    two = net(node("a", "Flatten", ["input"]), node("b", "Flatten", ["input"]))
    (issue,) = analyze(two).issues
    assert issue.code == "multiple_outputs" and issue.found == ["a", "b"]
    declared = analyze({**two, "outputs": ["b"]})
    assert declared.ok and declared.output_shape == [784]
    assert [(i.code, i.node, i.severity) for i in declared.issues] == [("unused_node", "a", "warning")]
    both = analyze({**two, "outputs": ["a", "b"]})
    assert both.ok and both.output_shape is None and both.outputs == ["a", "b"]
    missing = analyze({**two, "outputs": ["zz"]})
    assert any(i.code == "dangling_output" and i.found == "zz" for i in missing.errors)


def foundation_node(network, **params):
    return {"id": "base", "type": "Foundation", "params": {"ref": "fnd-000000000001", **params},
            "inputs": ["input"], "network": network}


def test_foundation_node_takes_shapes_and_params_from_its_network():
    base = slice_network(get_template("example-cnn"), end="flatten").model_dump()
    doc = net(foundation_node(base), node("fc", "Linear", ["base"], out_features=10))
    a = analyze(doc)
    assert a.ok, a.issues
    assert a.shapes["base"] == [9216] and a.params["base"] == 18_816
    assert (a.frozen_params, a.trainable_params) == (18_816, 92_170)
    thawed = analyze(net(foundation_node(base, frozen=False, lr_multiplier=0.1),
                         node("fc", "Linear", ["base"], out_features=10)))
    assert (thawed.frozen_params, thawed.trainable_params) == (0, 110_986)
    assert a.spec.node("base").network.node("conv1").type == "Conv2d"


def test_foundation_problems():
    base = slice_network(get_template("example-cnn"), end="flatten").model_dump()
    unresolved = analyze(net({"id": "base", "type": "Foundation", "params": {"ref": {"step": "foundation"}},
                              "inputs": ["input"]}))
    (issue,) = unresolved.issues
    assert (issue.code, issue.node, issue.field, issue.found) == \
        ("unresolved_foundation", "base", "network", {"step": "foundation"})
    wrong_input = analyze(net(foundation_node(base), shape=(3, 32, 32)))
    assert [(i.code, i.port, i.expected, i.found) for i in wrong_input.issues] == \
        [("shape_mismatch", 0, [1, 28, 28], [3, 32, 32])]
    base["nodes"][0]["params"]["kernel_size"] = 0
    inner = analyze(net(foundation_node(base, lr_multiplier=-1)))
    assert {(i.code, i.node, i.field) for i in inner.issues} == {
        ("invalid_param", "base", "params.lr_multiplier"), ("invalid_param", "base.conv1", "params.kernel_size")}


def test_require_valid_raises_with_all_errors():
    with pytest.raises(SpecError) as err:
        require_valid(net(node("a", "Nope", ["input"]), node("b", "ReLU", ["zz"]), outputs=["a", "b"]))
    assert {i.code for i in err.value.issues} == {"unknown_type", "dangling_input"}
    spec, a = require_valid(get_template("mlp"))
    assert isinstance(spec, NetworkSpec) and a.total_params == 101_770


def test_analyze_accepts_a_network_spec():
    spec = NetworkSpec.model_validate(get_template("lenet5"))
    assert analyze(spec).output_shape == [10]


def test_importing_the_analyser_does_not_import_torch():
    # analysing the templates also makes every node's module recipe: that needs no torch either
    code = ("import sys, graft.spec.analyze, graft.spec.graph, graft.spec.io, graft.spec.templates; "
            "from graft.spec.registry import REGISTRY; graft.spec.analyze.analyze({}); "
            "a = [graft.spec.analyze.analyze(t) for t in graft.spec.templates.TEMPLATES.values()]; "
            "assert all(x.ok and len(x.recipes) == len(x.order) for x in a); "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_messages_say_field_expected_and_found_in_plain_words():
    doc = {"input": {"shape": [1, 28, 28]}, "nodes": [
        {"id": "c", "type": "Conv2d", "params": {"out_channels": -4, "kernel_size": 3, "stride": "ab"},
         "inputs": ["input"]},
        {"id": "d", "type": "Conv2d", "params": {"out_channels": 4, "kernel_size": 3}, "inputs": ["input", "c"]}]}
    messages = {(i.node, i.field): i.message for i in analyze(doc).issues}
    assert messages["c", "params.stride"] == "stride: expected a whole number or a list, found 'ab'"
    assert messages["c", "params.out_channels"] == "out_channels: expected a number >= 1, found -4"
    assert messages["d", "inputs"] == "node d (Conv2d) takes 1 input; it has 2 (input, c)"
    assert not any("Input should be" in m or "unable to parse" in m for m in messages.values())
