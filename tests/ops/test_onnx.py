"""ONNX export: onnxruntime agrees with torch on real MNIST test images; a disagreement is an error."""
from __future__ import annotations

import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from typer.testing import CliRunner

from graft.cli import app
from graft.ops import slice_model, train_model
from graft.ops.export_onnx import ExportCheckFailed, export_onnx
from graft.ops.models import load_model
from graft.store import Workspace

DATA = {"dataset": "mnist", "transforms": [{"per_class": 10, "seed": 0}]}
BRANCHES = {"name": "branches", "input": {"shape": [1, 28, 28]}, "nodes": [
    {"id": "a", "type": "Conv2d", "params": {"out_channels": 4, "kernel_size": 3, "padding": 1}, "inputs": ["input"]},
    {"id": "b", "type": "Conv2d", "params": {"out_channels": 4, "kernel_size": 3, "padding": 1}, "inputs": ["input"]},
    {"id": "sum", "type": "Add", "inputs": ["a", "b"]},
    {"id": "cat", "type": "Concat", "params": {"dim": 0}, "inputs": ["sum", "a"]},
    {"id": "bn", "type": "BatchNorm2d", "inputs": ["cat"]},
    {"id": "pool", "type": "AdaptiveAvgPool2d", "params": {"output_size": 2}, "inputs": ["bn"]},
    {"id": "flat", "type": "Flatten", "inputs": ["pool"]},
    {"id": "fc", "type": "Linear", "params": {"out_features": 10}, "inputs": ["flat"]}]}


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    return Workspace(tmp_path_factory.mktemp("onnx"))


def run_onnx(path, x):
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]


def test_example_cnn_exports_and_matches(ws, tmp_path):
    model = train_model(ws, {"template": "example-cnn"}, DATA, {"epochs": 1}, progress_bar=False)
    result = export_onnx(ws, model["id"], tmp_path / "m.onnx")
    assert result["inputs"] == "mnist test" and result["batch"] == 64
    assert 0 <= result["max_abs_diff"] < 1e-4
    meta = {p.key: p.value for p in onnx.load(str(tmp_path / "m.onnx")).metadata_props}
    assert meta["graft.model_id"] == model["id"]
    assert json.loads(meta["graft.normalization"]) == model["hparams"]["normalization"]
    # the batch axis is dynamic: any batch size runs, with torch's answer
    _, _, module = load_model(ws, model["id"])
    x = np.random.default_rng(0).standard_normal((3, 1, 28, 28)).astype(np.float32)
    import torch
    with torch.no_grad():
        want = module(torch.from_numpy(x)).numpy()
    assert np.abs(run_onnx(tmp_path / "m.onnx", x) - want).max() < 1e-4


def test_grafted_and_branching_networks_export(ws, tmp_path):
    base = train_model(ws, BRANCHES, DATA, {"epochs": 1}, progress_bar=False)
    fnd = slice_model(ws, base["id"], end="flat")
    head = {"name": "head", "input": {"shape": [1, 28, 28]}, "nodes": [
        {"id": "base", "type": "Foundation", "params": {"ref": fnd["id"]}, "inputs": ["input"]},
        {"id": "fc", "type": "Linear", "params": {"out_features": 10}, "inputs": ["base"]}]}
    grafted = train_model(ws, head, DATA, {"epochs": 1}, progress_bar=False)
    for model_id in (base["id"], grafted["id"]):
        assert export_onnx(ws, model_id, tmp_path / f"{model_id}.onnx")["max_abs_diff"] < 1e-4


def test_a_foundation_with_a_non_image_input_is_checked_on_random_inputs(ws, tmp_path):
    base = train_model(ws, {"template": "mlp"}, DATA, {"epochs": 1}, progress_bar=False)
    part = slice_model(ws, base["id"], start="fc1", end="fc2")
    result = export_onnx(ws, part["id"], tmp_path / "part.onnx")
    assert result["inputs"] == "random" and result["max_abs_diff"] < 1e-4


def test_a_disagreement_is_an_error_and_leaves_no_file(ws, tmp_path, monkeypatch):
    model = train_model(ws, {"template": "mlp"}, DATA, {"epochs": 1}, progress_bar=False)
    real_run = ort.InferenceSession.run

    def off_by_a_little(self, *args, **kwargs):
        return [out + 3e-4 for out in real_run(self, *args, **kwargs)]
    monkeypatch.setattr(ort.InferenceSession, "run", off_by_a_little)
    with pytest.raises(ExportCheckFailed, match=r"differs from torch's by 0.0003 on 64 mnist test samples"):
        export_onnx(ws, model["id"], tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_cli_export_onnx(ws, tmp_path):
    model = train_model(ws, {"template": "mlp"}, DATA, {"epochs": 1}, progress_bar=False)
    res = CliRunner().invoke(app, ["export", model["id"], "--format", "onnx", "-o", str(tmp_path / "m.onnx"),
                                   "-w", str(ws.root)])
    assert res.exit_code == 0, res.output
    assert "max abs difference" in res.output and (tmp_path / "m.onnx").is_file()
