"""A node's `group` (the module path it came from) is data the workbench draws as collapsible blocks: validated as
a dotted name, ignored by the engine, kept by slicing, grafting and the JSON round trip."""
import json

from graft.spec.analyze import analyze
from graft.spec.graph import graft_network, slice_network
from graft.spec.io import dump_json, load_document
from graft.spec.network import NetworkSpec

DOC = {
    "input": {"shape": [1, 8, 8]},
    "nodes": [
        {"id": "conv", "type": "Conv2d", "params": {"out_channels": 4, "kernel_size": 3}, "inputs": ["input"],
         "group": "encoder.stages.0.layers.1"},
        {"id": "relu", "type": "ReLU", "inputs": ["conv"], "group": "encoder.stages.0"},
        {"id": "flat", "type": "Flatten", "inputs": ["relu"]},
        {"id": "fc", "type": "Linear", "params": {"out_features": 10}, "inputs": ["flat"], "group": "classifier"},
    ],
}


def test_groups_survive_the_json_round_trip_and_change_no_shape():
    plain = {**DOC, "nodes": [{k: v for k, v in n.items() if k != "group"} for n in DOC["nodes"]]}
    grouped, ungrouped = analyze(DOC), analyze(plain)
    assert grouped.ok and grouped.shapes == ungrouped.shapes and grouped.total_params == ungrouped.total_params
    back = load_document(dump_json(NetworkSpec.model_validate(DOC)))
    assert [n.get("group") for n in back["nodes"]] == ["encoder.stages.0.layers.1", "encoder.stages.0", None,
                                                        "classifier"]


def test_a_group_that_is_not_a_dotted_name_is_refused_naming_the_node_and_field():
    for bad in ("encoder/stages", "encoder..stages", ".encoder", "a b", ""):
        doc = json.loads(json.dumps(DOC))
        doc["nodes"][1]["group"] = bad
        a = analyze(doc)
        assert not a.ok, bad
        assert any(i.node == "relu" and "group" in (i.field or "") for i in a.issues), (bad, a.issues)


def test_slicing_and_grafting_keep_the_groups():
    part = slice_network(DOC, end="flat")
    assert {n.id: n.group for n in part.nodes} == {"conv": "encoder.stages.0.layers.1", "relu": "encoder.stages.0",
                                                   "flat": None}
    grafted = graft_network(part, "fnd-000000000000", [{"id": "head", "type": "Linear",
                                                         "params": {"out_features": 3}, "group": "head"}],
                            frozen=True, lr_multiplier=1.0)
    inner = grafted.nodes[0].network
    assert inner.node("conv").group == "encoder.stages.0.layers.1" and grafted.node("head").group == "head"
