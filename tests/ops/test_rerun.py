"""Reproducibility: a recorded training run repeats to the same metrics and the same weights."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from graft.cli import app
from graft.ops import slice_model, train_model
from graft.ops.rerun import compare_with_original, comparable_history, rerun
from graft.store import Workspace

DATA = {"dataset": "mnist", "transforms": [{"per_class": 20, "seed": 0}]}
HP = {"epochs": 2, "deterministic": True, "device": "cpu", "batch_size": 32}


def assert_reproduced(ws, first: dict, again: dict) -> None:
    assert again["id"] != first["id"] and again["run_id"] != first["run_id"]
    assert comparable_history(again["metrics"]["history"]) == comparable_history(first["metrics"]["history"])
    assert len(again["metrics"]["history"]) == 2
    assert again["weights_sha256"] == first["weights_sha256"]
    assert again["block_sha256"] == first["block_sha256"]
    assert compare_with_original(ws, first["run_id"], again) == {
        "original_model_id": first["id"], "same_history": True, "same_weights": True, "same_blocks": True}


def test_rerun_reproduces_a_training_run(tmp_path, tiny_cnn):
    ws = Workspace(tmp_path)
    first = train_model(ws, tiny_cnn, DATA, HP, name="first", progress_bar=False)
    assert_reproduced(ws, first, rerun(ws, first["run_id"]))


def test_rerun_reproduces_a_head_on_a_frozen_foundation(tmp_path, tiny_cnn):
    ws = Workspace(tmp_path)
    base = train_model(ws, tiny_cnn, DATA, HP, name="base", progress_bar=False)
    fnd = slice_model(ws, base["id"], end="flatten")
    head = {"name": "head", "input": {"shape": [1, 28, 28]}, "nodes": [
        {"id": "base", "type": "Foundation", "params": {"ref": fnd["id"]}, "inputs": ["input"]},
        {"id": "fc1", "type": "Linear", "params": {"out_features": 16}, "inputs": ["base"]},
        {"id": "relu", "type": "ReLU", "inputs": ["fc1"]},
        {"id": "fc2", "type": "Linear", "params": {"out_features": 10}, "inputs": ["relu"]}]}
    first = train_model(ws, head, DATA, HP, name="head", progress_bar=False)
    again = rerun(ws, first["run_id"])
    assert_reproduced(ws, first, again)
    assert again["block_sha256"]["base"] == fnd["block_sha256"]["foundation"]


def test_rerun_refuses_what_it_cannot_repeat(tmp_path):
    ws = Workspace(tmp_path)
    run = ws.create_run("evaluate", {"model": "mdl-000000000000"}, status="done")
    with pytest.raises(ValueError, match="only training runs"):
        rerun(ws, run["id"])
    with pytest.raises(KeyError, match="no run with id"):
        rerun(ws, "run-000000000000")


def test_cli_rerun(tmp_path, tiny_cnn):
    ws = Workspace(tmp_path)
    first = train_model(ws, tiny_cnn, DATA, {**HP, "epochs": 1}, name="first", progress_bar=False)
    res = CliRunner().invoke(app, ["rerun", first["run_id"], "-w", str(tmp_path), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["comparison"]["same_weights"] and out["comparison"]["same_history"]
    res = CliRunner().invoke(app, ["rerun", first["run_id"], "-w", str(tmp_path)])
    assert "same weights" in res.output and "True" in res.output
