"""Every route with good and bad input: good input works, bad input is a 4xx with a message (never a 500)."""
import pytest

MLP = {"template": "mlp"}
BROKEN = {"input": {"shape": [1, 28, 28]},
          "nodes": [{"id": "fc", "type": "Linear", "params": {"out_features": 10}, "inputs": ["input"]},
                    {"id": "x", "type": "NoSuchLayer", "inputs": ["fc"]}]}


def test_health_layers_templates(client, detail):
    assert client.get("/api/health").json()["ok"] is True
    layers = client.get("/api/layers").json()
    assert {"Linear", "Conv2d"} <= {layer["type"] for layer in layers}
    names = [t["name"] for t in client.get("/api/templates").json()]
    assert "example-cnn" in names
    assert client.get("/api/templates/mlp").json()["network"]["nodes"]
    assert "nope" in detail(client.get("/api/templates/nope"))["message"]


def test_analyze_reports_issues_not_errors(client, detail):
    ok = client.post("/api/networks/analyze", json=MLP).json()
    assert ok["ok"] and ok["total_params"] > 0 and ok["output_shape"] == [10]
    bad = client.post("/api/networks/analyze", json=BROKEN)
    assert bad.status_code == 200
    assert not bad.json()["ok"] and any(i["node"] == "x" for i in bad.json()["issues"])
    unknown = client.post("/api/networks/analyze", json={
        "input": {"shape": [1, 28, 28]},
        "nodes": [{"id": "b", "type": "Foundation", "params": {"ref": "fnd-000000000000"}, "inputs": ["input"]}]})
    assert unknown.status_code == 200 and not unknown.json()["ok"]
    assert client.post("/api/networks/analyze", json=[1, 2]).status_code == 422


def test_saved_networks_crud(client, detail):
    made = client.post("/api/networks", json={"name": "mine", "network": BROKEN})
    assert made.status_code == 201
    nid = made.json()["id"]
    assert client.get(f"/api/networks/{nid}").json()["network"] == BROKEN
    assert client.put(f"/api/networks/{nid}", json={"name": "renamed", "network": BROKEN}).json()["name"] == "renamed"
    assert [n["id"] for n in client.get("/api/networks").json()] == [nid]
    assert client.delete(f"/api/networks/{nid}").status_code == 204
    assert client.get(f"/api/networks/{nid}").status_code == 404
    assert client.post("/api/networks", json={"network": BROKEN}).status_code == 422


@pytest.mark.parametrize("blank", ["\x85", " \t", "\x1c", "\u3000"])   # NEL and U+001C are str.strip()'s too
def test_a_name_of_white_space_only_is_refused_naming_the_field(client, detail, blank):
    """The fuzzer's find: a name the registry refuses got through the request's check and answered 500."""
    nid = client.post("/api/networks", json={"name": "kept", "network": BROKEN}).json()["id"]
    for method, path, body in [("post", "/api/networks", {"name": blank, "network": BROKEN}),
                               ("put", f"/api/networks/{nid}", {"name": blank, "network": BROKEN}),
                               ("post", "/api/workflows", {"yaml": "steps: []", "name": blank})]:
        resp = getattr(client, method)(path, json=body)
        assert resp.status_code == 422, (method, path, resp.text)
        assert detail(resp)["issues"][0]["field"] == "body.name"
    assert client.get(f"/api/networks/{nid}").json()["name"] == "kept"


@pytest.mark.parametrize("path", [
    "/api/models/..%2F..%2Fetc%2Fpasswd", "/api/models/mdl-000000000000", "/api/runs/run-zzzzzzzzzzzz",
    "/api/evaluations/..", "/api/datasets/..%2Fregistry.db", "/api/datasets/ds-000000000000/samples",
    "/api/networks/%2E%2E", "/api/workflows/wf-0000000000000", "/api/models/mdl-000000000000/lineage",
    "/assets/..%2F..%2Fpyproject.toml", "/api/nope"])
def test_unknown_and_traversal_ids_are_404(client, detail, path):
    resp = client.get(path)
    assert resp.status_code == 404, resp.text
    detail(resp)


def test_runs_validate_before_queueing(client, detail):
    bad = client.post("/api/runs", json={"network": BROKEN, "data": "mnist"})
    assert bad.status_code == 422
    assert any(i.get("node") == "x" for i in detail(bad)["issues"])
    assert client.post("/api/runs", json={"network": MLP, "data": {"dataset": "mnist", "transforms": [{"nope": 1}]}}
                       ).status_code == 422
    assert client.post("/api/runs", json={"network": MLP, "hparams": {"epochs": 0}}).status_code == 422
    assert client.post("/api/runs", json={"network": MLP, "data": 5}).status_code == 422
    assert client.post("/api/runs/run-000000000000/cancel").status_code == 404
    assert client.get("/api/runs").json() == []


def test_datasets_builtin_rows_and_images(client, detail):
    names = [d["id"] for d in client.get("/api/datasets").json()]
    assert "mnist" in names
    assert client.get("/api/datasets/mnist").json()["classes"][0] == "0"
    page = client.get("/api/datasets/mnist/samples", params={"split": "test", "limit": 3, "label": 7}).json()
    assert len(page["rows"]) == 3 and {r["label"] for r in page["rows"]} == {7} and not page["eof"]
    png = client.get(page["rows"][0]["image_url"])
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    assert client.get("/api/datasets/mnist/images/99999.png?split=test").status_code == 404
    assert client.get("/api/datasets/mnist/samples?split=bogus").status_code == 422


def test_models_and_evaluations_bad_input(client, detail):
    assert client.get("/api/models").json() == []
    assert client.get("/api/models?kind=weird").status_code == 422
    assert client.post("/api/models/mdl-000000000000/slice", json={"end": "flatten"}).status_code == 404
    assert client.post("/api/evaluations", json={"model": "mdl-000000000000"}).status_code == 404
    assert client.post("/api/evaluations", json={}).status_code == 422
    assert client.get("/api/evaluations/ev-000000000000/samples").status_code == 404


WORKFLOW = """format: graft.workflow/v1
name: tiny
steps:
  - {name: base, kind: train, network: {template: mlp}, data: {dataset: mnist, transforms: [{limit: 200}]}, epochs: 1}
"""


def test_workflows(client, detail):
    made = client.post("/api/workflows", json={"yaml": WORKFLOW})
    assert made.status_code == 201, made.text
    wid = made.json()["id"]
    assert made.json()["document"]["name"] == "tiny"
    assert client.get(f"/api/workflows/{wid}").json()["yaml"] == WORKFLOW
    bad = client.put(f"/api/workflows/{wid}", json={"yaml": "steps: [{kind: fly}]"})
    assert bad.status_code == 422
    assert client.post("/api/workflows", json={"yaml": "a: [unclosed"}).status_code == 422
    assert client.post(f"/api/workflows/{wid}/run", json={"step": "nope"}).status_code == 422


def test_spa_page_when_not_built(client, detail):
    resp = client.get("/some/client/route")
    assert resp.status_code == 200 and "graft" in resp.text


def test_semi_supervised_runs_check_their_unlabeled_data_before_queueing(client, detail):
    bad = client.post("/api/runs", json={"network": MLP, "semi_supervised": {"unlabeled": {"dataset": "mnist",
                                                                                  "transforms": [{"nope": 1}]}}})
    assert bad.status_code == 422 and "nope" in detail(bad)["message"]
    odd = client.post("/api/runs", json={"network": MLP, "semi_supervised": {"unlabeled": "mnist", "k": 0}})
    assert odd.status_code == 422
    assert client.get("/api/runs").json() == []


TWO_HEADS = {"name": "two", "input": {"shape": [1, 28, 28]}, "outputs": ["digits", "parity"], "nodes": [
    {"id": "flat", "type": "Flatten", "inputs": ["input"]},
    {"id": "digits", "type": "Linear", "params": {"out_features": 10}, "inputs": ["flat"]},
    {"id": "parity", "type": "Linear", "params": {"out_features": 2}, "inputs": ["flat"]}]}
PARITY = {"relabel": {"map": {str(i): i % 2 for i in range(10)}, "classes": ["even", "odd"]}}


def test_a_run_with_one_data_set_per_head_is_checked_then_queued(client, detail):
    tasks = [{"output": "digits", "data": {"dataset": "mnist", "transforms": [{"limit": 64}]}},
             {"output": "parity", "data": {"dataset": "mnist", "transforms": [{"nope": 1}]}}]
    bad = client.post("/api/runs", json={"network": TWO_HEADS, "tasks": tasks})
    assert bad.status_code == 422 and "nope" in detail(bad)["message"]
    assert client.get("/api/runs").json() == []
    tasks[1]["data"]["transforms"] = [{"limit": 64}, PARITY]
    queued = client.post("/api/runs", json={"network": TWO_HEADS, "tasks": tasks, "hparams": {"epochs": 1}})
    assert queued.status_code == 202, queued.text
    assert client.post(f"/api/runs/{queued.json()['id']}/cancel").status_code == 200


def test_a_mean_per_channel_that_fits_no_channel_count_is_refused_before_queueing(client, detail):
    bad = client.post("/api/runs", json={"network": MLP, "data": {"dataset": "mnist", "mean": [0.5, 0.5, 0.5],
                                                                   "std": [0.2, 0.2, 0.2]}})
    assert bad.status_code == 422
    assert "data.mean" in detail(bad)["message"] and "found 3" in detail(bad)["message"]
    assert client.get("/api/runs").json() == []
