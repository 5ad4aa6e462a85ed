"""Registry records: models and lineage, runs, datasets, evaluations, workflows, networks, step cache."""
from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from graft.store import NotFound, Workspace

SPEC = {"input": {"shape": [1, 28, 28]}, "nodes": [{"id": "flat", "type": "Flatten", "inputs": ["input"]}]}


def model(ws, name="m", **fields):
    return ws.register_model({"name": name, "spec": SPEC, **fields}, {"weights.safetensors": b"w" + name.encode()})


def test_workspace_layout(ws):
    for folder in ("artifacts", "tmp", "cache"):
        assert (ws.root / folder).is_dir()
    assert ws.cache_dir == ws.root / "cache"
    run = ws.create_run("train", {})
    assert ws.run_dir(run["id"]) == ws.root / "runs" / run["id"] and ws.run_dir(run["id"]).is_dir()
    with pytest.raises(NotFound):
        ws.run_dir("../../etc")
    if ws.engine.dialect.name == "sqlite":
        assert (ws.root / "registry.db").is_file()


def test_register_and_read_a_model(ws):
    record = model(ws, "cnn", hparams={"lr": 0.001}, metrics={"history": [{"epoch": 1, "loss": 0.3}]},
                   params=1234, input_shape=[1, 28, 28], output_shape=[10], versions={"torch": "2"},
                   block_sha256={"head": "ab" * 32}, description="first")
    assert record["id"].startswith("mdl-") and record["kind"] == "model"
    assert ws.get_model(record["id"]) == record
    assert record["spec"] == SPEC and record["metrics"]["history"][0]["loss"] == 0.3
    assert record["foundation_ids"] == [] and record["parent_id"] is None
    json.dumps(record)  # plain JSON-able dict
    assert record["created_at"].endswith("+00:00")
    path = ws.model_path(record["id"], "weights.safetensors")
    assert path.read_bytes() == b"wcnn" and path.parent == ws.root / "artifacts" / record["id"]
    assert not list(ws.tmp.iterdir())


def test_list_models_by_kind_newest_first(ws):
    first = model(ws, "a")
    fnd = model(ws, "f", kind="foundation", parent_id=first["id"])
    second = model(ws, "b")
    assert fnd["id"].startswith("fnd-")
    assert [m["id"] for m in ws.list_models()] == [second["id"], fnd["id"], first["id"]]
    assert [m["id"] for m in ws.list_models(kind="foundation")] == [fnd["id"]]
    with pytest.raises(ValueError, match="kind"):
        ws.list_models(kind="weird")


def test_fields_without_a_column_are_kept(ws):
    record = model(ws, slice={"start": None, "end": "flatten", "kept": ["conv1", "flatten"]})
    assert record["slice"]["end"] == "flatten" and "extra" not in record
    assert ws.list_models()[0]["slice"] == record["slice"]


def test_register_refuses_bad_records(ws):
    with pytest.raises(ValueError, match="plain JSON"):
        ws.register_model({"name": "x", "spec": SPEC, "colour": {1, 2}}, {})
    with pytest.raises(ValueError, match="'extra' is reserved"):
        ws.register_model({"name": "x", "spec": SPEC, "extra": {}}, {})
    with pytest.raises(ValueError, match="name"):
        ws.register_model({"spec": SPEC}, {})
    with pytest.raises(ValueError, match="id must be fnd-"):
        ws.register_model({"name": "x", "spec": SPEC, "kind": "foundation", "id": "mdl-0123456789ab"}, {})
    with pytest.raises(ValueError, match=r"foundation_ids\[0\]"):
        ws.register_model({"name": "x", "spec": SPEC, "foundation_ids": ["../etc"]}, {})
    with pytest.raises(ValueError, match="artifact file name"):
        ws.register_model({"name": "x", "spec": SPEC}, {"../escape": b""})
    assert ws.list_models() == [] and not list(ws.artifacts.iterdir()) and not list(ws.tmp.iterdir())


def test_parent_must_exist(ws):
    with pytest.raises(ValueError, match="parent_id: no model with id 'mdl-0123456789ab'"):
        model(ws, parent_id="mdl-0123456789ab")
    with pytest.raises(ValueError, match="run_id: no run with id"):
        model(ws, run_id="run-0123456789ab")
    assert ws.list_models() == [] and not list(ws.artifacts.iterdir())


def test_lineage(ws):
    base = model(ws, "base")
    fnd = model(ws, "fnd", kind="foundation", parent_id=base["id"])
    head = model(ws, "head", foundation_ids=[fnd["id"]])
    tuned = model(ws, "tuned", parent_id=head["id"])
    other = model(ws, "other")
    ids = lambda records: [r["id"] for r in records]  # noqa: E731
    assert ids(ws.children(base["id"])) == [fnd["id"]]
    assert ids(ws.children(fnd["id"])) == [head["id"]]
    assert ids(ws.used_by(fnd["id"])) == [head["id"]]
    assert ids(ws.used_by(base["id"])) == []
    assert ids(ws.ancestors(tuned["id"])) == [head["id"], fnd["id"], base["id"]]
    assert ids(ws.descendants(base["id"])) == [fnd["id"], head["id"], tuned["id"]]
    assert ws.ancestors(other["id"]) == [] and ws.descendants(other["id"]) == []


BAD_IDS = ["../x", "mdl-../../etc", "mdl-0123456789ab/../..", "mdl-0123456789AB", "mdl-0123456789ab\n", "", None,
           "run-0123456789ab", 42]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_malformed_ids_are_not_found(ws, bad):
    for call in (ws.get_model, ws.children, ws.ancestors, ws.descendants, ws.used_by, ws.model_dir,
                 lambda i: ws.model_path(i, "weights.safetensors")):
        with pytest.raises(NotFound):
            call(bad)
    for call in (ws.get_dataset, ws.get_evaluation, ws.get_workflow, ws.get_network, ws.get_run,
                 ws.load_predictions, ws.delete_workflow, lambda i: ws.update_run(i, status="done")):
        with pytest.raises(NotFound):
            call(bad)


def test_missing_records_and_files_are_not_found(ws):
    with pytest.raises(NotFound, match="no model with id 'mdl-0123456789ab'"):
        ws.get_model("mdl-0123456789ab")
    m = model(ws)
    for name in ("absent.bin", "../registry.db", ".."):
        with pytest.raises(NotFound):
            ws.model_path(m["id"], name)
    assert isinstance(NotFound("model", "x"), KeyError)


def test_run_lifecycle(ws):
    run = ws.create_run("train", {"network": SPEC, "epochs": 2}, name="cnn", seed=7)
    assert run["status"] == "queued" and run["started_at"] is None and run["seed"] == 7
    running = ws.update_run(run["id"], status="running", progress={"epoch": 1, "step": 10})
    assert running["started_at"] and running["progress"] == {"epoch": 1, "step": 10}
    again = ws.update_run(run["id"], status="running", history=[{"epoch": 1, "loss": 0.5}])
    assert again["started_at"] == running["started_at"]  # first start kept
    m = model(ws, run_id=run["id"])
    done = ws.update_run(run["id"], status="done", model_id=m["id"], checkpoint="cache/run/ckpt.pt")
    assert done["finished_at"] and done["model_id"] == m["id"] and done["checkpoint"] == "cache/run/ckpt.pt"
    assert [r["id"] for r in ws.list_runs(status="done")] == [run["id"]]
    assert ws.list_runs(status="queued") == []
    backdated = ws.update_run(run["id"], started_at="2024-01-02T03:04:05+00:00")
    assert backdated["started_at"] == "2024-01-02T03:04:05+00:00"
    with pytest.raises(ValueError, match="status must be one of"):
        ws.update_run(run["id"], status="exploded")
    with pytest.raises(ValueError, match="cannot be updated"):
        ws.update_run(run["id"], created_at="now")
    for bad in ("/etc/passwd", "../up", "a/../../b"):
        with pytest.raises(ValueError, match="relative to the workspace"):
            ws.update_run(run["id"], checkpoint=bad)


def test_datasets(ws):
    ds = ws.add_dataset({"name": "digits", "kind": "npz", "classes": ["0", "1"], "sizes": {"train": 2},
                         "fingerprint": "f" * 64, "stats": {"mean": 0.1}}, {"train.npz": b"data"})
    assert ds["id"].startswith("ds-") and ws.list_datasets() == [ds]
    assert ws.dataset_path(ds["id"], "train.npz").read_bytes() == b"data"
    assert ws.dataset_dir(ds["id"]) == ws.root / "artifacts" / ds["id"]


def test_evaluations_keep_predictions_without_pickle(ws):
    m = model(ws)
    preds = {"label": np.array([1, 2, 3]), "pred": np.array([1, 2, 0]), "confidence": np.array([0.9, 0.8, 0.4])}
    ev = ws.add_evaluation({"model_id": m["id"], "data": {"dataset": "mnist", "split": "test"},
                            "summary": {"total": 3, "hit": 2, "accuracy": 2 / 3}}, predictions=preds)
    assert ev["id"].startswith("ev-") and ws.get_evaluation(ev["id"])["summary"]["hit"] == 2
    loaded = ws.load_predictions(ev["id"])
    assert set(loaded) == set(preds) and np.array_equal(loaded["pred"], preds["pred"])
    assert [e["id"] for e in ws.list_evaluations(model_id=m["id"])] == [ev["id"]]
    with pytest.raises(ValueError, match="dtype object"):
        ws.add_evaluation({"model_id": m["id"], "summary": {}}, predictions={"x": np.array([{"a": 1}], dtype=object)})
    with pytest.raises(NotFound):
        ws.add_evaluation({"model_id": "mdl-0123456789ab", "summary": {}})
    with_file = ws.add_evaluation({"model_id": m["id"], "summary": {}}, {"samples.npz": ws.evaluation_path(
        ev["id"], "predictions.npz")})
    assert ws.load_predictions(with_file["id"], "samples.npz")["label"].tolist() == [1, 2, 3]


def test_workflows_and_networks_crud(ws):
    wf = ws.create_workflow("mnist", "name: mnist\nsteps: []\n")
    updated = ws.update_workflow(wf["id"], yaml="name: mnist\nsteps: [a]\n")
    assert updated["yaml"].endswith("[a]\n") and updated["updated_at"] >= wf["updated_at"]
    assert [w["id"] for w in ws.list_workflows()] == [wf["id"]]
    ws.delete_workflow(wf["id"])
    with pytest.raises(NotFound):
        ws.get_workflow(wf["id"])
    net = ws.create_network("drawing", SPEC)
    assert ws.update_network(net["id"], name="renamed")["name"] == "renamed"
    assert ws.get_network(net["id"])["spec"] == SPEC
    ws.delete_network(net["id"])
    assert ws.list_networks() == []


def test_step_cache(ws):
    key = hashlib.sha256(b"step").hexdigest()
    assert ws.get_step(key) is None
    ws.put_step(key, {"model": "mdl-0123456789ab"})
    ws.put_step(key, {"model": "mdl-ba9876543210"})
    assert ws.get_step(key) == {"model": "mdl-ba9876543210"}
    with pytest.raises(ValueError, match="sha256"):
        ws.get_cached_step("../../etc/passwd")


def test_records_survive_reopening(ws, db_url):
    m = model(ws)
    run = ws.create_run("train", {})
    ws.close()
    with Workspace(ws.root, db_url=db_url) as again:
        assert again.get_model(m["id"]) == m
        assert again.get_run(run["id"])["status"] == "queued"  # this process still owns it


def test_db_url_from_environment(tmp_path, db_url, monkeypatch):
    url = db_url or f"sqlite:///{tmp_path / 'elsewhere.db'}"
    monkeypatch.setenv("GRAFT_DB_URL", url)
    with Workspace(tmp_path / "env") as w:
        m = model(w)
        assert not (tmp_path / "env" / "registry.db").exists()
    with Workspace(tmp_path / "env", db_url=url) as w:
        assert w.get_model(m["id"])["name"] == "m"
