"""One harness for every registry layer: inferred shape and parameter count against real torch modules, JSON
round trip, ONNX and Python export (the checks live in conftest.py, shared with the toy layer test)."""
from __future__ import annotations

import json

import pytest
import torch
from pydantic import ValidationError

from graft.spec.issues import ShapeError
from graft.spec.network import NodeSpec
from graft.spec.registry import REGISTRY

# torch's note that padding='same' with an even kernel copies the input: expected, not a problem
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")

# type -> list of (params, input shapes); multi-input layers list one shape per input
CASES: dict[str, list[tuple[dict, list[tuple[int, ...]]]]] = {
    "Conv1d": [({"out_channels": 4, "kernel_size": 3}, [(2, 10)]),
               ({"out_channels": 6, "kernel_size": 4, "stride": 2, "padding": 1, "dilation": 2, "groups": 2,
                 "bias": False}, [(4, 17)]),
               ({"out_channels": 3, "kernel_size": 4, "padding": "same"}, [(2, 9)])],
    "Conv2d": [({"out_channels": 8, "kernel_size": 3}, [(1, 28, 28)]),
               ({"out_channels": 4, "kernel_size": [3, 5], "stride": [2, 1], "padding": [1, 2], "dilation": 2,
                 "groups": 2, "bias": False}, [(6, 15, 16)]),
               ({"out_channels": 5, "kernel_size": 4, "padding": "same"}, [(3, 7, 8)])],
    "ConvTranspose2d": [({"out_channels": 4, "kernel_size": 2, "stride": 2}, [(3, 7, 7)]),
                        ({"out_channels": 2, "kernel_size": [3, 4], "stride": 3, "padding": 1, "output_padding": 2,
                          "dilation": 2, "bias": False}, [(5, 4, 6)])],
    "MaxPool2d": [({"kernel_size": 2}, [(3, 9, 9)]),
                  ({"kernel_size": 3, "stride": 2, "padding": 1, "dilation": 2, "ceil_mode": True}, [(2, 10, 7)])],
    "AvgPool2d": [({"kernel_size": 2}, [(1, 28, 28)]),
                  ({"kernel_size": [3, 2], "stride": [2, 3], "padding": 1, "ceil_mode": True,
                    "count_include_pad": False}, [(2, 8, 11)])],
    "AdaptiveAvgPool2d": [({}, [(4, 5, 7)]), ({"output_size": [3, 2]}, [(2, 9, 4)])],
    "BatchNorm1d": [({}, [(12,)]), ({"affine": False, "eps": 1e-3, "momentum": 0.2}, [(3, 10)])],
    "BatchNorm2d": [({}, [(6, 4, 4)]), ({"affine": False}, [(2, 3, 3)])],
    "LayerNorm": [({}, [(3, 10)]), ({"normalized_shape": [4, 5], "bias": False}, [(3, 4, 5)]),
                  ({"elementwise_affine": False}, [(7,)]), ({"dim": 0, "eps": 1e-6}, [(6, 4, 5)]),
                  ({"dim": -2, "bias": False}, [(3, 5, 2)])],
    "Dropout": [({"p": 0.25}, [(3, 4, 4)])],
    "ReLU": [({}, [(10,)])],
    "LeakyReLU": [({"negative_slope": 0.2}, [(2, 5, 5)])],
    "GELU": [({}, [(8,)]), ({"approximate": "tanh"}, [(2, 8)])],
    "SiLU": [({}, [(3, 4)])],
    "Sigmoid": [({}, [(5,)])],
    "Tanh": [({}, [(1, 2, 3)])],
    "Flatten": [({}, [(64, 12, 12)]), ({}, [(7,)])],
    "Reshape": [({"shape": [4, -1]}, [(32,)]), ({"shape": [2, 3, 4]}, [(6, 4)])],
    "Linear": [({"out_features": 10}, [(128,)]), ({"out_features": 3, "bias": False}, [(5, 7)]),
               ({"out_features": 6, "per_position": True}, [(4, 3, 5)])],
    "Add": [({}, [(3, 4, 4), (3, 4, 4)]), ({}, [(10,), (10,), (10,)])],
    "Concat": [({}, [(2, 4, 4), (3, 4, 4)]), ({"dim": -1}, [(5, 2), (5, 3), (5, 1)])],
    "Upsample": [({"scale_factor": 2}, [(3, 5, 6)]), ({"scale_factor": 1.5, "mode": "bilinear"}, [(2, 7, 5)]),
                 ({"scale_factor": 3}, [(2, 4)])],
    "ReLU6": [({}, [(3, 4, 4)])],
    "Hardswish": [({}, [(2, 5)])],
    "Hardsigmoid": [({}, [(6,)])],
    "Mul": [({}, [(3, 4, 4), (3, 4, 4)]), ({}, [(4, 3, 3), (4, 1, 1)]), ({}, [(5,), (5,), (5,)])],
    "Pad2d": [({"padding": [0, 1, 0, 1]}, [(2, 5, 5)]), ({"padding": [2, 1, 3, 0], "value": -1.5}, [(1, 4, 3)])],
    "Permute": [({"dims": [1, 2, 0]}, [(3, 4, 5)]), ({"dims": [2, 0, 1]}, [(4, 5, 3)]), ({"dims": [1, 0]}, [(3, 7)])],
    "Scale": [({}, [(4, 3, 3)]), ({"dim": -1}, [(3, 5, 6)]), ({"dim": 1, "bias": True}, [(2, 5, 3)]),
              ({"dim": -1, "bias": True}, [(7,)])],
    "PatchTokens": [({}, [(6, 3, 4)])],
    "ClassToken": [({}, [(5, 8)])],
    "PositionEmbedding": [({}, [(5, 8)])],
    "MultiHeadAttention": [({"num_heads": 2}, [(5, 8)]), ({"num_heads": 3, "bias": False}, [(4, 12)])],
    "LayerScale": [({}, [(5, 8)]), ({}, [(6,)])],
    "TokenSelect": [({}, [(5, 8)]), ({"index": 3}, [(5, 8)])],
    "TokenMean": [({}, [(5, 8)]), ({"start": 1}, [(5, 8)])],
}

HARNESS = [pytest.param(t, params, shapes, id=f"{t}-{i}")
           for t, cases in CASES.items() for i, (params, shapes) in enumerate(cases)]


def test_every_registry_type_has_a_harness_case():
    missing = sorted(set(REGISTRY) - set(CASES))
    assert not missing, f"add harness cases for {missing}"


@pytest.mark.parametrize("layer_type,params,shapes", HARNESS)
def test_inferred_shape_and_params_match_torch(layer_type, params, shapes, layer_checks):
    inferred, real, param_count, numel = layer_checks.shapes_and_params(layer_type, params, shapes)
    assert inferred == real
    assert param_count == numel


@pytest.mark.parametrize("layer_type,params,shapes", HARNESS)
def test_onnx_and_python_export_compute_what_graft_computes(layer_type, params, shapes, layer_checks, tmp_path):
    doc = layer_checks.one_node(layer_type, params, shapes[0], ports=len(shapes))
    x = torch.randn(5, *shapes[0])
    assert layer_checks.onnx_diff(doc, tmp_path, x) < 1e-5
    assert layer_checks.python_diff(doc, x) < 1e-6


@pytest.mark.parametrize("layer_type,params,shapes", HARNESS)
def test_params_json_round_trip(layer_type, params, shapes):
    layer = REGISTRY[layer_type]
    p = layer.parse(params)
    node = NodeSpec(id="n", type=layer_type, params=p.model_dump(mode="json"), inputs=["input"] * len(shapes))
    again = NodeSpec.model_validate(json.loads(node.model_dump_json()))
    assert layer.parse(again.params) == p


@pytest.mark.parametrize("layer_type", sorted(REGISTRY))
def test_schema_is_json(layer_type):
    schema = REGISTRY[layer_type].schema()
    assert json.loads(json.dumps(schema))["type"] == layer_type


@pytest.mark.parametrize("layer_type,params", [
    ("Conv2d", {"out_channels": 0, "kernel_size": 3}),
    ("Conv2d", {"out_channels": 4, "kernel_size": 3, "stride": 2, "padding": "same"}),
    ("Conv2d", {"out_channels": 5, "kernel_size": 3, "groups": 2}),
    ("Conv2d", {"out_channels": 4, "kernel": 3}),
    ("MaxPool2d", {"kernel_size": 2, "padding": 2}),
    ("ConvTranspose2d", {"out_channels": 2, "kernel_size": 2, "stride": 2, "output_padding": 2}),
    ("Dropout", {"p": 1.5}),
    ("Dropout", {"p": float("nan")}),
    ("Reshape", {"shape": [-1, -1]}),
    ("Reshape", {"shape": [0, 4]}),
    ("Upsample", {"scale_factor": 2, "mode": "bicubic"}),
    ("Linear", {}),
    ("Linear", {"out_features": True}),
    ("Pad2d", {"padding": [1, 1]}),
    ("Pad2d", {"padding": [-1, 0, 0, 0]}),
    ("Permute", {"dims": [0, 0, 1]}),
    ("Permute", {"dims": [1, 2, 3]}),
    ("LayerNorm", {"normalized_shape": 4, "dim": 0}),
])
def test_invalid_params_are_rejected(layer_type, params):
    with pytest.raises(ValidationError):
        REGISTRY[layer_type].parse(params)


@pytest.mark.parametrize("layer_type,params,shapes,port", [
    ("Conv2d", {"out_channels": 4, "kernel_size": 5}, [(1, 3, 3)], 0),
    ("Conv2d", {"out_channels": 4, "kernel_size": 3}, [(128,)], 0),
    ("Linear", {"out_features": 4}, [(32, 5, 5)], 0),
    ("Reshape", {"shape": [3, -1]}, [(10,)], 0),
    ("Add", {}, [(3, 4), (3, 5)], 1),
    ("Concat", {"dim": 0}, [(2, 4, 4), (2, 5, 4)], 1),
    ("Concat", {"dim": 3}, [(2, 4, 4), (2, 4, 4)], 0),
    ("LayerNorm", {"normalized_shape": 5}, [(3, 4)], 0),
    ("BatchNorm2d", {}, [(16,)], 0),
    ("Upsample", {"scale_factor": 2, "mode": "bilinear"}, [(3, 4)], 0),
    ("Upsample", {"scale_factor": 0.1}, [(3, 4, 4)], 0),
    ("Mul", {}, [(4, 3, 3), (2, 1, 1)], 1),
    ("Pad2d", {"padding": [1, 1, 1, 1]}, [(8,)], 0),
    ("Linear", {"out_features": 4, "per_position": False}, [(4, 3, 5)], 0),
    ("Permute", {"dims": [1, 0]}, [(3, 4, 5)], 0),
    ("Scale", {"dim": 3}, [(3, 4, 5)], 0),
    ("LayerNorm", {"dim": -4}, [(3, 4, 5)], 0),
    ("MultiHeadAttention", {"num_heads": 3}, [(5, 8)], 0),
    ("TokenSelect", {"index": 5}, [(5, 8)], 0),
    ("ClassToken", {}, [(3, 4, 4)], 0),
])
def test_shape_errors_name_the_port(layer_type, params, shapes, port):
    layer = REGISTRY[layer_type]
    with pytest.raises(ShapeError) as err:
        layer.infer(layer.parse(params), shapes)
    assert err.value.port == port
    assert err.value.found is not None and err.value.expected is not None

