"""examples/onnx_transfer.yaml: a pretrained ONNX file imported, cut before its classifier, a head grafted and
trained, evaluated; the imported backbone's weights are the same before and after the head trained."""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import graft
from graft.spec.issues import SpecError
from graft.store import Workspace
from graft.workflow import parse_workflow, run_workflow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# the subprocess runs in another folder: give it this graft, wherever PYTHONPATH pointed
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(graft.__file__).parents[1]),
                                                    *filter(None, [os.environ.get("PYTHONPATH")])])}


def tiny_resnet():
    spec = importlib.util.spec_from_file_location("tiny_resnet_onnx", EXAMPLES / "tiny_resnet_onnx.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("onnx-transfer")
    shutil.copy(EXAMPLES / "onnx_transfer.yaml", folder / "onnx_transfer.yaml")
    tiny_resnet().write(str(folder / "tiny-resnet.onnx"))
    return folder


def test_graft_run_imports_slices_grafts_trains_and_evaluates(example, tmp_path):
    done = subprocess.run([sys.executable, "-m", "graft.cli", "run", str(example / "onnx_transfer.yaml"),
                           "--workspace", str(tmp_path / "ws"), "--json"], capture_output=True, text=True,
                          timeout=600, cwd=tmp_path, env=ENV)   # elsewhere: its source is relative to the file
    assert done.returncode == 0, done.stderr
    steps = {s["name"]: s for s in json.loads(done.stdout)["steps"]}
    assert [s["kind"] for s in steps.values()] == ["import_model", "slice", "train", "evaluate"]
    imported, backbone, head = (steps[n]["result"] for n in ("pretrained", "backbone", "head"))
    assert imported["model_kind"] == "model" and imported["name"] == "tiny-resnet"
    assert backbone["model_kind"] == "foundation" and backbone["params"] < imported["params"]
    # the frozen backbone inside the trained model is byte for byte the sliced one
    assert head["block_sha256"]["base"] == backbone["block_sha256"]["foundation"]
    test = steps["test"]["result"]
    assert test["total"] == 2000
    assert test["accuracy"] > 0.5      # digits 5-9 were never seen by the backbone, yet its features carry


def test_the_import_is_cached_until_the_file_changes(example, tmp_path):
    doc = {"name": "imp", "steps": [{"name": "m", "kind": "import_model", "source": "tiny-resnet.onnx"}]}
    ws = Workspace(tmp_path / "ws")
    try:
        first = run_workflow(ws, doc, base_dir=example)["steps"][0]
        assert first["status"] == "done" and first["result"]["name"] == "imp/m"
        assert run_workflow(ws, doc, base_dir=example)["steps"][0]["status"] == "cached"
        other = tmp_path / "tiny-resnet.onnx"
        tiny_resnet().write(str(other), blocks=(1, 1, 1, 1), steps=2)
        again = run_workflow(ws, {**doc, "steps": [{**doc["steps"][0], "source": str(other)}]})["steps"][0]
        assert again["status"] == "done" and again["result"]["id"] != first["result"]["id"]
    finally:
        ws.close()


def test_a_missing_source_names_the_step_and_the_file(tmp_path):
    doc = {"name": "imp", "steps": [{"name": "m", "kind": "import_model", "source": "nowhere.onnx"}]}
    ws = Workspace(tmp_path / "ws")
    try:
        with pytest.raises(FileNotFoundError, match="step 'm'.*nowhere.onnx"):
            run_workflow(ws, doc, base_dir=tmp_path)
        assert ws.list_models() == []
    finally:
        ws.close()


def test_an_import_step_checks_its_input_shape():
    doc = {"steps": [{"name": "m", "kind": "import_model", "source": "x.onnx", "input_shape": [3, 0, 224]}]}
    with pytest.raises(SpecError, match="input_shape"):
        parse_workflow(doc)
