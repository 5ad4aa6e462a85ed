"""The synergy report: each task alone on a foundation, then all together, same budget; what it measured."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from graft.cli import app
from graft.ops import slice_model, train_model
from graft.ops.synergy import format_synergy, synergy_report
from graft.ops.foundations import foundations_catalogue
from graft.store import Workspace

SMALL = [{"limit": 600}]          # the first 600 of each split: train and test stay small
ODD = {"relabel": {"map": [0, 1, 0, 1, 0, 1, 0, 1, 0, 1], "classes": ["even", "odd"]}}
TASKS = [{"name": "digits", "data": {"dataset": "mnist", "transforms": SMALL}, "per_class": 5},
         {"name": "parity", "data": {"dataset": "mnist", "transforms": [*SMALL, ODD]}, "per_class": 10,
          "head": "linear"}]


@pytest.fixture(scope="module")
def fnd(tmp_path_factory):
    root = tmp_path_factory.mktemp("synergy")
    ws = Workspace(root)
    base = train_model(ws, {"template": "mlp"}, {"dataset": "mnist", "transforms": [{"per_class": 10, "seed": 0}]},
                       {"epochs": 1}, name="base", progress_bar=False)
    return root, ws, slice_model(ws, base["id"], end="relu1", name="features")


@pytest.fixture(scope="module")
def report(fnd):
    _, ws, f = fnd
    return synergy_report(ws, f["id"], TASKS, epochs=2)


def test_each_task_alone_and_together_with_the_same_budget(fnd, report):
    _, ws, f = fnd
    rows = {r["name"]: r for r in report["rows"]}
    assert list(rows) == ["digits", "parity"] and rows["parity"]["classes"] == ["even", "odd"]
    assert (rows["digits"]["train_size"], rows["parity"]["train_size"]) == (50, 20)
    assert rows["digits"]["test_size"] == rows["parity"]["test_size"] == 600
    joint = ws.models.get(report["together_model_id"])
    assert [t["name"] for t in joint["tasks"]] == ["digits", "parity"]
    for name, row in rows.items():
        alone = ws.models.get(row["alone"]["model_id"])
        assert alone["hparams"]["epochs"] == joint["hparams"]["epochs"] == 2
        assert alone["hparams"]["seed"] == joint["hparams"]["seed"]
        # the same number of optimizer steps for the task, alone and together (ceil(n / batch) per epoch)
        assert joint["metrics"]["tasks"][name]["steps"] == 2 * -(-row["train_size"] // 64)
        for key in ("alone", "together"):          # the figures are the registered evaluations'
            ev = ws.evaluations.get(row[key]["evaluation_id"])
            assert ev["summary"]["accuracy"] == row[key]["accuracy"] and ev["summary"]["total"] == 600
        assert row["difference"] == pytest.approx(row["together"]["accuracy"] - row["alone"]["accuracy"], abs=1e-6)
    assert report["together_seconds"] > 0 and report["alone_seconds"] == pytest.approx(
        sum(r["alone_seconds"] for r in report["rows"]), abs=1e-3)
    assert ws.reports.get(report["id"])["kind"] == "synergy"
    assert ws.reports.plot_path(report["id"]).read_bytes().startswith(b"\x89PNG")


def test_finetuned_foundation_moves_and_the_catalogue_lists_every_training(fnd, report):
    _, ws, f = fnd
    entry = foundations_catalogue(ws, f["id"])[0]
    ids = {m["id"]: m for m in entry["models"]}
    assert report["together_model_id"] in ids and all(r["alone"]["model_id"] in ids for r in report["rows"])
    assert {m["exact"] for m in ids.values()} == {False}        # finetune: no model runs on the exact weights
    joint = ids[report["together_model_id"]]
    assert [(t["name"], t["accuracy"]) for t in joint["tasks"]] == [
        (r["name"], r["together"]["accuracy"]) for r in report["rows"]]


def test_frozen_foundation_keeps_the_exact_weights(fnd):
    _, ws, f = fnd
    rep = synergy_report(ws, f["id"], TASKS, epochs=1, foundation_training="frozen", store=False)
    for m in (rep["together_model_id"], *(r["alone"]["model_id"] for r in rep["rows"])):
        assert ws.models.get(m)["block_sha256"]["base"] == f["block_sha256"]["foundation"]


def test_a_negative_difference_reads_as_joint_training_hurting(report):
    worse = json.loads(json.dumps(report))
    worse["rows"][0]["together"]["accuracy"] = worse["rows"][0]["alone"]["accuracy"] - 0.0125
    worse["rows"][0]["difference"] = -0.0125
    worse["mean_difference"] = -0.01
    text = format_synergy(worse)
    assert "-1.25 pt" in text and "joint training hurt on average" in text


def test_refusals_name_the_field(fnd):
    _, ws, f = fnd
    with pytest.raises(ValueError, match="not a foundation"):
        synergy_report(ws, ws.models.get(f["parent_id"])["id"], TASKS)
    with pytest.raises(ValueError, match=r"tasks.1.name: expected distinct task names"):
        synergy_report(ws, f["id"], [TASKS[0], TASKS[0]])
    with pytest.raises(ValueError, match="at least two tasks"):
        synergy_report(ws, f["id"], TASKS[:1])
    with pytest.raises(ValueError, match=r"tasks.0.name"):
        synergy_report(ws, f["id"], [{**TASKS[0], "name": "9lives"}, TASKS[1]])


def test_cli_writes_the_table_json_and_png(fnd, tmp_path):
    root, ws, f = fnd
    tasks = tmp_path / "tasks.yaml"
    tasks.write_text(json.dumps({"tasks": TASKS}))
    runner = CliRunner()
    done = runner.invoke(app, ["report", "synergy", "--foundation", f["id"], "--tasks", str(tasks), "--epochs", "1",
                               "--png", str(tmp_path / "s.png"), "--workspace", str(root), "--json"])
    assert done.exit_code == 0, done.output
    rep = json.loads(done.output)
    assert rep["kind"] == "synergy" and [r["name"] for r in rep["rows"]] == ["digits", "parity"]
    assert (tmp_path / "s.png").read_bytes().startswith(b"\x89PNG")
    bad = runner.invoke(app, ["report", "synergy", "--foundation", f["id"], "--tasks", str(tmp_path / "none.yaml"),
                              "--workspace", str(root)])
    assert bad.exit_code == 1 and "none.yaml: no such file" in bad.output


def test_http_refuses_what_cannot_run_before_queueing(fnd):
    from fastapi.testclient import TestClient

    from graft.server.app import create_app

    root, ws, f = fnd
    with TestClient(create_app(root, port=8000), base_url="http://127.0.0.1:8000") as client:
        def post(**body):
            return client.post("/api/reports/synergy", json={"foundation": f["id"], "tasks": TASKS, **body})
        assert post(foundation="fnd-000000000000").status_code == 404
        model = post(foundation=f["parent_id"])
        assert model.status_code == 422 and "not a foundation" in model.json()["detail"]["message"]
        twice = post(tasks=[TASKS[0], TASKS[0]])
        assert twice.status_code == 422 and twice.json()["detail"]["issues"][0]["field"] == "tasks.1.name"
        assert post(tasks=TASKS[:1]).status_code == 422
        assert post(epochs=0).status_code == 422


def test_a_workflow_step_carries_accuracy_and_alone_accuracy_per_task_and_caches(fnd):
    from graft.workflow import run_workflow

    _, ws, f = fnd
    doc = {"format": "graft.workflow/v1", "name": "syn", "steps": [
        {"name": "synergy", "kind": "synergy", "foundation": {"id": f["id"]}, "tasks": TASKS, "epochs": 1}]}
    first = run_workflow(ws, doc, progress_bar=False)["steps"][0]
    result = first["result"]
    assert set(result["tasks"]) == {"digits", "parity"}
    report = ws.reports.get(result["id"])
    for row in report["rows"]:
        assert result["tasks"][row["name"]]["accuracy"] == row["together"]["accuracy"]
        assert result["tasks"][row["name"]]["alone_accuracy"] == row["alone"]["accuracy"]
    again = run_workflow(ws, doc, progress_bar=False)["steps"][0]
    assert again["status"] == "cached" and again["result"]["id"] == result["id"]
