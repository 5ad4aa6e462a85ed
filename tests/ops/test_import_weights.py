"""Bring your own foundation: foreign state dicts matched by name and shape; pickle payloads never run."""
from __future__ import annotations

import json

import pytest
import torch
import yaml
from safetensors.torch import save_file
from typer.testing import CliRunner

from graft.cli import app
from graft.engine.compile import compile_network
from graft.engine.weights import WeightsError, load_weights
from graft.ops import evaluate_model, train_model
from graft.ops.import_weights import ImportRefused, import_weights
from graft.store import Workspace

BACKBONE = {"name": "backbone", "input": {"shape": [1, 28, 28]}, "nodes": [
    {"id": "conv1", "type": "Conv2d", "params": {"out_channels": 4, "kernel_size": 3}, "inputs": ["input"]},
    {"id": "relu1", "type": "ReLU", "inputs": ["conv1"]},
    {"id": "pool", "type": "MaxPool2d", "params": {"kernel_size": 4}, "inputs": ["relu1"]},
    {"id": "flatten", "type": "Flatten", "inputs": ["pool"]}]}


def foreign_state(prefix: str = "") -> dict:
    """What another training script would save: the backbone's tensors (+ a classifier graft does not use)."""
    torch.manual_seed(1)
    state = {prefix + k: torch.randn_like(v) for k, v in compile_network(BACKBONE).state_dict().items()}
    state[prefix + "classifier.weight"] = torch.randn(10, 144)
    return state


def test_safetensors_with_a_wrapper_prefix_becomes_a_foundation(tmp_path):
    ws = Workspace(tmp_path / "ws")
    save_file(foreign_state("module."), tmp_path / "w.safetensors")
    record, report = import_weights(ws, tmp_path / "w.safetensors", BACKBONE, "my-backbone")
    assert record["kind"] == "foundation" and record["name"] == "my-backbone"
    assert report["matched"] == ["conv1.bias", "conv1.weight"] and report["missing"] == []
    assert report["unexpected"] == ["module.classifier.weight"] and report["stripped_prefix"] == "module."
    stored = load_weights(ws.model_path(record["id"], "weights.safetensors"))
    assert torch.equal(stored["conv1.weight"], foreign_state()["conv1.weight"])
    # and it is a foundation like any other: graft a head on it, frozen
    head = {"name": "head", "input": {"shape": [1, 28, 28]}, "nodes": [
        {"id": "base", "type": "Foundation", "params": {"ref": record["id"]}, "inputs": ["input"]},
        {"id": "fc", "type": "Linear", "params": {"out_features": 10}, "inputs": ["base"]}]}
    data = {"dataset": "mnist", "transforms": [{"per_class": 10}]}
    model = train_model(ws, head, data, {"epochs": 1}, progress_bar=False)
    assert model["block_sha256"]["base"] == record["block_sha256"]["foundation"]
    assert evaluate_model(ws, model["id"], {**data, "split": "test"})["total"] == 100


def test_pt_state_dict_is_read(tmp_path):
    torch.save({"state_dict": foreign_state()}, tmp_path / "w.pt")
    record, report = import_weights(Workspace(tmp_path / "ws"), tmp_path / "w.pt", BACKBONE, "pt")
    assert record["source"]["format"] == "pytorch" and len(report["matched"]) == 2


def test_mismatched_shapes_are_refused_with_a_report(tmp_path):
    state = foreign_state()
    state["conv1.weight"] = torch.randn(8, 1, 3, 3)
    save_file(state, tmp_path / "w.safetensors")
    ws = Workspace(tmp_path / "ws")
    with pytest.raises(ImportRefused, match=r"conv1.weight: expected \[4, 1, 3, 3\], found \[8, 1, 3, 3\]") as err:
        import_weights(ws, tmp_path / "w.safetensors", BACKBONE, "bad")
    assert err.value.report["mismatched"] == [{"key": "conv1.weight", "expected": [4, 1, 3, 3],
                                               "found": [8, 1, 3, 3]}]
    assert ws.list_models() == []


def test_nothing_matching_is_refused(tmp_path):
    save_file({"encoder.0.weight": torch.randn(4, 1, 3, 3)}, tmp_path / "w.safetensors")
    with pytest.raises(ImportRefused, match="no tensor matches"):
        import_weights(Workspace(tmp_path / "ws"), tmp_path / "w.safetensors", BACKBONE, "none")


def test_missing_tensors_are_refused_unless_allowed(tmp_path):
    save_file({"conv1.weight": torch.randn(4, 1, 3, 3)}, tmp_path / "w.safetensors")
    ws = Workspace(tmp_path / "ws")
    with pytest.raises(ImportRefused, match="lacks 1 tensor.*conv1.bias"):
        import_weights(ws, tmp_path / "w.safetensors", BACKBONE, "partial")
    record, report = import_weights(ws, tmp_path / "w.safetensors", BACKBONE, "partial", allow_missing=True)
    assert report["missing"] == ["conv1.bias"]


class Payload:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickle_payload_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "payload-ran"
    torch.save({"conv1.weight": torch.randn(4, 1, 3, 3), "conv1.bias": Payload(marker)}, tmp_path / "evil.pt")
    ws = Workspace(tmp_path / "ws")
    with pytest.raises(WeightsError, match="refused: the file needs arbitrary unpickling"):
        import_weights(ws, tmp_path / "evil.pt", BACKBONE, "evil")
    assert not marker.exists() and ws.list_models() == []
    res = CliRunner().invoke(app, ["import-weights", str(tmp_path / "evil.pt"), "--spec", str(_spec(tmp_path)),
                                   "--name", "evil", "-w", str(tmp_path / "ws")])
    assert res.exit_code == 1 and "refused" in res.output and not marker.exists()
    torch.load(tmp_path / "evil.pt", weights_only=False)   # the control: a plain torch.load runs it
    assert marker.exists()


def test_unknown_suffix_is_refused(tmp_path):
    (tmp_path / "w.npz").write_bytes(b"x")
    with pytest.raises(WeightsError, match="unknown weights format '.npz'"):
        import_weights(Workspace(tmp_path / "ws"), tmp_path / "w.npz", BACKBONE, "npz")


def _spec(tmp_path):
    path = tmp_path / "net.yaml"
    path.write_text(yaml.safe_dump(BACKBONE))
    return path


def test_cli_import_weights(tmp_path):
    save_file(foreign_state(), tmp_path / "w.safetensors")
    args = ["import-weights", str(tmp_path / "w.safetensors"), "--spec", str(_spec(tmp_path)), "--name", "mine",
            "-w", str(tmp_path / "ws")]
    res = CliRunner().invoke(app, args + ["--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["record"]["id"].startswith("fnd-") and out["report"]["unexpected"] == ["classifier.weight"]
    res = CliRunner().invoke(app, args)
    assert "matched    2 tensor(s)" in res.output and "unexpected 1: classifier.weight" in res.output
