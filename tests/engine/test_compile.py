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


def _relu_pool_net(extra_reader: bool = False, outputs=None):
    nodes = [
        {"id": "conv", "type": "Conv2d", "params": {"out_channels": 4, "kernel_size": 3}, "inputs": ["input"]},
        {"id": "relu", "type": "ReLU", "inputs": ["conv"]},
        {"id": "pool", "type": "MaxPool2d", "params": {"kernel_size": 2, "padding": 1}, "inputs": ["relu"]},
        {"id": "flat", "type": "Flatten", "inputs": ["pool"]},
        {"id": "fc", "type": "Linear", "params": {"out_features": 3}, "inputs": ["flat"]},
    ]
    if extra_reader:   # the ReLU's output is read twice: it must be computed as it stands
        nodes += [{"id": "flat2", "type": "Flatten", "inputs": ["relu"]},
                  {"id": "fc2", "type": "Linear", "params": {"out_features": 3}, "inputs": ["flat2"]},
                  {"id": "sum", "type": "Add", "inputs": ["fc", "fc2"]}]
    doc = {"input": {"shape": [1, 9, 9]}, "nodes": nodes}
    if outputs:
        doc["outputs"] = outputs
    return doc


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_a_relu_feeding_only_a_max_pool_runs_after_it_with_bit_identical_values_and_gradients(dtype):
    torch.manual_seed(0)
    model = compile_network(_relu_pool_net()).to(dtype)
    assert model._relu_after == {"pool": "relu"}
    x = torch.randn(5, 1, 9, 9, dtype=dtype)
    x[0] = -1.0                                          # windows where every value is negative: ties at 0
    reference = torch.nn.Sequential(model.conv, torch.nn.ReLU(), model.pool, torch.nn.Flatten(), model.fc)
    ours_in, ref_in = x.clone().requires_grad_(), x.clone().requires_grad_()
    ours, ref = model(ours_in), reference(ref_in)
    assert torch.equal(ours, ref)
    ours.square().sum().backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters()}
    model.zero_grad()
    ref.square().sum().backward()
    assert torch.equal(ours_in.grad, ref_in.grad)
    assert all(torch.equal(grads[n], p.grad) for n, p in model.named_parameters())


def test_a_relu_read_elsewhere_or_asked_for_as_an_output_is_computed_as_it_stands():
    assert compile_network(_relu_pool_net(extra_reader=True))._relu_after == {}
    model = compile_network(_relu_pool_net(outputs=["relu", "fc"]))
    assert model._relu_after == {}
    relu_out, _ = model(torch.randn(2, 1, 9, 9))
    assert relu_out.shape == (2, 4, 7, 7) and relu_out.min() >= 0
