import pytest
import torch

from graft.engine.compile import compile_network
from graft.spec.issues import SpecError


def test_state_dict_keys_start_with_node_ids(nets):
    doc = nets.small_cnn()
    model = compile_network(doc)
    ids = {n["id"] for n in doc["nodes"]}
    keys = list(model.state_dict())
    assert keys and all(k.split(".", 1)[0] in ids for k in keys)
    assert "conv1.weight" in keys and "bn1.running_mean" in keys and "fc2.bias" in keys
    assert model(torch.zeros(3, 1, 28, 28)).shape == (3, 10)


def test_foundation_is_a_nested_module_under_its_node_id(nets):
    model = compile_network(nets.grafted(nets.foundation_of(nets.small_cnn())))
    keys = list(model.state_dict())
    assert "base.conv1.weight" in keys and "base.bn1.running_var" in keys
    assert "fc1.weight" in keys and not any(k.startswith("conv1") for k in keys)
    assert model.blocks() == {"base": ["base"], "head": ["fc1", "relu", "drop", "fc2"]}
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)


def test_dag_with_a_skip_connection_runs_and_drops_nothing_still_needed():
    doc = {"input": {"shape": [16]}, "nodes": [
        {"id": "a", "type": "Linear", "params": {"out_features": 16}, "inputs": ["input"]},
        {"id": "b", "type": "ReLU", "inputs": ["a"]},
        {"id": "c", "type": "Linear", "params": {"out_features": 16}, "inputs": ["b"]},
        {"id": "s", "type": "Add", "inputs": ["a", "c"]},
        {"id": "out", "type": "Linear", "params": {"out_features": 3}, "inputs": ["s"]},
    ]}
    model = compile_network(doc)
    x = torch.randn(4, 16)
    a = model.a(x)
    expected = model.out(a + model.c(torch.relu(a)))
    assert torch.allclose(model(x), expected)


def test_invalid_network_raises_spec_error_naming_the_node(nets):
    doc = nets.small_cnn()
    doc["nodes"][-1]["inputs"] = ["nowhere"]
    with pytest.raises(SpecError) as err:
        compile_network(doc)
    assert any(i.node == "fc2" for i in err.value.issues)
