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
