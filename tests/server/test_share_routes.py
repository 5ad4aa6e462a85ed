"""Sharing routes: export (graft/onnx/python), import of a .graft, lineage with frozen checks, the model card;
and the per-sample images of an evaluation. Every bad request is a 4xx with a message, never a 500."""
import io
import zipfile

import pytest
from fastapi.testclient import TestClient

from graft.ops import evaluate_model, slice_model, train_model
from graft.server.app import create_app

BASE = "http://127.0.0.1:8000"

DATA = {"dataset": "mnist", "transforms": [{"limit": 200}]}
MISSING = "mdl-000000000000"


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One workspace with a model, a foundation sliced off it and a frozen graft on that foundation."""
    app = create_app(tmp_path_factory.mktemp("share") / "ws", port=8000, max_upload_mb=1)
    with TestClient(app, base_url=BASE) as client:
        ws = app.state.ws
        base = train_model(ws, {"template": "mlp"}, DATA, {"epochs": 1}, name="base mlp", progress_bar=False)
        found = slice_model(ws, base["id"], end="relu1", name="fnd")
        head = {"input": {"shape": [1, 28, 28]}, "nodes": [
            {"id": "base", "type": "Foundation", "params": {"ref": found["id"], "frozen": True}, "inputs": ["input"]},
            {"id": "out", "type": "Linear", "params": {"out_features": 10}, "inputs": ["base"]}]}
        grafted = train_model(ws, head, DATA, {"epochs": 1}, name="grafted", progress_bar=False)
        yield client, base, found, grafted


def test_export_graft_round_trips_through_import(shared, detail):
    client, base, _, _ = shared
    got = client.get(f"/api/models/{base['id']}/export?format=graft")
    assert got.status_code == 200, got.text
    assert got.headers["content-disposition"] == 'attachment; filename="base-mlp.graft"'
    made = client.post("/api/models/import", files={"file": ("base-mlp.graft", got.content)}, data={"name": "copy"})
    assert made.status_code == 201, made.text
    copy = made.json()
    assert copy["name"] == "copy" and copy["id"] != base["id"] and copy["params"] == base["params"]
    assert copy["id"] in [m["id"] for m in client.get("/api/models").json()]


def test_export_python_is_a_zip_of_source_and_weights(shared):
    client, base, _, _ = shared
    got = client.get(f"/api/models/{base['id']}/export?format=python")
    assert got.status_code == 200, got.text
    names = zipfile.ZipFile(io.BytesIO(got.content)).namelist()
    assert sorted(names) == ["base-mlp/model.py", "base-mlp/model.safetensors"]
    source = zipfile.ZipFile(io.BytesIO(got.content)).read("base-mlp/model.py").decode()
    assert "class " in source and "def forward" in source


def test_export_onnx(shared):
    client, base, _, _ = shared
    got = client.get(f"/api/models/{base['id']}/export?format=onnx")
    assert got.status_code == 200, got.text
    assert got.headers["content-disposition"].endswith('.onnx"')
    assert len(got.content) > 1000


def test_export_bad_input(shared, detail):
    client, base, _, _ = shared
    assert "format" in detail(client.get(f"/api/models/{base['id']}/export?format=pickle"))["message"]
    missing = client.get(f"/api/models/{MISSING}/export?format=graft")
    assert missing.status_code == 404 and MISSING in detail(missing)["message"]


@pytest.mark.parametrize("upload, status, words", [
    (("x.graft", b"not a zip at all"), 422, "zip"),
    (("x.graft", b""), 422, "zip"),
])
def test_import_refuses_what_is_not_a_package(shared, detail, upload, status, words):
    client = shared[0]
    got = client.post("/api/models/import", files={"file": upload})
    assert got.status_code == status, got.text
    assert words in detail(got)["message"] and "x.graft" in detail(got)["message"]


def test_import_refuses_a_zip_with_foreign_members(shared, detail):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("../evil.py", "print('x')")
    got = shared[0].post("/api/models/import", files={"file": ("evil.graft", buf.getvalue())})
    assert got.status_code == 422 and "evil.py" in detail(got)["message"]


def test_import_needs_a_multipart_file_and_a_small_one(shared, detail):
    client = shared[0]
    assert "file" in detail(client.post("/api/models/import", files={"other": ("a", b"x")}))["message"]
    assert client.post("/api/models/import", json={"file": "x"}).status_code == 400
    big = client.post("/api/models/import", files={"file": ("big.graft", b"0" * (2 << 20))})
    assert big.status_code == 413 and "limit" in detail(big)["message"]


def test_lineage_marks_the_frozen_foundation_unchanged(shared, detail):
    client, base, found, grafted = shared
    got = client.get(f"/api/models/{found['id']}/lineage")
    assert got.status_code == 200, got.text
    body = got.json()
    assert {n["id"] for n in body["nodes"]} >= {base["id"], found["id"], grafted["id"]}
    assert {"source": base["id"], "target": found["id"], "relation": "sliced"} in body["edges"]
    assert {"source": found["id"], "target": grafted["id"], "relation": "grafted"} in body["edges"]
    [check] = [c for c in body["foundation_checks"] if c["descendant"] == grafted["id"]]
    assert check["node"] == "base" and check["frozen"] is True and check["unchanged"] is True
    assert client.get(f"/api/models/{MISSING}/lineage").status_code == 404


def test_card_is_markdown_naming_the_model(shared, detail):
    client, base, _, _ = shared
    got = client.get(f"/api/models/{base['id']}/card")
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/markdown")
    assert got.text.startswith("# base mlp") and base["id"] in got.text
    assert client.get(f"/api/models/{MISSING}/card").status_code == 404


def test_evaluation_images_follow_the_evaluated_order(shared, detail):
    client, base, _, _ = shared
    ev = evaluate_model(client.app.state.ws, base["id"], {"dataset": "mnist", "split": "test",
                                                          "transforms": [{"limit": 30}]})
    png = client.get(f"/api/evaluations/{ev['id']}/images/29.png")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    same = client.get("/api/datasets/mnist/images/29.png?split=test")
    assert png.content == same.content  # limit keeps the first images in order
    past = client.get(f"/api/evaluations/{ev['id']}/images/30.png")
    assert past.status_code == 404 and "30" in detail(past)["message"]
    assert client.get("/api/evaluations/ev-000000000000/images/0.png").status_code == 404
