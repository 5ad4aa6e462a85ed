"""MLflow tracking against a real `mlflow server` (sqlite backend, local artifacts) on a free local port."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from graft.ops import slice_model, train_model
from graft.store import Workspace
from graft.tracking import ENV, log_if_enabled, log_run

pytestmark = pytest.mark.slow   # the server takes 10-30 s to start on a small machine
DATA = {"dataset": "mnist", "transforms": [{"per_class": 10, "seed": 0}]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("mlflow")
    port = free_port()
    mlflow = Path(sys.executable).with_name("mlflow")
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
    proc = subprocess.Popen(
        [str(mlflow), "server", "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}",
         "--artifacts-destination", str(root / "artifacts"), "--host", "127.0.0.1", "--port", str(port),
         "--workers", "1"],
        stdout=open(root / "server.log", "wb"), stderr=subprocess.STDOUT, env=env, start_new_session=True)
    uri = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{uri}/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"mlflow server did not start: {(root / 'server.log').read_text()[-2000:]}")
            time.sleep(0.5)
        yield uri
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def grafted(tmp_path_factory):
    ws = Workspace(tmp_path_factory.mktemp("ws"))
    base = train_model(ws, {"template": "mlp"}, DATA, {"epochs": 1}, progress_bar=False)
    fnd = slice_model(ws, base["id"], end="relu1")
    head = {"name": "digits head", "input": {"shape": [1, 28, 28]}, "nodes": [
        {"id": "base", "type": "Foundation", "params": {"ref": fnd["id"]}, "inputs": ["input"]},
        {"id": "fc", "type": "Linear", "params": {"out_features": 10}, "inputs": ["base"]}]}
    model = train_model(ws, head, DATA, {"epochs": 3, "lr": 0.01}, progress_bar=False)
    return ws, model, fnd


def test_a_training_run_is_logged_and_registered(mlflow_server, grafted):
    from mlflow.tracking import MlflowClient

    ws, model, fnd = grafted
    history = model["metrics"]["history"]
    logged = log_run(model, history, ws.model_path(model["id"], "weights.safetensors"), mlflow_server)
    client = MlflowClient(tracking_uri=mlflow_server, registry_uri=mlflow_server)
    run = client.get_run(logged["run_id"])
    assert run.info.status == "FINISHED" and run.info.run_name == "digits head"
    assert run.data.params["hparams.lr"] == "0.01" and run.data.params["hparams.epochs"] == "3"
    assert run.data.tags["graft.model_id"] == model["id"]
    losses = client.get_metric_history(logged["run_id"], "train_loss")
    assert [m.step for m in sorted(losses, key=lambda m: m.step)] == [1, 2, 3]
    assert [m.value for m in sorted(losses, key=lambda m: m.step)] == pytest.approx(
        [row["train_loss"] for row in history])
    artifacts = {a.path for a in client.list_artifacts(logged["run_id"], "weights")}
    assert artifacts == {"weights/weights.safetensors"}
    version = client.get_model_version(logged["registered_model"], logged["version"])
    assert logged["registered_model"] == "digits-head"
    assert version.tags["graft.parent_id"] == fnd["id"] and version.run_id == logged["run_id"]
    assert client.get_registered_model("digits-head").tags["graft.parent_id"] == fnd["id"]
    # a second model of the same name is the next version
    again = log_run(model, history, ws.model_path(model["id"], "weights.safetensors"), mlflow_server)
    assert int(again["version"]) == int(logged["version"]) + 1


def test_the_environment_variable_switches_tracking_on(mlflow_server, grafted, monkeypatch):
    ws, model, _ = grafted
    weights = ws.model_path(model["id"], "weights.safetensors")
    monkeypatch.delenv(ENV, raising=False)
    assert log_run(model, [], weights) is None
    monkeypatch.setenv(ENV, mlflow_server)
    assert log_if_enabled(model, [], weights)["registered_model"] == "digits-head"


def test_an_unreachable_server_warns_instead_of_failing(grafted, monkeypatch):
    ws, model, _ = grafted
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    with pytest.warns(UserWarning, match="MLflow tracking at http://127.0.0.1:9 failed"):
        assert log_if_enabled(model, [], ws.model_path(model["id"], "weights.safetensors"),
                              "http://127.0.0.1:9") is None
