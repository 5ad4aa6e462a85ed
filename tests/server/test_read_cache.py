"""The workbench's frequent reads (the run, the run list, models, data sets, evaluations) come from a cache while
the registry is unchanged (server/cache.py): the bodies are byte for byte what FastAPI made of the same records
before, and every change, made by the server or by another process's connection, shows on the next read."""
import json
import random
from typing import Optional

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from graft.contracts.records import RunStatus
from graft.server.app import create_app
from graft.server.routes.datasets import builtin_out, stored_out
from graft.server.routes.evaluations import evaluation_out
from graft.server.routes.models import model_out
from graft.server.schemas import DatasetRecord, EvaluationRecord, ModelRecord, Run, run_out
from graft.data import list_builtin
from graft.store import Workspace

BASE = "http://127.0.0.1:8000"
SPEC = {"name": "tiny", "input": {"shape": [1, 4, 4]},
        "nodes": [{"id": "flat", "type": "Flatten"}, {"id": "fc", "type": "Linear", "params": {"out_features": 3}}]}


def reference_app(ws) -> FastAPI:
    """The routes as they were: records returned as dicts, validated and serialised by FastAPI."""
    ref = FastAPI()

    @ref.get("/api/runs", response_model=list[Run])
    def runs(status: Optional[RunStatus] = None, limit: int = 200):
        return [run_out(r) for r in ws.list_runs(status=status, limit=limit)]

    @ref.get("/api/runs/{id}", response_model=Run)
    def run(id: str):
        return run_out(ws.get_run(id))

    @ref.get("/api/models", response_model=list[ModelRecord])
    def models(kind: Optional[str] = None):
        tested = ws.evaluations.latest_test_accuracy()
        return [model_out(r, tested=tested) for r in ws.list_models(kind=kind)]

    @ref.get("/api/datasets", response_model=list[DatasetRecord])
    def datasets():
        return [builtin_out(b) for b in list_builtin()] + [stored_out(r) for r in ws.list_datasets()]

    @ref.get("/api/evaluations", response_model=list[EvaluationRecord])
    def evaluations():
        return [evaluation_out(r, listed=True) for r in ws.list_evaluations()]

    return ref


def fill(ws, rng: random.Random) -> dict:
    """Runs with live curves and epoch rows (floats, ints, None, unicode), models, an evaluation, a data set."""
    ids = {"runs": []}
    for i, status in enumerate(["done", "failed", "running", "cancelled", "queued"]):
        run = ws.create_run("train", {"network": {"template": "mlp"}, "data": "mnist",
                                      "hparams": {"epochs": 3, "lr": 1e-3}}, name=f"run {i} – ü", status="running")
        curve = [{"epoch": round(k / 7, 4), "loss": rng.uniform(0, 2), "accuracy": rng.random()} for k in range(50)]
        ws.update_run(run["id"], progress={"fraction": 0.5, "epoch": 2, "epochs": 3, "step": 7, "steps": 10,
                                           "loss": 0.25, "eta": None, "curve": curve},
                      history=[{"epoch": 1, "loss": 1, "train_accuracy": 0.5}])
        if status != "running":
            ws.update_run(run["id"], status=status, error="stopped" if status == "failed" else None)
        ids["runs"].append(run["id"])
    m = ws.register_model({"name": "m", "spec": SPEC, "metrics": {"train_accuracy": 0.9, "history": [{"a": 1}]},
                           "slice": {"from": "x"}}, {"weights.safetensors": b"w"})
    f = ws.register_model({"name": "f", "kind": "foundation", "spec": SPEC, "parent_id": m["id"]},
                          {"weights.safetensors": b"f"})
    ids["model"], ids["foundation"] = m["id"], f["id"]
    ws.add_evaluation({"model_id": m["id"], "data": {"dataset": "mnist", "split": "test"},
                       "summary": {"model_name": "m", "total": 4, "hit": 3, "accuracy": 0.75, "per_class": [],
                                   "confusion": [[1]], "classes": ["0"]}})
    ws.add_dataset({"name": "digits", "kind": "npz", "classes": ["0", "1"], "sizes": {"train": 2}},
                   {"dataset.json": json.dumps({"warnings": ["few"], "split_from": "none"}).encode()})
    return ids


def paths(ids: dict) -> list[str]:
    return [*(f"/api/runs/{r}" for r in ids["runs"]), "/api/runs", "/api/runs?status=running",
            "/api/runs?status=done&limit=1", "/api/runs?limit=2", "/api/models", "/api/models?kind=foundation",
            "/api/models?kind=model", "/api/datasets", "/api/evaluations"]


@pytest.fixture(params=["data_version", "no_counter"])
def served(request, tmp_path):
    """(client, app, other): the app, and a second Workspace on the same registry (another process's
    connections). no_counter: the app without SQLite's data_version, as on PostgreSQL."""
    app = create_app(tmp_path / "ws", port=8000)
    other = Workspace(tmp_path / "ws")
    with TestClient(app, base_url=BASE) as c:
        app.state.jobs.stop(terminate=False)   # nothing dispatched: the runs change only by our hand
        if request.param == "no_counter":
            app.state.reads.version.close()
            assert app.state.reads.version.get() is None
        yield c, app, other
    other.close()


def test_bodies_are_byte_for_byte_what_fastapi_made_of_the_records(served):
    c, app, other = served
    ids = fill(other, random.Random(1))
    with TestClient(reference_app(app.state.ws), base_url=BASE) as ref:
        for _ in range(2):   # made, then from the cache
            for path in paths(ids):
                got, want = c.get(path), ref.get(path)
                assert got.status_code == want.status_code == 200, path
                assert got.content == want.content, path
                assert got.headers["content-type"] == want.headers["content-type"] == "application/json", path
                assert got.headers["content-length"] == want.headers["content-length"], path


def test_every_change_shows_on_the_next_read(served):
    c, app, other = served
    ids = fill(other, random.Random(2))
    rid = ids["runs"][2]
    for path in paths(ids):
        c.get(path)   # everything cached
    before = c.get("/api/runs").content

    other.update_run(rid, progress={"fraction": 0.75, "epoch": 3, "step": 1, "curve": [{"epoch": 2.1, "loss": 0.5}]})
    assert c.get(f"/api/runs/{rid}").json()["progress"] == 0.75
    listed = {r["id"]: r for r in c.get("/api/runs").json()}
    assert listed[rid]["curve"] == [{"epoch": 2.1, "loss": 0.5}] and c.get("/api/runs").content != before
    app.state.ws.update_run(rid, status="done")   # the server's own connection
    assert c.get(f"/api/runs/{rid}").json()["status"] == "done"
    assert rid in [r["id"] for r in c.get("/api/runs?status=done").json()]
    assert c.get("/api/runs?status=running").json() == []

    new = other.create_run("evaluate", {"model": ids["model"]}, name="fresh")
    assert c.get("/api/runs?limit=1").json()[0]["id"] == new["id"]
    assert c.get(f"/api/runs/{new['id']}").json()["name"] == "fresh"

    assert c.get("/api/models").json()[-1]["accuracy"] == 0.75     # tested on the test split
    other.add_evaluation({"model_id": ids["model"], "data": {"dataset": "mnist", "split": "test"},
                          "summary": {"model_name": "m", "total": 4, "hit": 4, "accuracy": 1.0}})
    assert [m["accuracy"] for m in c.get("/api/models").json() if m["id"] == ids["model"]] == [1.0]
    assert len(c.get("/api/evaluations").json()) == 2
    other.register_model({"name": "later", "spec": SPEC}, {"weights.safetensors": b"l"})
    assert c.get("/api/models").json()[0]["name"] == "later"
    assert [m["name"] for m in c.get("/api/models?kind=model").json()][0] == "later"
    other.add_dataset({"name": "letters", "kind": "npz", "classes": ["a"], "sizes": {"train": 1}},
                      {"dataset.json": b"{}"})
    assert "letters" in [d["name"] for d in c.get("/api/datasets").json()]
    with TestClient(reference_app(app.state.ws), base_url=BASE) as ref:
        for path in paths(ids):
            assert c.get(path).content == ref.get(path).content, path


def test_unknown_and_malformed_runs_are_refused_as_before(served):
    c, _, other = served
    fill(other, random.Random(3))
    assert c.get("/api/runs/run-000000000000").status_code == 404
    assert c.get("/api/runs/run-zzzzzzzzzzzz").status_code == 404
    assert c.get("/api/runs/nonsense").json()["detail"]["message"]
    assert c.get("/api/runs?status=bogus").status_code == 422
