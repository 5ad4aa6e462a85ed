"""The foundations catalogue: which models use each foundation, their figures, and whether the weights held."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import graft
from graft.cli import app
from graft.ops import evaluate_model, slice_model, train_model
from graft.ops.foundations import foundations_catalogue
from graft.store import Workspace

DATA = {"dataset": "mnist", "transforms": [{"per_class": 10, "seed": 0}]}
ODD_EVEN = {"dataset": "mnist", "transforms": [{"per_class": 10, "seed": 0}, {"relabel": {
    "map": {i: i % 2 for i in range(10)}, "classes": ["even", "odd"]}}]}


def head_on(fid: str, frozen: bool, classes: int = 10) -> dict:
    return {"name": "head", "input": {"shape": [1, 28, 28]}, "nodes": [
        {"id": "base", "type": "Foundation", "params": {"ref": fid, "frozen": frozen}, "inputs": ["input"]},
        {"id": "fc", "type": "Linear", "params": {"out_features": classes}, "inputs": ["base"]}]}


@pytest.fixture(scope="module")
def org(tmp_path_factory):
    root = tmp_path_factory.mktemp("catalogue")
    ws = Workspace(root)
    base = train_model(ws, {"template": "mlp"}, DATA, {"epochs": 1}, name="base", progress_bar=False)
    fnd = slice_model(ws, base["id"], end="relu1", name="features")
    other = slice_model(ws, base["id"], end="relu1", name="unused")
    digits = train_model(ws, head_on(fnd["id"], True), DATA, {"epochs": 1}, name="digits", progress_bar=False)
    parity = train_model(ws, head_on(fnd["id"], True, 2), ODD_EVEN, {"epochs": 1}, name="parity",
                         progress_bar=False)
    tuned = train_model(ws, head_on(fnd["id"], False), DATA, {"epochs": 1}, name="tuned", progress_bar=False)
    ev = evaluate_model(ws, digits["id"], {"dataset": "mnist", "split": "test", "transforms": [{"limit": 200}]})
    return {"root": root, "ws": ws, "fnd": fnd, "other": other, "digits": digits, "parity": parity,
            "tuned": tuned, "ev": ev}


def test_each_foundation_lists_the_models_on_it_and_whether_they_run_on_its_exact_weights(org):
    entries = {e["id"]: e for e in foundations_catalogue(org["ws"])}
    assert set(entries) == {org["fnd"]["id"], org["other"]["id"]}
    assert entries[org["other"]["id"]]["models"] == []
    fnd = entries[org["fnd"]["id"]]
    assert fnd["made_by"] == "sliced" and fnd["weights_sha256"] == org["fnd"]["block_sha256"]["foundation"]
    uses = {m["name"]: m for m in fnd["models"]}
    assert set(uses) == {"digits", "parity", "tuned"}
    assert uses["digits"]["exact"] is True and uses["parity"]["exact"] is True
    assert uses["tuned"]["exact"] is False and uses["tuned"]["frozen"] is False   # fine-tuned: its weights moved
    assert (fnd["exact"], fnd["changed"]) == (2, 1)
    assert uses["parity"]["task"]["transforms"][1]["relabel"]["classes"] == ["even", "odd"]


def test_a_models_evaluations_and_test_accuracy_are_listed(org):
    fnd = foundations_catalogue(org["ws"], org["fnd"]["id"])[0]
    digits = next(m for m in fnd["models"] if m["name"] == "digits")
    assert digits["accuracy"] == org["ev"]["accuracy"]
    assert [e["id"] for e in digits["evaluations"]] == [org["ev"]["id"]]
    assert digits["evaluations"][0]["total"] == 200
    assert next(m for m in fnd["models"] if m["name"] == "tuned")["accuracy"] is None


def test_a_model_is_not_a_foundation(org):
    with pytest.raises(ValueError, match="not a foundation"):
        foundations_catalogue(org["ws"], org["digits"]["id"])


def test_cli_python_and_http_show_the_same_catalogue(org):
    from fastapi.testclient import TestClient

    from graft.server.app import create_app

    runner = CliRunner()
    done = runner.invoke(app, ["models", "foundations", "--workspace", str(org["root"]), "--json"])
    assert done.exit_code == 0, done.output
    cli = json.loads(done.output)
    text = runner.invoke(app, ["models", "foundations", "--workspace", str(org["root"])]).output
    assert "CHANGED (fine-tuned)" in text and "2 on its exact weights, 1 changed" in text
    python = graft.foundations(org["ws"])
    with TestClient(create_app(org["root"], port=8000), base_url="http://127.0.0.1:8000") as client:
        http = client.get("/api/foundations").json()
        assert client.get("/api/foundations", params={"foundation": org["digits"]["id"]}).status_code == 422
        assert client.get("/api/foundations", params={"foundation": "fnd-000000000000"}).status_code == 404
    key = lambda entries: [(e["id"], sorted((m["id"], m["exact"], m["accuracy"]) for m in e["models"]))
                           for e in entries]
    assert key(cli) == key(python) == key(http)
