"""Restarts and crashes lose nothing, with real processes: a server (python -m graft.server, as `graft ui`)
killed with SIGKILL while runs are queued and running, a worker killed alone (as the OOM killer would), and
runs stopped part-way (cancelled, or their server killed) resumed to the end."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from graft.server.jobs import ACTIVE, JobRunner
from graft.store import Workspace
from graft.store.runs import process_alive

WAIT_S = 300     # bound on every wait for a condition (a loaded 2-core machine trains slowly)
LONG = {"network": {"template": "mlp"}, "name": "long", "data": {"dataset": "mnist", "transforms": [{"limit": 3000}]},
        "hparams": {"epochs": 30, "batch_size": 32, "seed": 0}}
TINY = {"network": {"template": "mlp"}, "name": "tiny", "data": {"dataset": "mnist", "transforms": [{"limit": 200}]},
        "hparams": {"epochs": 1, "batch_size": 100, "seed": 0}}
EPOCHS = 10
# ~0.3 s an epoch here: a stop sent after the first checkpoint lands seconds before the tenth epoch, even on a
# CPU several times faster (600 images made the window a quarter of a second)
SMALL = {"network": {"template": "mlp"}, "name": "small", "data": {"dataset": "mnist", "transforms": [{"limit": 6000}]},
         "hparams": {"epochs": EPOCHS, "batch_size": 20, "seed": 0}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def until(what: str, condition, timeout: float = WAIT_S):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s: {what}")


class Server:
    def __init__(self, root: Path):
        self.root, self.port = root, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([sys.executable, "-m", "graft.server", "--workspace", str(root), "--port",
                                      str(self.port), "--workers", "1"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        until("the server answers", self._healthy, 60)

    def _healthy(self) -> bool:
        assert self.proc.poll() is None, "the server exited"
        try:
            return httpx.get(f"{self.url}/api/health", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def post(self, path: str, body: dict | None = None) -> httpx.Response:
        return httpx.post(self.url + path, json=body, timeout=30)

    def run(self, run_id: str) -> dict:
        return httpx.get(f"{self.url}/api/runs/{run_id}", timeout=30).json()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)


@pytest.fixture
def servers():
    started: list[Server] = []
    yield lambda root: started.append(Server(root)) or started[-1]
    for s in started:
        s.stop()


def row(root: Path, run_id: str) -> dict:
    with Workspace(root) as ws:
        return ws.runs.get(run_id)


@pytest.mark.slow
def test_a_server_killed_with_sigkill_loses_no_run(tmp_path, servers):
    root = tmp_path / "ws"
    first = servers(root)
    running = first.post("/api/runs", LONG).json()["id"]
    queued = first.post("/api/runs", TINY).json()["id"]
    until("the long run has a checkpoint", lambda: row(root, running)["checkpoint"])
    worker = row(root, running)["pid"]
    assert row(root, queued)["status"] == "queued"

    first.proc.send_signal(signal.SIGKILL)
    first.proc.wait(30)
    # the orphaned worker notices its server is gone, records the run interrupted and exits
    until("the worker has exited", lambda: not process_alive(worker, None), 30)
    assert row(root, running)["status"] == "interrupted"
    assert row(root, queued)["status"] == "queued"

    second = servers(root)
    assert second.run(running)["status"] == "interrupted"
    done = until("the queued run ran", lambda: (r := second.run(queued))["status"] in ("done", "failed") and r)
    assert done["status"] == "done", done["error"]

    epochs_before = len(row(root, running)["history"])
    resumed = second.post(f"/api/runs/{running}/resume")
    assert resumed.status_code == 202 and resumed.json()["status"] == "queued"
    # it goes on from its checkpoint: the epochs it had are kept, not trained again
    until("the resumed run trains on", lambda: len(row(root, running)["history"]) > epochs_before)
    history = row(root, running)["history"]
    assert [h["epoch"] for h in history] == list(range(1, len(history) + 1))
    assert second.post(f"/api/runs/{running}/cancel").json()["status"] == "running"
    final = until("the resumed run stops", lambda: (r := second.run(running))["status"] not in
                  ("queued", "running") and r)
    assert final["status"] == "cancelled"
    assert second.post(f"/api/runs/{queued}/resume").status_code == 422      # done runs do not resume


@pytest.mark.slow
def test_a_worker_killed_by_sigkill_fails_its_run_with_the_reason(tmp_path, servers):
    root = tmp_path / "ws"
    server = servers(root)
    run_id = server.post("/api/runs", LONG).json()["id"]
    pid = until("the worker runs", lambda: (r := row(root, run_id))["status"] == "running" and r["pid"] != server
                .proc.pid and r["pid"])
    os.kill(pid, signal.SIGKILL)
    failed = until("the run fails", lambda: (r := server.run(run_id))["status"] == "failed" and r)
    assert "worker killed by signal 9 (SIGKILL): out of memory?" in failed["error"]
    # the server keeps serving, and the next run runs
    next_id = server.post("/api/runs", TINY).json()["id"]
    done = until("the next run is done", lambda: (r := server.run(next_id))["status"] in ("done", "failed") and r)
    assert done["status"] == "done", done["error"]


def assert_trained_on(final: dict, stopped: dict, ws: Workspace) -> None:
    """Done, with the model registered, after all the epochs asked for; the epochs kept from before the stop
    were not trained again (their rows are those of the first attempt), and the curve keeps them."""
    assert final["status"] == "done", final["error"]
    assert [h["epoch"] for h in final["history"]] == list(range(1, EPOCHS + 1))
    assert final["history"][:len(stopped["history"])] == stopped["history"]
    assert final["progress"]["curve"][0]["epoch"] <= 1      # the live curve still shows the first epochs
    model = ws.get_model(final["model_id"])
    assert model["run_id"] == final["id"] and len(model["metrics"]["history"]) == EPOCHS


@pytest.mark.slow
def test_a_cancelled_run_resumed_at_once_trains_on_from_its_checkpoint_and_ends_done(tmp_path):
    ws = Workspace(tmp_path / "ws")
    # the dispatcher wakes only when asked (submit, resume): the cancelled worker's exit is not yet seen when the
    # user resumes, as on a loaded machine
    runner = JobRunner(ws, workers=1, poll_s=WAIT_S)
    runner.start()
    try:
        run_id = runner.submit("train", SMALL)["id"]
        until("a first checkpoint", lambda: ws.get_run(run_id)["checkpoint"])
        runner.cancel(run_id)
        stopped = until("the run stops", lambda: (r := ws.get_run(run_id))["status"] not in ACTIVE and r)
        assert stopped["status"] == "cancelled" and 1 <= len(stopped["history"]) < EPOCHS
        assert runner.resume(run_id)["status"] == "queued"
        final = until("the resumed run ends", lambda: (r := ws.get_run(run_id))["status"] not in ACTIVE and r)
        assert_trained_on(final, stopped, ws)
    finally:
        runner.stop()


@pytest.mark.slow
def test_a_run_whose_server_was_killed_resumes_on_the_next_server_and_ends_done(tmp_path, servers):
    root = tmp_path / "ws"
    first = servers(root)
    run_id = first.post("/api/runs", SMALL).json()["id"]
    until("a first checkpoint", lambda: row(root, run_id)["checkpoint"])
    first.proc.send_signal(signal.SIGKILL)
    first.proc.wait(30)
    stopped = until("the orphaned worker records the run", lambda: (r := row(root, run_id))["status"] not in
                    ACTIVE and r, 30)
    assert stopped["status"] == "interrupted" and len(stopped["history"]) < EPOCHS

    second = servers(root)
    assert second.post(f"/api/runs/{run_id}/resume").status_code == 202
    until("the resumed run ends", lambda: second.run(run_id)["status"] not in ACTIVE)
    with Workspace(root) as ws:
        assert_trained_on(ws.runs.get(run_id), stopped, ws)
