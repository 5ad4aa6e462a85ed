"""Lineage: ancestors, descendants, and the frozen-foundation hash check."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from graft.cli import app
from graft.ops import slice_model, train_model
from graft.ops.lineage import lineage
from graft.store import Workspace

DATA = {"dataset": "mnist", "transforms": [{"per_class": 10, "seed": 0}]}


def head_on(fid: str, frozen: bool) -> dict:
    return {"name": "head", "input": {"shape": [1, 28, 28]}, "nodes": [
        {"id": "base", "type": "Foundation", "params": {"ref": fid, "frozen": frozen}, "inputs": ["input"]},
        {"id": "fc", "type": "Linear", "params": {"out_features": 10}, "inputs": ["base"]}]}


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    ws = Workspace(tmp_path_factory.mktemp("lineage"))
    base = train_model(ws, {"template": "mlp"}, DATA, {"epochs": 1}, name="base", progress_bar=False)
    fnd = slice_model(ws, base["id"], end="relu1", name="features")
    frozen = train_model(ws, head_on(fnd["id"], True), DATA, {"epochs": 1}, name="frozen-head", progress_bar=False)
    tuned = train_model(ws, head_on(fnd["id"], False), DATA, {"epochs": 1}, name="tuned", progress_bar=False)
    return {"ws": ws, "base": base, "fnd": fnd, "frozen": frozen, "tuned": tuned}


def test_lineage_of_a_foundation(tree):
    result = lineage(tree["ws"], tree["fnd"]["id"])
    assert result["model"]["id"] == tree["fnd"]["id"]
    assert [a["id"] for a in result["ancestors"]] == [tree["base"]["id"]]
    assert {d["id"] for d in result["descendants"]} == {tree["frozen"]["id"], tree["tuned"]["id"]}
    assert {u["id"] for u in result["used_by"]} == {tree["frozen"]["id"], tree["tuned"]["id"]}
    checks = {c["descendant"]: c for c in result["foundation_checks"]}
    expected = tree["fnd"]["block_sha256"]["foundation"]
    assert checks[tree["frozen"]["id"]] == {
        "descendant": tree["frozen"]["id"], "node": "base", "foundation_id": tree["fnd"]["id"], "frozen": True,
        "expected_sha256": expected, "found_sha256": expected, "unchanged": True}
    # fine-tuning the foundation changes its block: the check tells
    assert checks[tree["tuned"]["id"]]["unchanged"] is False and not checks[tree["tuned"]["id"]]["frozen"]


def test_lineage_of_a_grafted_model_checks_its_own_foundation(tree):
    result = lineage(tree["ws"], tree["frozen"]["id"])
    assert [a["id"] for a in result["ancestors"]] == [tree["fnd"]["id"], tree["base"]["id"]]
    assert result["descendants"] == [] and result["used_by"] == []
    assert [c["unchanged"] for c in result["foundation_checks"]] == [True]


def test_a_swapped_frozen_foundation_is_reported(tree):
    ws = tree["ws"]
    fake = dict(tree["frozen"])
    fake = {k: fake[k] for k in ("kind", "spec", "foundation_ids", "hparams", "weights_sha256")}
    fake.update(name="swapped", block_sha256={"base": "0" * 64, "head": "1" * 64})
    weights = ws.model_path(tree["frozen"]["id"], "weights.safetensors")
    swapped = ws.register_model(fake, {"weights.safetensors": weights})
    check = [c for c in lineage(ws, tree["fnd"]["id"])["foundation_checks"] if c["descendant"] == swapped["id"]]
    assert check[0]["unchanged"] is False and check[0]["found_sha256"] == "0" * 64
    res = CliRunner().invoke(app, ["lineage", tree["fnd"]["id"], "-w", str(ws.root)])
    assert res.exit_code == 2 and "CHANGED" in res.output and "WARNING: 1 frozen" in res.output


def test_cli_prints_a_tree_and_json(tree):
    ws = str(tree["ws"].root)
    res = CliRunner().invoke(app, ["lineage", tree["base"]["id"], "-w", ws, "--json"])
    assert res.exit_code in (0, 2), res.output
    data = json.loads(res.output)
    assert data["model"]["id"] == tree["base"]["id"] and len(data["descendants"]) >= 3
    res = CliRunner().invoke(app, ["lineage", tree["frozen"]["id"], "-w", ws])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0].startswith(tree["base"]["id"])
    assert lines[1].startswith("  " + tree["fnd"]["id"])
    assert lines[2].startswith("    * " + tree["frozen"]["id"]) and "unchanged" in lines[2]
    res = CliRunner().invoke(app, ["lineage", "mdl-000000000000", "-w", ws])
    assert res.exit_code == 1 and "no model with id" in res.output
