"""A layer type is one class: a toy defined only here joins the palette, the validator, the compiler and both
exports by being registered."""
from __future__ import annotations

import pytest
import torch
from fastapi.testclient import TestClient

from graft.engine.compile import compile_network
from graft.server.app import create_app
from graft.spec.analyze import analyze
from graft.spec.layers import Layer, Params, PosInt, Recipe, expect_rank, register, unregister
from graft.spec.registry import REGISTRY, layer_schemas


class PointwiseParams(Params):
    out_channels: PosInt
    bias: bool = True


class Pointwise(Layer):
    """A 1x1 convolution: the recipe of an op graft already has, with a fixed kernel."""
    Params = PointwiseParams
    type, category = "Pointwise", "convolution"
    doc = "A 1x1 convolution: mixes channels at each pixel."

    @classmethod
    def infer(cls, p, inputs):
        expect_rank(inputs[0], (3,), what=" (channels, height, width)")
        _, height, width = inputs[0]
        return (p.out_channels, height, width)

    @classmethod
    def param_count(cls, p, inputs):
        return p.out_channels * inputs[0][0] + (p.out_channels if p.bias else 0)

    @classmethod
    def recipe(cls, p, inputs):
        return Recipe("Conv2d", (inputs[0][0], p.out_channels, (1, 1)), {"bias": p.bias})


NET = {"name": "toy", "input": {"shape": [1, 12, 12]}, "nodes": [
    {"id": "conv", "type": "Conv2d", "params": {"out_channels": 4, "kernel_size": 3}, "inputs": ["input"]},
    {"id": "mix", "type": "Pointwise", "params": {"out_channels": 6}, "inputs": ["conv"]},
    {"id": "flat", "type": "Flatten", "inputs": ["mix"]},
    {"id": "fc", "type": "Linear", "params": {"out_features": 3}, "inputs": ["flat"]}]}


@pytest.fixture(autouse=True)
def toy():
    register(Pointwise)
    yield Pointwise
    unregister("Pointwise")   # the other tests see the production registry


def test_the_palette_lists_it(tmp_path):
    assert REGISTRY["Pointwise"] is Pointwise
    assert any(s["type"] == "Pointwise" and "out_channels" in s["params"]["properties"] for s in layer_schemas())
    with TestClient(create_app(tmp_path / "ws"), base_url="http://127.0.0.1:8000") as client:
        served = {s["type"]: s for s in client.get("/api/layers").json()}
    assert served["Pointwise"]["category"] == "convolution" and served["Pointwise"]["doc"] == Pointwise.doc


def test_the_validator_infers_its_shape_and_flags_bad_input():
    a = analyze(NET)
    assert a.ok, a.issues
    assert a.shapes["mix"] == [6, 10, 10] and a.params["mix"] == 6 * 4 + 6
    flat = analyze({"input": {"shape": [16]}, "nodes": [
        {"id": "mix", "type": "Pointwise", "params": {"out_channels": 2}, "inputs": ["input"]}]})
    assert [(i.node, i.code, i.found, i.expected) for i in flat.issues] == [("mix", "shape_mismatch", [16], "rank 3")]
    bad = analyze({**NET, "nodes": [{**n, "params": {"out_channels": 0}} if n["id"] == "mix" else n
                                    for n in NET["nodes"]]})
    assert any(i.node == "mix" and i.code == "invalid_param" and i.field == "params.out_channels" for i in bad.issues)


def test_the_compiler_builds_it_as_inferred():
    model = compile_network(NET)
    a = analyze(NET)
    out = model.run({"input": torch.randn(2, 1, 12, 12)})
    assert tuple(out.shape[1:]) == tuple(a.output_shape)
    assert sum(t.numel() for t in model.mix.parameters()) == a.params["mix"]
    assert sum(t.numel() for t in model.parameters()) == a.total_params
    assert repr(model.mix) == "Conv2d(4, 6, kernel_size=(1, 1), stride=(1, 1))"


def test_onnx_and_python_export_compute_what_graft_computes(layer_checks, tmp_path):
    x = torch.randn(5, 1, 12, 12)
    assert layer_checks.onnx_diff(NET, tmp_path, x) < 1e-5
    assert layer_checks.python_diff(NET, x) < 1e-6
    alone = layer_checks.one_node("Pointwise", {"out_channels": 2, "bias": False}, (3, 5, 5))
    x = torch.randn(4, 3, 5, 5)
    assert layer_checks.onnx_diff(alone, tmp_path, x) < 1e-5 and layer_checks.python_diff(alone, x) < 1e-6


def test_a_type_is_registered_once_and_never_as_foundation():
    with pytest.raises(ValueError, match="registered already"):
        register(Pointwise)
    with pytest.raises(ValueError, match="other than Foundation"):
        register(type("Foundation", (Pointwise,), {"type": "Foundation"}))


@pytest.mark.parametrize("op,args,kwargs", [("Eval", (), {}), ("Conv2d", ([1, 2],), {}),
                                            ("Conv2d", (object(),), {}), ("Linear", (), {"a b": 1})])
def test_a_recipe_holds_only_known_ops_and_literals(op, args, kwargs):
    with pytest.raises((ValueError, TypeError)):
        Recipe(op, args, kwargs)
