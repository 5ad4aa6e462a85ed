"""Over HTTP: a data set's new version, fix-and-retrain as a run (the real worker), and the comparison."""
import time

import pytest

from graft.ops import train_model
from graft.ops.evaluate import evaluate_model

SUBSET = {"dataset": "mnist", "transforms": [{"limit": 150}]}


def wait_for(client, run_id, statuses, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.get(f"/api/runs/{run_id}").json()
        if run["status"] in statuses:
            return run
        time.sleep(0.3)
    raise AssertionError(f"run {run_id} still {run['status']} after {timeout} s: {run}")


def test_edit_makes_a_version_and_refusals_are_4xx_naming_the_field(client, detail):
    resp = client.post("/api/datasets/mnist/edit", json={"relabel": [{"index": 12, "label": "7"}], "exclude": [40]})
    assert resp.status_code == 201, resp.text
    rec = resp.json()
    assert rec["parent"] == "mnist" and rec["sizes"]["train"] == 59999 and not rec["builtin"]
    assert client.get(f"/api/datasets/{rec['id']}").json()["edits"]["relabeled"] == 1
    listed = len(client.get("/api/datasets").json())
    resp = client.post("/api/datasets/mnist/edit", json={"exclude": [60000]})
    assert resp.status_code == 422
    assert detail(resp)["message"] == "exclude[0]: expected a row of train from 0 to 59999, found 60000"
    resp = client.post(f"/api/datasets/{rec['id']}/edit", json={"relabel": [{"index": 1, "label": "dog"}]})
    assert resp.status_code == 422 and "relabel[0].label: expected a class of" in detail(resp)["message"]
    assert "found 'dog'" in detail(resp)["message"]
    assert client.post("/api/datasets/ds-000000000000/edit", json={"exclude": [1]}).status_code == 404
    assert len(client.get("/api/datasets").json()) == listed         # nothing registered by a refusal


@pytest.mark.slow
def test_fix_and_retrain_runs_and_compares(app, client, detail):
    ws = app.state.ws
    model = train_model(ws, {"template": "mlp"}, SUBSET, {"epochs": 1}, name="m", progress_bar=False)
    ev = evaluate_model(ws, model["id"], SUBSET, split="train")
    resp = client.post("/api/retrain", json={"evaluation": ev["id"]})
    assert resp.status_code == 422 and "relabel, exclude" in detail(resp)["message"]
    resp = client.post("/api/retrain", json={"evaluation": ev["id"], "relabel": [{"index": 3, "label": 7}],
                                             "exclude": [4], "epochs": 1})
    assert resp.status_code == 202
    run = wait_for(client, resp.json()["id"], ("done", "failed"))
    assert run["status"] == "done", run["error"]
    result = run["result"]
    assert result["previous_evaluation_id"] == ev["id"] and run["evaluation_id"] == result["evaluation_id"]
    assert run["history"] and run["history"][0]["epoch"] == 1          # the training's epoch row is the run's
    c = client.get("/api/evaluations/compare", params={"a": ev["id"], "b": result["evaluation_id"]}).json()
    assert c["matched"] == 149 and c["a"]["total"] == 150 and c["b"]["total"] == 149
    relabelled = [s for s in c["changed"] if s["row"] == 3]      # its label changed, so it is listed
    assert relabelled and relabelled[0]["b_label"] == "7" and relabelled[0]["a_label"] == "1" and all(s["row"] != 4 for s in c["changed"])
    assert client.get("/api/evaluations/compare", params={"a": ev["id"], "b": "ev-000000000000"}).status_code == 404


def test_retrain_from_a_test_split_evaluation_is_refused_before_queueing(app, client, detail):
    ws = app.state.ws
    model = train_model(ws, {"template": "mlp"}, {"dataset": "mnist", "transforms": [{"limit": 64}]}, {"epochs": 1},
                        name="m", progress_bar=False)
    ev = evaluate_model(ws, model["id"], {"dataset": "mnist", "transforms": [{"limit": 20}]}, split="test")
    resp = client.post("/api/retrain", json={"evaluation": ev["id"], "exclude": [1]})
    assert resp.status_code == 422
    assert "ran on the test split of mnist" in detail(resp)["message"]
    assert "expected an evaluation on the data it trained on" in detail(resp)["message"]
    assert not [r for r in client.get("/api/runs").json() if r["kind"] == "retrain"]
    assert client.post("/api/retrain", json={"evaluation": "ev-000000000000", "exclude": [1]}).status_code == 404
