"""A workspace on a small file system (a tmpfs the test mounts) that fills up during a checkpoint and during a
registration: the user reads "no space left on the workspace's disk" (over HTTP a 507 naming no server path),
the previous checkpoint is intact, nothing is half-registered, and once space is freed the workspace works."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from graft.contracts.errors import DISK_FULL, DiskFull
from graft.engine.checkpoint import SIDECAR, load_checkpoint
from graft.ops import train_model
from graft.server.app import create_app

DISK_MB = 16
TINY = {"dataset": "mnist", "transforms": [{"limit": 64}]}
# 784 -> 256 -> 10: about 0.8 MB of weights, 2.4 MB per checkpoint with Adam's two moments
WIDE = {"name": "wide", "input": {"shape": [1, 28, 28]}, "nodes": [
    {"id": "flatten", "type": "Flatten", "inputs": ["input"]},
    {"id": "hidden", "type": "Linear", "params": {"out_features": 256}, "inputs": ["flatten"]},
    {"id": "relu", "type": "ReLU", "inputs": ["hidden"]},
    {"id": "fc", "type": "Linear", "params": {"out_features": 10}, "inputs": ["relu"]},
]}


@pytest.fixture
def small_disk(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs for the full-disk tests needs root (mount -t tmpfs); not root here")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_MB}m", "tmpfs", str(disk)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"mount -t tmpfs is not permitted here: {done.stderr.strip()[:200]}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path, leave: int) -> Path:
    """Take all but `leave` bytes of the disk with one file (removed to free the space again)."""
    ballast = disk / f"ballast-{len(list(disk.glob('ballast-*')))}"
    st = os.statvfs(disk)
    size = st.f_bavail * st.f_frsize - leave
    with open(ballast, "wb") as f:
        if size > 0:
            os.posix_fallocate(f.fileno(), 0, size)
    return ballast


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def registry_and_files_agree(ws) -> None:
    rows = {m["id"] for m in ws.list_models()}
    folders = {p.name for p in ws.artifacts.iterdir()}
    assert folders == rows, f"rows without files: {rows - folders}, files without a row: {folders - rows}"
    assert ws.orphan_artifacts() == []
    ws.sweep_tmp()
    assert list(ws.tmp.iterdir()) == []


def test_a_disk_that_fills_during_a_checkpoint_keeps_the_previous_one(small_disk, tmp_path):
    """The run's folder is on the small disk (the registry database is not, so the run can record why)."""
    app = create_app(small_disk / "ws", db_url=f"sqlite:///{tmp_path / 'registry.db'}")
    ws = app.state.ws
    seen: dict[str, str] = {}

    def on_epoch(entry: dict) -> None:
        if entry["epoch"] == 1:   # epoch 1's checkpoint is on disk: fill the disk before epoch 2 writes its own
            checkpoints = next((small_disk / "ws" / "runs").iterdir()) / "checkpoints"
            seen["sidecar"] = (checkpoints / SIDECAR).read_text()
            seen["tensors"] = sha256(checkpoints / "epoch-0001.safetensors")
            seen["ballast"] = str(fill(small_disk, leave=256 << 10))

    with pytest.raises(DiskFull) as err:
        train_model(ws, WIDE, TINY, {"epochs": 3, "batch_size": 32}, on_epoch=on_epoch, progress_bar=False)
    message = str(err.value)
    assert message.startswith(DISK_FULL) and "checkpoint of epoch 2" in message
    assert "last complete checkpoint is kept" in message and str(small_disk) not in message

    run = ws.list_runs()[0]
    assert run["status"] == "failed" and run["error"] == message
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        shown = client.get(f"/api/runs/{run['id']}").json()
    assert DISK_FULL in shown["error"] and str(small_disk) not in json.dumps(shown)

    checkpoints = ws.runs.checkpoints(run["id"])
    assert sorted(p.name for p in checkpoints.iterdir()) == ["checkpoint.json", "epoch-0001.safetensors"]
    assert (checkpoints / SIDECAR).read_text() == seen["sidecar"]
    assert sha256(checkpoints / "epoch-0001.safetensors") == seen["tensors"]
    meta, tensors = load_checkpoint(checkpoints)
    assert meta["epoch"] == 1 and "model.hidden.weight" in tensors
    assert ws.list_models() == []

    Path(seen["ballast"]).unlink()   # space freed: the run resumes from epoch 1 and finishes
    model = train_model(ws, WIDE, TINY, {"epochs": 3, "batch_size": 32}, run_id=run["id"], resume=True,
                        progress_bar=False)
    assert ws.get_run(run["id"])["status"] == "done" and model["hparams"]["epochs"] == 3
    assert [e["epoch"] for e in ws.get_run(run["id"])["history"]] == [1, 2, 3]
    registry_and_files_agree(ws)
    ws.close()


def test_a_disk_that_fills_during_a_registration_registers_nothing(small_disk):
    """The whole workspace, registry database included, on the small disk; the registration is over HTTP."""
    app = create_app(small_disk / "ws", port=8000)
    ws = app.state.ws
    model = train_model(ws, WIDE, TINY, {"epochs": 1, "batch_size": 32}, progress_bar=False)
    shutil.rmtree(ws.runs.checkpoints(model["run_id"]))   # room for the test, not part of it
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        for leave in (256 << 10, 0):   # room for a little, then for nothing at all
            ballast = fill(small_disk, leave)
            resp = client.post(f"/api/models/{model['id']}/slice", json={"end": "hidden"})
            assert resp.status_code == 507, resp.text
            detail = resp.json()["detail"]
            assert detail["message"].startswith(DISK_FULL) and "free some space" in detail["message"]
            assert str(small_disk) not in resp.text and str(ws.tmp) not in resp.text
            assert [m["id"] for m in ws.list_models()] == [model["id"]]
            registry_and_files_agree(ws)

        for extra in small_disk.glob("ballast-*"):
            extra.unlink()
        resp = client.post(f"/api/models/{model['id']}/slice", json={"end": "hidden"})
        assert resp.status_code == 201, resp.text
        fnd = resp.json()
        assert client.get(f"/api/models/{fnd['id']}").json()["kind"] == "foundation"
    assert {m["id"] for m in ws.list_models()} == {model["id"], fnd["id"]}
    registry_and_files_agree(ws)
    ws.close()
