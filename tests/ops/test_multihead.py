"""Several heads on one frozen foundation, end to end: a workflow trains digits and odd/even heads on their own
data sets, each head is evaluated, exported (ONNX with one output per head, Python returning a dict), packaged
and shown in the lineage; HTTP refuses tasks that do not match the outputs."""
from __future__ import annotations

import importlib.util

import numpy as np
import onnxruntime as ort
import pytest
import torch
from fastapi.testclient import TestClient

import graft
from graft.ops.export_onnx import check_batch
from graft.ops.models import load_model
from graft.server.app import create_app
from graft.store import Workspace

PARITY = {"relabel": {"map": {i: i % 2 for i in range(10)}, "classes": ["even", "odd"]}}
DIGITS = {"dataset": "mnist", "transforms": [{"per_class": 30, "seed": 0}]}
ODD_EVEN = {"dataset": "mnist", "transforms": [{"per_class": 10, "seed": 1}, PARITY]}
TEST = {"dataset": "mnist", "split": "test", "transforms": [{"limit": 300}]}
TEST_PARITY = {"dataset": "mnist", "split": "test", "transforms": [{"limit": 300}, PARITY]}
BASE = {"name": "base", "input": {"shape": [1, 28, 28]}, "nodes": [
    {"id": "conv1", "type": "Conv2d", "params": {"out_channels": 8, "kernel_size": 3}, "inputs": ["input"]},
    {"id": "relu1", "type": "ReLU", "inputs": ["conv1"]},
    {"id": "pool", "type": "MaxPool2d", "params": {"kernel_size": 2}, "inputs": ["relu1"]},
    {"id": "flatten", "type": "Flatten", "inputs": ["pool"]},
    {"id": "fc", "type": "Linear", "params": {"out_features": 10}, "inputs": ["flatten"]}]}


def two_heads(ref) -> dict:
    return {"name": "two-heads", "input": {"shape": [1, 28, 28]}, "outputs": ["digits", "parity"], "nodes": [
        {"id": "base", "type": "Foundation", "params": {"ref": ref, "frozen": True}, "inputs": ["input"]},
        {"id": "digits", "type": "Linear", "params": {"out_features": 10}, "inputs": ["base"]},
        {"id": "parity", "type": "Linear", "params": {"out_features": 2}, "inputs": ["base"]}]}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("multihead")
    ws = Workspace(root / "ws")
    report = graft.run_workflow(ws, {"name": "heads", "steps": [
        {"name": "base", "kind": "train", "network": BASE, "data": {"dataset": "mnist", "transforms": [
            {"limit": 2000}]}, "epochs": 1, "lr": 0.005},
        {"name": "foundation", "kind": "slice", "model": {"step": "base"}, "end": "flatten"},
        {"name": "heads", "kind": "train", "network": two_heads({"step": "foundation"}), "epochs": 4, "lr": 0.01,
         "batch_size": 50, "tasks": [{"output": "digits", "data": DIGITS},
                                     {"output": "parity", "data": ODD_EVEN, "name": "odd_even", "weight": 0.5}]},
        {"name": "digits_test", "kind": "evaluate", "model": {"step": "heads"}, "output": "digits", "data": TEST},
        {"name": "parity_test", "kind": "evaluate", "model": {"step": "heads"}, "output": "parity",
         "data": TEST_PARITY}]}, progress_bar=False)
    steps = {s["name"]: s["result"] for s in report["steps"]}
    return ws, root, steps


def test_each_head_learns_its_own_task_from_its_own_data(trained):
    ws, _, steps = trained
    model = ws.get_model(steps["heads"]["id"])
    tasks = model["metrics"]["tasks"]
    assert set(tasks) == {"digits", "odd_even"}
    # 300 digits / 50 = 6 batches and 100 odd/even images (10 per digit) = 2 batches per epoch, for 4 epochs
    assert tasks["digits"]["steps"] == 24 and tasks["odd_even"]["steps"] == 8
    assert tasks["odd_even"]["output"] == "parity" and tasks["odd_even"]["weight"] == 0.5
    assert [t["classes"] for t in model["tasks"]] == [[str(i) for i in range(10)], ["even", "odd"]]
    assert steps["digits_test"]["accuracy"] > 0.3, "chance is 0.1"
    assert steps["parity_test"]["accuracy"] > 0.6, "chance is 0.5"
    assert [c["class"] for c in steps["parity_test"]["per_class"]] == ["even", "odd"]
    assert steps["parity_test"]["output"] == "parity"
    # the frozen foundation is byte for byte the sliced one, and its features were cached per data set
    assert model["block_sha256"]["base"] == ws.get_model(steps["foundation"]["id"])["block_sha256"]["foundation"]
    assert model["metrics"]["feature_cache"] in ("hit", "miss")


def test_evaluating_a_model_with_several_heads_needs_the_head(trained):
    ws, _, steps = trained
    with pytest.raises(ValueError, match=r"output: .*2 outputs \(digits, parity\)"):
        graft.evaluate(ws, steps["heads"]["id"], TEST)
    with pytest.raises(ValueError, match=r"expected one of .*\(digits, parity\), found 'fc'"):
        graft.evaluate(ws, steps["heads"]["id"], TEST, output="fc")
    again = graft.evaluate(ws, steps["heads"]["id"], TEST, output="digits")
    assert again["hit"] == steps["digits_test"]["hit"]


def test_onnx_has_one_output_per_head_named_after_it_and_matches_torch(trained):
    ws, root, steps = trained
    out = graft.export(ws, steps["heads"]["id"], output=root / "heads.onnx")
    assert out["max_abs_diff"] < 1e-4
    session = ort.InferenceSession(str(root / "heads.onnx"), providers=["CPUExecutionProvider"])
    assert [o.name for o in session.get_outputs()] == ["digits", "parity"]
    record, _, module = load_model(ws, steps["heads"]["id"])
    x, _ = check_batch(ws, record, module)
    got = dict(zip(["digits", "parity"], session.run(None, {"input": x.numpy()})))
    with torch.no_grad():
        want = dict(zip(["digits", "parity"], module(x)))
    for head in ("digits", "parity"):
        assert got[head].shape == (len(x), 10 if head == "digits" else 2)
        assert np.abs(got[head] - want[head].numpy()).max() < 1e-4


def test_python_export_returns_a_dict_of_logits_per_head(trained):
    ws, root, steps = trained
    graft.export(ws, steps["heads"]["id"], output=root / "heads.py")
    spec = importlib.util.spec_from_file_location("exported_heads", root / "heads.py")
    exported = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(exported)
    images = graft.load_dataset(TEST, "test").images[:16]
    logits = exported.load()(exported.preprocess(images))
    assert set(logits) == {"digits", "parity"}
    _, _, module = load_model(ws, steps["heads"]["id"])
    x = exported.preprocess(images)
    with torch.no_grad():
        want = module(x)
    assert torch.allclose(logits["digits"], want[0], atol=1e-5)
    assert torch.allclose(logits["parity"], want[1], atol=1e-5)


def test_package_round_trip_keeps_the_heads_and_lineage_shows_them(trained):
    ws, root, steps = trained
    graft.export(ws, steps["heads"]["id"], output=root / "heads.graft")
    other = Workspace(root / "other")
    imported = graft.import_package(other, root / "heads.graft")
    assert imported["outputs"] == ["digits", "parity"] and [t["name"] for t in imported["tasks"]] == \
        ["digits", "odd_even"]
    ev = graft.evaluate(other, imported["id"], TEST_PARITY, output="parity")
    assert ev["hit"] == steps["parity_test"]["hit"]
    found = graft.lineage(ws, steps["heads"]["id"])
    assert [(h["name"], h["output"]) for h in found["model"]["heads"]] == [("digits", "digits"),
                                                                          ("odd_even", "parity")]


def test_http_refuses_tasks_that_do_not_fit_the_outputs_naming_them(trained, tmp_path):
    ws, _, steps = trained
    fnd = steps["foundation"]["id"]
    with TestClient(create_app(ws.root, port=8000), base_url="http://127.0.0.1:8000") as client:
        def post(tasks):
            return client.post("/api/runs", json={"network": two_heads(fnd), "tasks": tasks})
        r = post([{"output": "digits", "data": "mnist"}, {"output": "colour", "data": "mnist"}])
        assert r.status_code == 422 and "tasks.1.output" in r.json()["detail"]["message"] \
            and "'colour'" in r.json()["detail"]["message"] and "digits, parity" in r.json()["detail"]["message"]
        r = post([{"output": "digits", "data": "mnist"}])
        assert r.status_code == 422 and "output 'parity' has no task" in r.json()["detail"]["message"]
        r = client.post("/api/evaluations", json={"model": steps["heads"]["id"], "data": "mnist"})
        assert r.status_code == 422 and "(digits, parity)" in r.json()["detail"]["message"]


def test_the_cli_trains_heads_from_a_tasks_file(trained, tmp_path):
    import json

    from typer.testing import CliRunner

    from graft.cli import app

    ws, _, steps = trained
    (tmp_path / "net.json").write_text(json.dumps(two_heads(steps["foundation"]["id"])))
    (tmp_path / "tasks.yaml").write_text("tasks:\n  - {output: digits, data: {dataset: mnist, transforms: [{limit: 64}]}}\n"
                                         "  - output: parity\n    name: odd_even\n"
                                         "    data: {dataset: mnist, transforms: [{limit: 32}, " + json.dumps(PARITY) + "]}\n")
    result = CliRunner().invoke(app, ["train", str(tmp_path / "net.json"), "--tasks", str(tmp_path / "tasks.yaml"),
                                      "--task-mixing", "proportional", "--batch-size", "32", "--workspace",
                                      str(ws.root), "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert {k: v["steps"] for k, v in record["metrics"]["tasks"].items()} == {"digits": 2, "odd_even": 1}
    assert record["hparams"]["task_mixing"] == "proportional"
    from graft.ops.rerun import rerun   # the recorded request holds the tasks: a rerun gives the same weights
    again = rerun(ws, record["run_id"])
    assert again["weights_sha256"] == record["weights_sha256"] and again["tasks"] == record["tasks"]
    (tmp_path / "bad.yaml").write_text("tasks:\n  - {output: digits, data: mnist}\n")
    result = CliRunner().invoke(app, ["train", str(tmp_path / "net.json"), "--tasks", str(tmp_path / "bad.yaml"),
                                      "--workspace", str(ws.root), "--json"])
    assert result.exit_code == 1 and "output 'parity' has no task" in result.output
