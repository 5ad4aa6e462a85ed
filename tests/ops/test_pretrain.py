import pytest

from graft.ops import train_model
from graft.ops.pretrain import pretrain_foundation
from graft.ops.weights import tensors_sha256
from graft.ops.models import load_state
from graft.store import Workspace

ENCODER = {"name": "tiny-encoder", "input": {"shape": [1, 28, 28]}, "nodes": [
    {"id": "conv1", "type": "Conv2d", "params": {"out_channels": 4, "kernel_size": 3, "padding": 1},
     "inputs": ["input"]},
    {"id": "relu1", "type": "ReLU", "inputs": ["conv1"]},
    {"id": "pool1", "type": "MaxPool2d", "params": {"kernel_size": 4}, "inputs": ["relu1"]},
    {"id": "flatten", "type": "Flatten", "inputs": ["pool1"]},
]}


@pytest.fixture
def ws(tmp_path):
    return Workspace(tmp_path / "ws")


def test_pretrained_encoder_is_a_foundation_that_grafts_unchanged(ws, tiny_data):
    fnd = pretrain_foundation(ws, ENCODER, tiny_data, "denoising", {"epochs": 2, "batch_size": 50}, name="enc")
    assert fnd["id"].startswith("fnd-") and fnd["kind"] == "foundation"
    state = load_state(ws, fnd["id"])
    assert sorted(k.split(".")[0] for k in state) == ["conv1", "conv1"]     # no decoder tensors kept
    assert fnd["block_sha256"] == {"foundation": tensors_sha256(state)}
    assert fnd["hparams"]["objective"] == "denoising" and fnd["hparams"]["normalization"]["std"] > 0
    assert len(fnd["metrics"]["history"]) == 2
    run = ws.get_run(fnd["run_id"])
    assert run["status"] == "done" and run["kind"] == "pretrain"

    head = {"input": {"shape": [1, 28, 28]}, "nodes": [
        {"id": "base", "type": "Foundation", "params": {"ref": fnd["id"], "frozen": True}, "inputs": ["input"]},
        {"id": "fc", "type": "Linear", "params": {"out_features": 10}, "inputs": ["base"]}]}
    model = train_model(ws, head, tiny_data, {"epochs": 1}, progress_bar=False)
    assert model["block_sha256"]["base"] == fnd["block_sha256"]["foundation"]
    assert model["foundation_ids"] == [fnd["id"]]


def test_an_encoder_with_a_foundation_node_is_refused_and_the_run_marked_failed(ws, tiny_data):
    fnd = pretrain_foundation(ws, ENCODER, tiny_data, "autoencoder", {"epochs": 1, "batch_size": 50})
    nested = {"input": {"shape": [1, 28, 28]}, "nodes": [
        {"id": "base", "type": "Foundation", "params": {"ref": fnd["id"]}, "inputs": ["input"]}]}
    with pytest.raises(ValueError, match="Foundation nodes"):
        pretrain_foundation(ws, nested, tiny_data, "simclr", {"epochs": 1})
    failed = [r for r in ws.list_runs(kind="pretrain") if r["status"] == "failed"]
    assert len(failed) == 1 and "Foundation" in failed[0]["error"]


def test_unknown_objective_is_refused_before_any_run(ws, tiny_data):
    with pytest.raises(ValueError, match="objective"):
        pretrain_foundation(ws, ENCODER, tiny_data, "byol")
    assert ws.list_runs(kind="pretrain") == []


def test_cli_pretrain_registers_a_foundation(tmp_path):
    import json

    from typer.testing import CliRunner

    from graft.cli import app
    from graft.spec.io import dump_yaml

    net = tmp_path / "enc.yaml"
    net.write_text(dump_yaml(ENCODER))
    out = CliRunner().invoke(app, ["pretrain", "--network", str(net), "--objective", "autoencoder", "--epochs",
                                   "1", "--batch-size", "64", "--data", "mnist", "--limit", "256", "-w", str(tmp_path / "ws"),
                                   "--json"], catch_exceptions=False)
    assert out.exit_code == 0, out.output
    rec = json.loads(out.output)
    assert rec["kind"] == "foundation" and rec["hparams"]["objective"] == "autoencoder"


def test_the_same_pretraining_twice_gives_the_same_foundation(tmp_path, tiny_data):
    # the encoder's initial weights come from the run's seed, not from whatever the process drew before
    a = pretrain_foundation(Workspace(tmp_path / "a"), ENCODER, tiny_data, "denoising", {"epochs": 1, "batch_size": 50})
    b = pretrain_foundation(Workspace(tmp_path / "b"), ENCODER, tiny_data, "denoising", {"epochs": 1, "batch_size": 50})
    assert a["weights_sha256"] == b["weights_sha256"]
