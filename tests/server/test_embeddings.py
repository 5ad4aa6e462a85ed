"""Embedding maps over HTTP: queued as a run through the real worker, listed per model, read back with the image
behind each point; requests out of bounds are 4xx naming the field, never a 500."""
import time

import pytest
from fastapi.testclient import TestClient

from graft.ops import slice_model, train_model
from graft.server.app import create_app
from test_jobs import wait_for

BASE = "http://127.0.0.1:8000"
TEST = {"dataset": "mnist", "transforms": [{"limit": 120}]}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app(tmp_path_factory.mktemp("emb") / "ws")
    with TestClient(app, base_url=BASE) as c:
        ws = app.state.ws
        base = train_model(ws, {"template": "mlp"}, {"dataset": "mnist", "transforms": [{"limit": 256}]},
                           {"epochs": 1}, name="base", progress_bar=False)
        c.fnd = slice_model(ws, base["id"], end="relu1", name="features")
        c.base = base
        yield c


def test_a_map_is_queued_listed_and_its_points_show_their_images(client):
    fnd = client.fnd["id"]
    resp = client.post("/api/embeddings", json={"model": fnd, "data": TEST, "limit": 60, "method": "pca"})
    assert resp.status_code == 202, resp.text
    run = wait_for(client, resp.json()["id"], ("done", "failed"))
    assert run["status"] == "done", run["error"]
    emb_id = run["result"]["embedding_id"]
    listed = client.get("/api/embeddings", params={"model": fnd}).json()
    assert [e["id"] for e in listed] == [emb_id] and listed[0]["method"] == "pca" and listed[0]["n"] == 60
    assert client.get("/api/embeddings", params={"model": client.base["id"]}).json() == []
    doc = client.get(f"/api/embeddings/{emb_id}").json()
    assert len(doc["points"]) == len(doc["labels"]) == len(doc["indices"]) == 60 and doc["preds"] is None
    png = client.get(f"/api/embeddings/{emb_id}/images/59.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png" and png.content[:4] == b"\x89PNG"
    assert client.get(f"/api/embeddings/{emb_id}/images/60.png").status_code == 404


def test_a_classifier_map_has_predictions(client):
    resp = client.post("/api/embeddings", json={"model": client.base["id"], "data": TEST, "limit": 40})
    run = wait_for(client, resp.json()["id"], ("done", "failed"))
    assert run["status"] == "done", run["error"]
    doc = client.get(f"/api/embeddings/{run['result']['embedding_id']}").json()
    assert doc["classifier"] and len(doc["preds"]) == 40 and doc["feature"].startswith("input of ")


@pytest.mark.parametrize("body, field", [({"limit": 100_000}, "limit"), ({"method": "umap"}, "method"),
                                         ({"limit": "all"}, "limit"), ({"seed": -1}, "seed")])
def test_a_request_out_of_bounds_is_a_422_naming_the_field(client, detail, body, field):
    resp = client.post("/api/embeddings", json={"model": client.fnd["id"], **body})
    assert resp.status_code == 422
    assert field in str(detail(resp))


def test_unknown_models_and_maps_are_404(client, detail):
    assert client.post("/api/embeddings", json={"model": "fnd-000000000000"}).status_code == 404
    assert client.get("/api/embeddings/emb-000000000000").status_code == 404
    assert client.get("/api/embeddings/..%2F..%2Fregistry.db").status_code == 404
    assert "emb-" in detail(client.get("/api/embeddings/nope"))["message"]


def test_a_cancel_during_t_sne_ends_the_run_cancelled_and_stores_nothing(client):
    fnd = client.fnd["id"]
    before = {e["id"] for e in client.get("/api/embeddings").json()}
    resp = client.post("/api/embeddings", json={"model": fnd, "data": "mnist", "method": "tsne"})
    run_id = resp.json()["id"]
    deadline = time.monotonic() + 120
    while "t-SNE" not in (client.get(f"/api/runs/{run_id}").json()["stage"] or ""):   # inside one long C call
        assert time.monotonic() < deadline, client.get(f"/api/runs/{run_id}").json()
        time.sleep(0.2)
    assert client.post(f"/api/runs/{run_id}/cancel").status_code == 200
    run = wait_for(client, run_id, ("done", "failed", "cancelled"), timeout=30)
    assert run["status"] == "cancelled", run
    assert {e["id"] for e in client.get("/api/embeddings").json()} == before
