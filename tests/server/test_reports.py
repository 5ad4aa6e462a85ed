"""Pretraining and transfer reports over HTTP: requests are checked before anything is queued (4xx with the field
at fault), reports are read back as JSON and as a PNG, and ids that are not rep-<12 hex> are 404."""
import time

import pytest
from fastapi.testclient import TestClient

from graft.ops.report import save_report
from graft.server.app import create_app
from graft.spec.templates import get_template

BASE = "http://127.0.0.1:8000"
TINY = {"dataset": "mnist", "transforms": [{"limit": 200}]}


@pytest.fixture
def idle(tmp_path):
    """A client whose runs stay queued: these tests check the HTTP layer, not the training."""
    app = create_app(tmp_path / "ws")
    with TestClient(app, base_url=BASE) as c:
        app.state.jobs.stop(terminate=False)
        c.ws = app.state.ws
        yield c


def register(ws, kind: str, name: str) -> dict:
    spec = get_template("mlp")
    return ws.register_model({"kind": kind, "name": name, "spec": spec}, {"spec.json": b"{}"})


def fake_report(foundation_id: str, report_id: str = "rep-0123456789ab") -> dict:
    fit = lambda acc, s: {"accuracy": acc, "hit": int(acc * 100), "train_seconds": s, "trainable_params": 1290}
    return {"id": report_id, "kind": "transfer", "foundation_id": foundation_id, "foundation_name": "enc",
            "target": {"dataset": "mnist"}, "test": {"dataset": "mnist", "split": "test"}, "test_size": 100,
            "head": [], "hparams": {}, "machine": {}, "created_at": "2026-01-02T03:04:05+00:00",
            "rows": [{"budget": 1, "train_size": 10, "epochs": 5, "foundation": fit(0.61, 0.4),
                      "scratch": fit(0.32, 0.9), "gain": 0.29},
                     {"budget": "all", "train_size": 60000, "epochs": 1, "foundation": fit(0.97, 3.0),
                      "scratch": fit(0.98, 9.5), "gain": -0.01}]}


def test_pretrain_is_queued_with_the_encoder_cut_at_end(idle):
    resp = idle.post("/api/pretrain", json={"network": {"template": "fast-cnn"}, "end": "flatten",
                                            "objective": "denoising", "data": TINY,
                                            "hparams": {"epochs": 1, "batch_size": 64}})
    assert resp.status_code == 202, resp.text
    run = resp.json()
    assert run["kind"] == "pretrain" and run["status"] == "queued" and run["name"] == "fast-cnn-denoising"
    nodes = [n["id"] for n in run["request"]["network"]["nodes"]]
    assert nodes[-1] == "flatten" and "fc2" not in nodes  # the classifier layers are not pretrained
    assert run["request"]["hparams"]["epochs"] == 1 and run["request"]["objective"] == "denoising"
    assert idle.get(f"/api/runs/{run['id']}").json()["kind"] == "pretrain"


@pytest.mark.parametrize("body, field", [
    ({"network": {"template": "fast-cnn"}, "objective": "rotation"}, "objective"),
    ({"network": {"template": "fast-cnn"}, "hparams": {"batch_size": 1}}, "batch_size"),
    ({"network": {"template": "fast-cnn"}, "hparams": {"epochs": True}}, "epochs"),
    ({"network": {"template": "fast-cnn"}, "hparams": {"projection": 3}}, "projection"),
    ({"network": {"template": "fast-cnn"}, "end": "nowhere"}, "end"),
    ({"network": {"template": "nope"}}, "template"),
    ({"network": {"template": "mlp"}, "data": {"dataset": "mnist", "transforms": [{"nope": 1}]}}, None),
    ({"network": {"template": "mlp"}, "labels": True}, "labels"),
])
def test_pretrain_bad_requests_are_422_naming_the_field(idle, detail, body, field):
    resp = idle.post("/api/pretrain", json=body)
    assert resp.status_code == 422, resp.text
    d = detail(resp)
    if field:
        assert field in d["message"] or any(field in str(i.get("field")) for i in d["issues"]), d
    assert idle.get("/api/runs").json() == []  # nothing was queued


def test_pretrain_refuses_a_network_with_a_foundation_node(idle, detail):
    fnd = register(idle.ws, "foundation", "enc")
    net = {"input": {"shape": [1, 28, 28]},
           "nodes": [{"id": "base", "type": "Foundation", "params": {"ref": fnd["id"]}, "inputs": ["input"]}]}
    resp = idle.post("/api/pretrain", json={"network": net})
    assert resp.status_code == 422 and detail(resp)["issues"][0]["node"] == "base"


def test_report_is_queued_for_a_foundation_only(idle, detail):
    fnd = register(idle.ws, "foundation", "enc")
    model = register(idle.ws, "model", "classifier")
    ok = idle.post("/api/reports", json={"foundation": fnd["id"], "target": TINY, "budgets": [1, 10],
                                         "epochs": 3, "head": "linear"})
    assert ok.status_code == 202, ok.text
    assert ok.json()["kind"] == "report" and ok.json()["request"]["budgets"] == [1, 10]
    assert idle.post("/api/reports", json={"foundation": "fnd-000000000000"}).status_code == 404
    assert idle.post("/api/reports", json={"foundation": "../../etc"}).status_code == 404
    not_fnd = idle.post("/api/reports", json={"foundation": model["id"]})
    assert not_fnd.status_code == 422 and "not a foundation" in detail(not_fnd)["message"]


def test_synergy_is_queued_with_each_tasks_data_checked_for_a_foundation_only(idle, detail):
    fnd = register(idle.ws, "foundation", "enc")
    model = register(idle.ws, "model", "classifier")
    parity = {**TINY, "transforms": [*TINY["transforms"], {"relabel": {"map": [0, 1] * 5, "classes": ["even", "odd"]}}]}
    tasks = [{"name": "digits", "data": TINY}, {"name": "parity", "data": parity, "per_class": 5}]
    ok = idle.post("/api/reports/synergy", json={"foundation": fnd["id"], "tasks": tasks, "epochs": 2})
    assert ok.status_code == 202, ok.text
    run = ok.json()
    assert run["kind"] == "synergy" and run["name"] == "synergy enc: digits, parity"
    assert [t["data"] for t in run["request"]["tasks"]] == [TINY, parity] and run["request"]["epochs"] == 2
    missing = idle.post("/api/reports/synergy", json={"foundation": fnd["id"], "tasks": [
        tasks[0], {"name": "other", "data": {"dataset": "ds-000000000000"}}]})
    assert missing.status_code == 422 and "ds-000000000000" in detail(missing)["message"]   # nothing queued
    not_fnd = idle.post("/api/reports/synergy", json={"foundation": model["id"], "tasks": tasks})
    assert not_fnd.status_code == 422 and detail(not_fnd)["issues"][0]["code"] == "not_a_foundation"


@pytest.mark.parametrize("extra", [
    {"budgets": []}, {"budgets": [0]}, {"budgets": ["some"]}, {"budgets": [1, 1]}, {"budgets": [True]},
    {"budgets": [2.5]}, {"epochs": 0}, {"epochs": "many"}, {"head": "transformer"}, {"target": {"nope": 1}},
    {"target": {"dataset": "mnist", "transforms": [{"limit": -1}]}},
])
def test_report_bad_requests_are_4xx(idle, detail, extra):
    fnd = register(idle.ws, "foundation", "enc")
    resp = idle.post("/api/reports", json={"foundation": fnd["id"], **extra})
    assert resp.status_code == 422, (extra, resp.text)
    detail(resp)


def test_reports_list_json_and_plot(idle):
    assert idle.get("/api/reports").json() == []
    fnd = register(idle.ws, "foundation", "enc")
    report = fake_report(fnd["id"])
    folder = save_report(idle.ws, report).parent
    listed = idle.get("/api/reports").json()
    assert [r["id"] for r in listed] == [report["id"]] and listed[0]["foundation_name"] == "enc"
    got = idle.get(f"/api/reports/{report['id']}").json()
    assert [{k: v for k, v in r.items() if v is not None} for r in got["rows"]] == report["rows"]
    assert all(r["semi_supervised"] is None for r in got["rows"]) and got["test_size"] == 100
    png = idle.get(f"/api/reports/{report['id']}/plot.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    (folder / f"{report['id']}.png").unlink()  # a lost plot is drawn again from the JSON
    assert idle.get(f"/api/reports/{report['id']}/plot.png").content.startswith(b"\x89PNG")


def test_a_report_plot_is_drawn_for_the_workbench_theme(idle):
    """The dark theme gets a dark plot (its background is the panel's), the light one the stored white plot."""
    import io

    from PIL import Image

    fnd = register(idle.ws, "foundation", "enc")
    report = fake_report(fnd["id"])
    save_report(idle.ws, report)

    def corner(theme: str) -> tuple[int, int, int]:
        resp = idle.get(f"/api/reports/{report['id']}/plot.png", params={"theme": theme})
        assert resp.status_code == 200 and resp.headers["content-type"] == "image/png"
        return Image.open(io.BytesIO(resp.content)).convert("RGB").getpixel((2, 2))

    assert sum(corner("light")) == 765 and sum(corner("dark")) < 200
    bad = idle.get(f"/api/reports/{report['id']}/plot.png", params={"theme": "purple"})
    assert bad.status_code == 422 and "theme" in bad.text


@pytest.mark.parametrize("path", [
    "/api/reports/rep-000000000000", "/api/reports/rep-0123456789AB", "/api/reports/..%2Fregistry.db",
    "/api/reports/..%2F..%2Fetc%2Fpasswd", "/api/reports/rep-0123456789ab%2F..%2F..%2Fregistry.db",
    "/api/reports/rep-000000000000/plot.png", "/api/reports/..%2Fregistry.db/plot.png",
    "/api/reports/rep-0123456789ab.json", "/api/reports/%2E%2E/plot.png",
])
def test_report_ids_that_are_not_there_or_not_ids_are_404(idle, detail, path):
    save_report(idle.ws, fake_report("fnd-000000000000"))
    resp = idle.get(path)
    assert resp.status_code == 404, resp.text
    detail(resp)


def test_get_on_a_post_only_route_is_405_not_404(idle, detail):
    resp = idle.get("/api/pretrain")
    assert resp.status_code == 405 and resp.headers["allow"] == "POST"
    assert "POST" in detail(resp)["message"]
    assert idle.get("/api/nope").status_code == 404


@pytest.mark.slow
def test_pretrain_then_report_through_the_worker(tmp_path):
    """The real worker: a foundation from 200 unlabelled images, then a report for two budgets."""
    from test_jobs import wait_for

    with TestClient(create_app(tmp_path / "ws"), base_url=BASE) as c:
        run = c.post("/api/pretrain", json={"network": {"template": "fast-cnn"}, "end": "flatten", "data": TINY,
                                            "objective": "autoencoder", "name": "enc",
                                            "hparams": {"epochs": 1, "batch_size": 64}}).json()
        done = wait_for(c, run["id"], ("done", "failed", "cancelled"))
        assert done["status"] == "done", done["error"]
        fnd = c.get(f"/api/models/{done['model_id']}").json()
        assert fnd["kind"] == "foundation" and fnd["pretraining"]["labels_used"] is False
        assert [r["id"] for r in c.get("/api/runs").json()] == [run["id"]]  # one pretraining, one run
        rep_run = c.post("/api/reports", json={"foundation": fnd["id"], "target": TINY, "budgets": [1, "all"],
                                               "epochs": 2, "head": "linear"}).json()
        rep_done = wait_for(c, rep_run["id"], ("done", "failed", "cancelled"))
        assert rep_done["status"] == "done", rep_done["error"]
        assert rep_done["progress"] == 1.0 and rep_done["report_id"].startswith("rep-")
        report = c.get(f"/api/reports/{rep_done['report_id']}").json()
        assert [r["budget"] for r in report["rows"]] == [1, "all"]
        assert [r["train_size"] for r in report["rows"]] == [10, 200] and report["test_size"] == 200
        assert [r["id"] for r in c.get("/api/reports").json()] == [report["id"]]
        # a cancel stops a report in the middle of a budget, not after it
        long = c.post("/api/reports", json={"foundation": fnd["id"], "target": TINY, "budgets": ["all"],
                                            "epochs": 1000}).json()
        wait_for(c, long["id"], ("running",))
        time.sleep(2)  # into the training
        t0 = time.monotonic()
        c.post(f"/api/runs/{long['id']}/cancel")
        stopped = wait_for(c, long["id"], ("cancelled", "failed", "done"), timeout=30)
        assert stopped["status"] == "cancelled" and time.monotonic() - t0 < 10
        assert len(c.get("/api/reports").json()) == 1

