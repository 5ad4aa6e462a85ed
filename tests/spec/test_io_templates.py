"""Loading documents safely; built-in templates."""
from __future__ import annotations

import json

import pytest

from graft.spec.analyze import analyze
from graft.spec.io import MAX_DOCUMENT_BYTES, DocumentError, dump_json, dump_yaml, load_document
from graft.spec.issues import SpecError
from graft.spec.network import NetworkSpec
from graft.spec.templates import TEMPLATES, get_template


def test_yaml_and_json_load_the_same():
    doc = get_template("lenet5")
    assert load_document(dump_yaml(doc)) == doc
    assert load_document(dump_json(doc)) == doc
    assert load_document(dump_json(doc).encode()) == doc


def test_dump_keeps_spec_field_order():
    spec = NetworkSpec.model_validate(get_template("mlp"))
    text = dump_yaml(spec)
    assert text.index("format:") < text.index("input:") < text.index("nodes:")
    assert "shape: [1, 28, 28]" in text
    assert json.loads(dump_json(spec))["nodes"][0] == {"id": "flatten", "type": "Flatten", "params": {},
                                                       "inputs": ["input"]}


def test_load_from_path(tmp_path):
    path = tmp_path / "net.yaml"
    path.write_text(dump_yaml(get_template("mlp")))
    assert load_document(path)["name"] == "mlp"
    with pytest.raises(DocumentError) as err:
        load_document(tmp_path / "missing.yaml")
    assert "missing.yaml" in str(err.value)


@pytest.mark.parametrize("text,needle", [
    ("a: &x [1, 2]\nb: *x\n", "aliases"),
    ("- 1\n- 2\n", "mapping"),
    ("just text", "mapping"),
    ("a: {b: 1\n", "line 2"),
    ("x: !!python/object/apply:os.system [ls]\n", "constructor"),
    ("x: !!binary aGVsbG8=\n", "not allowed"),
    (b"\xff\xfe\x00", "UTF-8"),
    ("[" * 50_000, "nested too deeply"),
    ('{"a": [1, 2}', "line 1"),
])
def test_hostile_or_broken_documents_are_refused(text, needle):
    with pytest.raises(DocumentError) as err:
        load_document(text)
    assert needle in str(err.value)
    assert isinstance(err.value, SpecError) and err.value.issues[0].code == "parse_error"


def test_size_cap():
    with pytest.raises(DocumentError) as err:
        load_document("a: " + "x" * MAX_DOCUMENT_BYTES)
    assert "too large" in str(err.value)


def test_dates_stay_strings():
    assert load_document("when: 2024-01-01\n") == {"when": "2024-01-01"}


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_templates_are_valid_mnist_classifiers(name):
    a = analyze(get_template(name))
    assert a.ok, a.issues
    assert a.shapes["input"] == [1, 28, 28] and a.output_shape == [10]


def test_example_cnn_is_the_keras_mnist_cnn():
    doc = get_template("example-cnn")
    assert [n["id"] for n in doc["nodes"]] == ["conv1", "relu1", "conv2", "relu2", "pool", "drop1", "flatten",
                                               "fc1", "relu3", "drop2", "fc2"]
    assert analyze(doc).total_params == 1_199_882
    bn = analyze(get_template("cnn-bn"))
    assert bn.total_params == 1_199_882 + 2 * 32 + 2 * 64


def test_get_template_copies_and_names_unknown():
    get_template("mlp")["nodes"].clear()
    assert get_template("mlp")["nodes"]
    with pytest.raises(SpecError) as err:
        get_template("resnet")
    assert err.value.issues[0].found == "resnet" and "mlp" in err.value.issues[0].expected
