"""Routes added so that HTTP offers every operation the CLI and Python do: weights import, runs by status."""
from __future__ import annotations

import json

import torch
from safetensors.torch import save

from graft.engine.compile import compile_network

BACKBONE = {"name": "backbone", "input": {"shape": [1, 28, 28]}, "nodes": [
    {"id": "conv1", "type": "Conv2d", "params": {"out_channels": 4, "kernel_size": 3}, "inputs": ["input"]},
    {"id": "flatten", "type": "Flatten", "inputs": ["conv1"]}]}


def weights(drop: str | None = None) -> bytes:
    torch.manual_seed(1)
    state = {k: torch.randn_like(v) for k, v in compile_network(BACKBONE).state_dict().items() if k != drop}
    return save(state)


def test_import_weights_registers_a_foundation(client):
    resp = client.post("/api/models/import-weights", files={"file": ("w.safetensors", weights())},
                       data={"spec": json.dumps(BACKBONE), "name": "my-backbone"})
    assert resp.status_code == 201, resp.text
    rec = resp.json()
    assert rec["kind"] == "foundation" and rec["name"] == "my-backbone" and rec["id"].startswith("fnd-")
    assert client.get(f"/api/models/{rec['id']}").json()["weights_sha256"] == rec["weights_sha256"]


def test_import_weights_refuses_missing_tensors_unless_allowed(client):
    files = {"file": ("w.safetensors", weights(drop="conv1.bias"))}
    form = {"spec": json.dumps(BACKBONE), "name": "partial"}
    refused = client.post("/api/models/import-weights", files=files, data=form)
    assert refused.status_code == 422 and "conv1.bias" in refused.text
    files = {"file": ("w.safetensors", weights(drop="conv1.bias"))}
    allowed = client.post("/api/models/import-weights", files=files, data={**form, "allow_missing": "true"})
    assert allowed.status_code == 201, allowed.text


def test_import_weights_names_a_bad_spec(client):
    resp = client.post("/api/models/import-weights", files={"file": ("w.safetensors", weights())},
                       data={"spec": json.dumps({"input": {"shape": [1, 28, 28]}, "nodes": "no"}), "name": "x"})
    assert resp.status_code == 422


def test_runs_filter_by_status(client, app):
    ws = app.state.ws
    done = ws.create_run("train", {}, status="done")
    ws.create_run("train", {}, status="failed")
    assert [r["id"] for r in client.get("/api/runs", params={"status": "done"}).json()] == [done["id"]]
    assert client.get("/api/runs", params={"status": "nonsense"}).status_code == 422
