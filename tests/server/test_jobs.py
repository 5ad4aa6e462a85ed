"""Runs through the real worker process, cancellation, and restart after a dead server."""
import json
import time

import pytest
from fastapi.testclient import TestClient

from graft.server.app import create_app
from graft.store import Workspace

BASE = "http://127.0.0.1:8000"


def wait_for(client, run_id, statuses, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.get(f"/api/runs/{run_id}").json()
        if run["status"] in statuses:
            return run
        time.sleep(0.3)
    raise AssertionError(f"run {run_id} still {run['status']} after {timeout} s: {run}")


@pytest.mark.slow
def test_training_run_reaches_done_and_registers_a_model(tmp_path):
    app = create_app(tmp_path / "ws")
    with TestClient(app, base_url=BASE) as c:
        resp = c.post("/api/runs", json={"network": {"template": "mlp"}, "name": "tiny",
                                         "data": {"dataset": "mnist", "transforms": [{"limit": 500}]},
                                         "hparams": {"epochs": 1, "batch_size": 100}})
        assert resp.status_code == 202 and resp.json()["status"] == "queued"
        with c.stream("GET", "/api/events") as events:  # live progress while it runs
            seen = []
            for line in events.iter_lines():
                if line.startswith("data: "):
                    seen.append(json.loads(line[6:]))
                    if seen[-1]["status"] in ("done", "failed"):
                        break
        run = wait_for(c, resp.json()["id"], ("done", "failed"))
        assert run["status"] == "done", run["error"]
        assert run["progress"] == 1.0 and run["model_id"]
        assert any(e["status"] == "running" for e in seen)
        model = c.get(f"/api/models/{run['model_id']}").json()
        assert model["name"] == "tiny" and model["analysis"]["ok"]


def test_restart_marks_a_run_of_a_dead_server_interrupted(tmp_path):
    ws = Workspace(tmp_path / "ws")
    import subprocess
    import sys
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    run = ws.create_run("train", {"network": {}}, status="running", pid=dead.pid)
    ws.close()
    with TestClient(create_app(tmp_path / "ws"), base_url=BASE) as c:
        got = c.get(f"/api/runs/{run['id']}").json()
    assert got["status"] == "interrupted" and "gone" in got["error"]


def test_cancel_a_queued_run(tmp_path):
    app = create_app(tmp_path / "ws")
    with TestClient(app, base_url=BASE) as c:
        app.state.jobs.stop(terminate=False)  # nothing is dispatched: the run stays queued
        rid = c.post("/api/runs", json={"network": {"template": "mlp"}}).json()["id"]
        assert c.post(f"/api/runs/{rid}/cancel").json()["status"] == "cancelled"


@pytest.mark.slow
def test_semi_supervised_run_without_a_frozen_foundation_fails_with_the_reason(tmp_path):
    app = create_app(tmp_path / "ws")
    with TestClient(app, base_url=BASE) as c:
        resp = c.post("/api/runs", json={"network": {"template": "mlp"},
                                         "data": {"dataset": "mnist", "transforms": [{"limit": 100}]},
                                         "semi_supervised": {"unlabeled": {"dataset": "mnist",
                                                                           "transforms": [{"limit": 100}]}}})
        assert resp.status_code == 202
        run = wait_for(c, resp.json()["id"], ("done", "failed"))
        assert run["status"] == "failed" and "frozen foundations" in run["error"]
        assert run["request"]["semi_supervised"]["unlabeled"]["transforms"] == [{"limit": 100}]


def _cancel_and_time(c, run_id) -> tuple[dict, float]:
    """Cancel a running run; the seconds until the registry says it ended (polled every 20 ms)."""
    t0 = time.monotonic()
    c.post(f"/api/runs/{run_id}/cancel")
    while time.monotonic() - t0 < 30:
        run = c.get(f"/api/runs/{run_id}").json()
        if run["status"] not in ("queued", "running"):
            return run, time.monotonic() - t0
        time.sleep(0.02)
    raise AssertionError(f"run {run_id} still {run['status']} 30 s after the cancel")


def _wait_until(c, run_id, ready, timeout=120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = c.get(f"/api/runs/{run_id}").json()
        assert run["status"] in ("queued", "running"), run
        if ready(run):
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} never got going: {run}")


CANCEL_WITHIN_S = 2.0


@pytest.mark.slow
def test_cancelling_a_running_train_and_a_running_report_ends_cancelled_within_2_s(tmp_path):
    """The one cancellation: a signal sets the worker's token, the loops raise Cancelled at their next batch,
    the run says 'cancelled' and nothing half-made is registered (no model, no report, nothing left in tmp/)."""
    from graft.ops import slice_model, train_model

    tiny = {"dataset": "mnist", "transforms": [{"limit": 500}]}
    app = create_app(tmp_path / "ws")
    with TestClient(app, base_url=BASE) as c:
        ws = app.state.ws
        base = train_model(ws, {"template": "mlp"}, tiny, {"epochs": 1}, name="base", progress_bar=False)
        fnd = slice_model(ws, base["id"], end="relu1", name="enc")
        models_before = {m["id"] for m in ws.models.list()}

        train = c.post("/api/runs", json={"network": {"template": "mlp"}, "data": tiny, "name": "long",
                                          "hparams": {"epochs": 1000, "batch_size": 10}}).json()
        _wait_until(c, train["id"], lambda r: (r.get("progress") or 0) > 0)   # inside the training loop
        run, seconds = _cancel_and_time(c, train["id"])
        assert run["status"] == "cancelled" and not run["model_id"], run
        print(f"train cancelled in {seconds:.2f} s")
        assert seconds < CANCEL_WITHIN_S, f"the training took {seconds:.2f} s to stop"

        report = c.post("/api/reports", json={"foundation": fnd["id"], "target": tiny, "budgets": ["all"],
                                              "epochs": 1000}).json()
        _wait_until(c, report["id"], lambda r: r["stage"])    # the worker has begun the budget
        time.sleep(3.0)   # into its trainings (loading a data set before them is not cancellable: ~1.5 s here)
        run, seconds = _cancel_and_time(c, report["id"])
        assert run["status"] == "cancelled", run
        print(f"report cancelled in {seconds:.2f} s")
        assert seconds < CANCEL_WITHIN_S, f"the report took {seconds:.2f} s to stop"

        assert {m["id"] for m in ws.models.list()} == models_before
        assert ws.reports.list() == [] and c.get("/api/reports").json() == []
        assert list(ws.tmp.iterdir()) == [] and ws.orphan_artifacts() == []
