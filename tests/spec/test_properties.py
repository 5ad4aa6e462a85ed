"""Property tests: analyze() survives anything; valid random chains match what torch really computes."""
from __future__ import annotations

import json

import pytest
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from graft.engine.recipes import build
from graft.spec.analyze import Analysis, analyze
from graft.spec.io import DocumentError, load_document
from graft.spec.issues import ShapeError
from graft.spec.registry import REGISTRY
from graft.spec.templates import TEMPLATES, get_template

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
IDS = ["a", "b", "c", "input", "forward", "1x", ""]
PARAM_NAMES = sorted({f for layer in REGISTRY.values() for f in layer.Params.model_fields} | {"ref", "frozen", "x"})

scalars = st.none() | st.booleans() | st.integers(-3, 70) | st.floats() | st.text(max_size=6) | \
    st.sampled_from(["same", "valid", "nearest", "bilinear", "tanh"])
json_values = st.recursive(scalars, lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=5), c,
                                                                                          max_size=4), max_leaves=12)
nodes = st.fixed_dictionaries(
    {"id": st.sampled_from(IDS) | st.text(max_size=4),
     "type": st.sampled_from([*REGISTRY, "Foundation", "Nope", "relu"]),
     "params": st.dictionaries(st.sampled_from(PARAM_NAMES), scalars | st.lists(st.integers(-1, 5), max_size=3),
                               max_size=3),
     "inputs": st.lists(st.sampled_from(IDS) | st.text(max_size=3), max_size=3)},
    optional={"network": json_values, "position": json_values})
documents = st.fixed_dictionaries(
    {"input": st.fixed_dictionaries({"shape": st.lists(st.integers(-1, 30), max_size=5)}) | json_values,
     "nodes": st.lists(nodes, max_size=7) | json_values},
    optional={"outputs": st.lists(st.sampled_from(IDS), max_size=2) | json_values, "name": json_values,
              "format": st.text(max_size=3)})


def mutate(doc: dict, edits: list[tuple[int, str, object]]) -> dict:
    """Small edits to a valid document: a param, an input, a type, an id, or a dropped node."""
    nodes = doc["nodes"]
    for index, what, value in edits:
        n = nodes[index % len(nodes)]
        if what == "param":
            key = sorted(n["params"])[0] if n["params"] else "p"
            n["params"][key] = value
        elif what == "input":
            n["inputs"] = [value if isinstance(value, str) else nodes[index % min(3, len(nodes))]["id"]] + n["inputs"][1:]
        elif what == "type":
            n["type"] = value if isinstance(value, str) else "Add"
        elif what == "id":
            n["id"] = value if isinstance(value, str) else nodes[0]["id"]
        elif len(nodes) > 1:
            nodes.remove(n)
    return doc


edits = st.lists(st.tuples(st.integers(0, 20), st.sampled_from(["param", "input", "type", "id", "drop"]),
                           st.integers(0, 40) | st.sampled_from([*REGISTRY, "conv1", "pool", "flatten", "input"])
                           | scalars), max_size=3)
mutated = st.builds(lambda name, e: mutate(get_template(name), e), st.sampled_from(sorted(TEMPLATES)), edits)


def check_analysis(a: Analysis) -> None:
    assert isinstance(a, Analysis)
    json.dumps(a.to_dict(), allow_nan=False)
    assert a.ok == (not a.errors)
    if a.ok:   # a clean document analyses the same way again from its parsed spec
        again = analyze(a.spec)
        assert again.ok and again.shapes == a.shapes and again.total_params == a.total_params


@FAST
@given(documents)
def test_random_documents_only_give_issues(doc):
    check_analysis(analyze(doc))


@FAST
@given(mutated)
def test_mutated_templates_only_give_issues(doc):
    check_analysis(analyze(doc))


@FAST
@given(json_values)
def test_random_json_values_only_give_issues(value):
    check_analysis(analyze(value))


@FAST
@given(st.binary(max_size=300) | st.text(max_size=300))
def test_random_bytes_through_load_document(data):
    try:
        doc = load_document(data)
    except DocumentError as err:
        assert err.issues and err.issues[0].code == "parse_error"
        return
    assert isinstance(doc, dict)
    check_analysis(analyze(doc))


# ---- random valid chains against torch ---------------------------------------------------------------------------

pair = st.integers(1, 3) | st.tuples(st.integers(1, 3), st.integers(1, 3))
PARAMS = {
    "Conv1d": st.fixed_dictionaries({"out_channels": st.integers(1, 4), "kernel_size": st.integers(1, 4)},
                                    optional={"stride": st.integers(1, 3), "dilation": st.integers(1, 2),
                                              "padding": st.integers(0, 2) | st.sampled_from(["same", "valid"]),
                                              "groups": st.sampled_from([1, 2]), "bias": st.booleans()}),
    "Conv2d": st.fixed_dictionaries({"out_channels": st.integers(1, 4), "kernel_size": pair},
                                    optional={"stride": pair, "dilation": pair, "groups": st.sampled_from([1, 2]),
                                              "padding": st.integers(0, 2) | st.sampled_from(["same", "valid"]),
                                              "bias": st.booleans()}),
    "ConvTranspose2d": st.fixed_dictionaries({"out_channels": st.integers(1, 4), "kernel_size": pair},
                                             optional={"stride": pair, "padding": st.integers(0, 2),
                                                       "dilation": st.integers(1, 2),
                                                       "output_padding": st.integers(0, 1)}),
    "MaxPool2d": st.fixed_dictionaries({"kernel_size": pair},
                                       optional={"stride": pair, "padding": st.integers(0, 1),
                                                 "dilation": st.integers(1, 2), "ceil_mode": st.booleans()}),
    "AvgPool2d": st.fixed_dictionaries({"kernel_size": pair},
                                       optional={"stride": pair, "padding": st.integers(0, 1),
                                                 "ceil_mode": st.booleans(), "count_include_pad": st.booleans()}),
    "AdaptiveAvgPool2d": st.fixed_dictionaries({"output_size": pair}),
    "BatchNorm1d": st.fixed_dictionaries({}, optional={"affine": st.booleans()}),
    "BatchNorm2d": st.fixed_dictionaries({}, optional={"affine": st.booleans()}),
    "LayerNorm": st.fixed_dictionaries({}, optional={"elementwise_affine": st.booleans(), "bias": st.booleans()}),
    "Dropout": st.fixed_dictionaries({"p": st.floats(0, 1)}),
    "LeakyReLU": st.fixed_dictionaries({"negative_slope": st.floats(-1, 1)}),
    "GELU": st.fixed_dictionaries({"approximate": st.sampled_from(["none", "tanh"])}),
    "Reshape": st.lists(st.integers(1, 4), min_size=0, max_size=2).map(lambda dims: {"shape": [*dims, -1]}),
    "Linear": st.fixed_dictionaries({"out_features": st.integers(1, 8)}, optional={"bias": st.booleans()}),
    "Upsample": st.fixed_dictionaries({"scale_factor": st.sampled_from([0.5, 1, 1.5, 2, 3]),
                                       "mode": st.sampled_from(["nearest", "bilinear"])}),
    "Concat": st.fixed_dictionaries({"dim": st.integers(-3, 2)}),
    "Permute": st.permutations([0, 1, 2]).map(lambda d: {"dims": d}) | st.permutations([0, 1]).map(
        lambda d: {"dims": d}),
    "Scale": st.fixed_dictionaries({"dim": st.integers(-3, 2)}, optional={"bias": st.booleans()}),
}
input_shapes = st.lists(st.integers(1, 10), min_size=1, max_size=3).map(tuple) | \
    st.tuples(st.integers(1, 4), st.integers(4, 12), st.integers(4, 12)) | st.tuples(st.integers(1, 4), st.integers(4, 16))
LAYER_CHOICES = sorted(REGISTRY) + ["Conv1d", "Conv2d", "ConvTranspose2d", "MaxPool2d"] * 3   # the ones with most rules


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), input_shapes)
def test_random_valid_chains_match_torch(data, shape):
    """Draw layers that accept the current shape; the analyser's shapes and counts must equal torch's."""
    shape_of, doc_nodes, prev = {"input": shape}, [], "input"
    for i in range(data.draw(st.integers(1, 6))):
        layer_type = data.draw(st.sampled_from(LAYER_CHOICES))
        params = data.draw(PARAMS.get(layer_type, st.just({})))
        layer = REGISTRY[layer_type]
        inputs = [prev] * layer.min_inputs
        try:
            out = layer.infer(layer.parse(params), [shape_of[r] for r in inputs])
        except (ValidationError, ShapeError):
            continue
        if torch.Size(out).numel() > 4096:
            continue
        node_id = f"n{i}"
        event(layer_type)
        doc_nodes.append({"id": node_id, "type": layer_type, "params": params, "inputs": inputs})
        shape_of[node_id], prev = tuple(out), node_id
    if not doc_nodes:
        return
    a = analyze({"input": {"shape": list(shape)}, "nodes": doc_nodes})
    assert a.ok, a.issues
    x = {"input": torch.randn(2, *shape)}
    with torch.no_grad():
        for n in doc_nodes:
            layer = REGISTRY[n["type"]]
            in_shapes = [shape_of[r] for r in n["inputs"]]
            module = build(layer.recipe(layer.parse(n["params"]), in_shapes)).eval()
            x[n["id"]] = module(*(x[r] for r in n["inputs"]))
            assert list(x[n["id"]].shape[1:]) == a.shapes[n["id"]], n
            assert sum(t.numel() for t in module.parameters()) == a.params[n["id"]], n
    assert a.output_shape == list(x[prev].shape[1:])
