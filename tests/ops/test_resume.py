"""SIGKILL a real training process mid-run: the registry stays consistent and the run resumes exactly."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
import yaml

from graft.ops.resume import resume_run
from graft.store import Workspace

EPOCHS = 6
DATA = {"dataset": "mnist", "transforms": [{"limit": 1500}]}


def start_training(ws_root, net_path):
    args = [sys.executable, "-m", "graft", "train", str(net_path), "--data", "mnist", "--limit", "1500",
            "--epochs", str(EPOCHS), "--deterministic", "--name", "victim", "--workspace", str(ws_root), "--json"]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})


def wait_for_checkpoint(ws_root, proc, epoch, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        for sidecar in (ws_root / "runs").glob("run-*/checkpoints/checkpoint.json"):
            try:
                if json.loads(sidecar.read_text())["epoch"] >= epoch:
                    return sidecar.parent.parent.name
            except (ValueError, KeyError, OSError):
                pass  # being replaced right now
        assert proc.poll() is None, "training ended before it could be killed"
        time.sleep(0.02)
    raise AssertionError("no checkpoint appeared in time")


@pytest.mark.slow
def test_sigkill_leaves_registry_consistent_and_resume_matches_uninterrupted(tmp_path, tiny_cnn):
    net = tmp_path / "net.yaml"
    net.write_text(yaml.safe_dump(tiny_cnn))
    root = tmp_path / "ws"
    proc = start_training(root, net)
    run_id = wait_for_checkpoint(root, proc, epoch=2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    con = sqlite3.connect(root / "registry.db")
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("SELECT count(*) FROM models").fetchone()[0] == 0   # nothing half-registered
    con.close()
    ws = Workspace(root)   # opening marks runs whose process died
    assert ws.get_run(run_id)["status"] == "interrupted"

    # resume and the uninterrupted reference both run as the same command-line processes (same threads)
    resumed = json.loads(graft_json("resume", run_id, "--workspace", str(root)))
    assert ws.get_run(run_id)["status"] == "done"
    assert len(resumed["metrics"]["history"]) == EPOCHS
    assert [h["epoch"] for h in ws.get_run(run_id)["history"]] == list(range(1, EPOCHS + 1))   # rows carry on

    clean = start_training(tmp_path / "clean", net)
    assert clean.wait() == 0
    uninterrupted = Workspace(tmp_path / "clean").list_models()[0]
    assert [h["train_loss"] for h in resumed["metrics"]["history"]] == \
        [h["train_loss"] for h in uninterrupted["metrics"]["history"]]
    assert resumed["weights_sha256"] == uninterrupted["weights_sha256"]
    assert [h["train_loss"] for h in resumed["metrics"]["history"]] == \
        [h["train_loss"] for h in uninterrupted["metrics"]["history"]]


def test_only_interrupted_runs_resume(tmp_path):
    ws = Workspace(tmp_path / "ws")
    run = ws.create_run("train", {"network": {}, "data": "mnist", "hparams": {}}, status="done")
    with pytest.raises(ValueError, match="only interrupted"):
        resume_run(ws, run["id"])


def graft_json(*args):
    return subprocess.run([sys.executable, "-m", "graft", *args, "--json"], capture_output=True, text=True,
                          check=True, env={**os.environ, "OMP_NUM_THREADS": "1"}).stdout
