"""Each request must refer to things of the right kind: an id of another kind (a data set where a model is
expected, a model where data is expected) gets a 4xx that names what was given and what is expected, and nothing
is queued. (Evaluating a foundation: tests/server/test_evaluate_rules.py.)"""
import pytest

from graft.spec.templates import get_template

DS, MDL, FND, RUN = "ds-0123456789ab", "mdl-0123456789ab", "fnd-0123456789ab", "run-0123456789ab"
NET = {"template": "mlp"}


@pytest.mark.parametrize("method, path, body, given, expected", [
    ("post", f"/api/models/{DS}/slice", {"end": "fc1"}, "a data set", "a model or a foundation id"),
    ("get", f"/api/models/{RUN}", None, "a run", "a model or a foundation id"),
    ("get", f"/api/models/{DS}/export", None, "a data set", "a model or a foundation id"),
    ("get", f"/api/datasets/{MDL}", None, "a model", "a data set id"),
    ("get", f"/api/datasets/{FND}/samples", None, "a foundation", "a data set id"),
    ("get", f"/api/runs/{MDL}", None, "a model", "a run id"),
    ("post", f"/api/runs/{DS}/cancel", None, "a data set", "a run id"),
    ("get", f"/api/evaluations/{RUN}", None, "a run", "an evaluation id"),
    ("post", "/api/evaluations", {"model": DS, "data": "mnist"}, "a data set", "a model or a foundation id"),
])
def test_an_id_of_another_kind_in_a_path_or_a_model_field(client, detail, method, path, body, given, expected):
    resp = getattr(client, method)(path, **({"json": body} if body is not None else {}))
    assert resp.status_code == 404, resp.text
    message = detail(resp)["message"]
    assert f"that is {given} id" in message and f"expected {expected}" in message, message


@pytest.mark.parametrize("route, body", [
    ("/api/runs", {"network": NET, "data": MDL}),
    ("/api/runs", {"network": NET, "data": {"dataset": FND, "transforms": [{"limit": 10}]}}),
    ("/api/runs", {"network": NET, "data": "mnist", "semi_supervised": {"unlabeled": {"dataset": RUN}}}),
    ("/api/evaluations", {"model": "REGISTERED", "data": {"dataset": MDL}}),
    ("/api/pretrain", {"network": NET, "data": {"dataset": FND}}),
])
def test_a_record_of_another_kind_given_as_data(app, client, detail, route, body):
    if body.get("model") == "REGISTERED":   # a classifier that is there (its weights are never read)
        spec = get_template("mlp")
        body = {**body, "model": app.state.ws.models.register({"name": "m", "spec": spec}, {})["id"]}
    resp = client.post(route, json=body)
    assert resp.status_code == 422, resp.text
    message = detail(resp)["message"]
    given = next(v for v in (MDL, FND, RUN) if v in str(body))
    kind = {MDL: "a model", FND: "a foundation", RUN: "a run"}[given]
    assert f"{given} is {kind} id" in message and "expected a data set" in message and "ds-" in message
    assert client.get("/api/runs").json() == []   # nothing was queued


def test_data_that_is_not_there_is_refused_before_queueing(client, detail):
    resp = client.post("/api/runs", json={"network": NET, "data": DS})
    assert resp.status_code == 422 and f"no imported data set with id {DS} in this workspace" in detail(resp)["message"]
    resp = client.post("/api/runs", json={"network": NET, "data": "mnits"})
    assert resp.status_code == 422
    assert "unknown data set" in detail(resp)["message"] and "mnist" in detail(resp)["message"]
    assert client.get("/api/runs").json() == []
