"""Only a classifier of the data set's classes is evaluated: a foundation or a mismatched head is refused with a
4xx naming what was given and what is expected; the model list's accuracy is the test accuracy once evaluated."""
import pytest

import graft
from graft.ops import evaluate_model, slice_model, train_model

TINY = {"dataset": "mnist", "transforms": [{"limit": 128}]}
TEST = {"dataset": "mnist", "split": "test", "transforms": [{"limit": 64}]}


@pytest.fixture
def trained(app, tiny_cnn):
    ws = app.state.ws
    model = train_model(ws, tiny_cnn, TINY, {"epochs": 1}, progress_bar=False)
    return ws, model, slice_model(ws, model["id"], end="flatten")


def test_http_refuses_to_evaluate_a_foundation(client, detail, trained):
    ws, _, fnd = trained
    resp = client.post("/api/evaluations", json={"model": fnd["id"], "data": TEST})
    assert resp.status_code == 422
    message = detail(resp)["message"]
    assert fnd["id"] in message and "is a foundation" in message and str(fnd["output_shape"]) in message
    assert "expected a model that outputs one score per class" in message
    assert not [r for r in client.get("/api/runs").json() if r["kind"] == "evaluate"]   # nothing was queued


def test_python_refuses_a_foundation_and_a_head_of_other_classes(trained):
    ws, model, fnd = trained
    with pytest.raises(ValueError, match="is a foundation"):
        graft.evaluate(ws, fnd["id"], TEST)
    two = {**TEST, "transforms": [{"relabel": {"map": {i: i % 2 for i in range(10)}, "classes": ["even", "odd"]}},
                                  {"limit": 64}]}
    with pytest.raises(ValueError, match=r"outputs 10 scores but data set mnist has 2 classes"):
        evaluate_model(ws, model["id"], two)
    assert ws.list_evaluations() == []


def test_models_list_shows_the_test_accuracy_once_evaluated(client, trained):
    ws, model, _ = trained
    listed = {m["id"]: m for m in client.get("/api/models").json()}
    assert listed[model["id"]]["accuracy_source"] == "train"
    assert listed[model["id"]]["accuracy"] == model["metrics"]["train_accuracy"]
    ev = evaluate_model(ws, model["id"], TEST)
    listed = {m["id"]: m for m in client.get("/api/models").json()}
    assert (listed[model["id"]]["accuracy"], listed[model["id"]]["accuracy_source"]) == (ev["accuracy"], "test")
    node = client.get(f"/api/models/{model['id']}/lineage").json()["model"]
    assert (node["accuracy"], node["accuracy_source"]) == (ev["accuracy"], "test")
    # the list of past evaluations leaves out the tables that one evaluation's page reads
    past = client.get("/api/evaluations").json()[0]
    assert past["accuracy"] == ev["accuracy"] and past["confusion"] == [] and past["per_class"] == []
    assert len(client.get(f"/api/evaluations/{ev['id']}").json()["confusion"]) == 10


def test_samples_filter_mistakes_and_sort_by_confidence(client, trained):
    ws, model, _ = trained
    ev = evaluate_model(ws, model["id"], TEST)
    url = f"/api/evaluations/{ev['id']}/samples"
    wrong = client.get(url, params={"wrong": True, "limit": 1000}).json()
    assert wrong["total"] == ev["total"] - ev["hit"] and all(not r["hit"] for r in wrong["rows"])
    least = [r["confidence"] for r in client.get(url, params={"sort": "confidence", "limit": 1000}).json()["rows"]]
    assert least == sorted(least) and len(least) == ev["total"]
    most = client.get(url, params={"sort": "-confidence", "limit": 5}).json()["rows"]
    assert [r["confidence"] for r in most] == sorted(least, reverse=True)[:5]
    assert client.get(url, params={"sort": "loudness"}).status_code == 422


def test_a_bad_request_field_is_said_in_plain_words(client, detail):
    resp = client.post("/api/runs", json={"network": {"template": "mlp"}, "hparams": {"epochs": "ab"}})
    assert resp.status_code == 422
    assert detail(resp)["message"] == "invalid request: body.hparams.epochs: expected a whole number, found 'ab'"
