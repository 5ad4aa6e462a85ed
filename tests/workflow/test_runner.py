import copy

import pytest

from graft.store import Workspace
from graft.workflow import run_workflow


@pytest.fixture
def workflow(tiny_cnn, tiny_data):
    head = {"input": {"shape": [1, 28, 28]}, "nodes": [
        {"id": "base", "type": "Foundation", "params": {"ref": {"step": "foundation"}, "frozen": True},
         "inputs": ["input"]},
        {"id": "fc", "type": "Linear", "params": {"out_features": 10}, "inputs": ["base"]},
    ]}
    test_data = {"dataset": "mnist", "split": "test", "transforms": [{"limit": 300}]}
    return {"name": "tiny-transfer", "steps": [
        {"name": "base", "kind": "train", "network": tiny_cnn, "data": tiny_data, "epochs": 2, "lr": 0.01},
        {"name": "foundation", "kind": "slice", "model": {"step": "base"}, "start": "conv1", "end": "flatten"},
        {"name": "head", "kind": "train", "network": head, "data": tiny_data, "epochs": 1, "lr": 0.01},
        {"name": "test", "kind": "evaluate", "model": {"step": "head"}, "data": test_data},
        {"name": "view", "kind": "view", "source": {"step": "test"}, "page_size": 50},
    ]}


def statuses(report):
    return {s["name"]: s["status"] for s in report["steps"]}


def test_seed_pipeline_runs_and_reports_the_contract(tmp_path, workflow):
    ws = Workspace(tmp_path / "ws")
    report = run_workflow(ws, workflow, progress_bar=False)
    assert set(statuses(report).values()) == {"done"}
    steps = {s["name"]: s for s in report["steps"]}
    for s in report["steps"]:
        assert {"name", "kind", "status", "seconds", "result"} <= set(s)
    ev = steps["test"]["result"]
    assert ev["total"] == 300 and isinstance(ev["hit"], int) and 0 <= ev["hit"] <= 300
    assert ev["accuracy"] == pytest.approx(ev["hit"] / 300)
    assert sum(c["total"] for c in ev["per_class"]) == 300
    assert sum(map(sum, ev["confusion"])) == 300
    assert sum(ev["confusion"][i][i] for i in range(10)) == ev["hit"]
    # the frozen foundation is byte-identical in the model it came from and in the grafted model
    assert steps["head"]["result"]["block_sha256"]["base"] == \
        steps["foundation"]["result"]["block_sha256"]["foundation"]
    assert steps["view"]["result"]["total"] == 300
    # every run the workflow started records the workflow's hash, its seed and the data fingerprint
    runs = ws.list_runs(kind="train")
    assert len(runs) == 2 and len({r["workflow_hash"] for r in runs}) == 1 and runs[0]["workflow_hash"]
    assert all(r["seed"] == 0 for r in runs)
    head = ws.get_model(steps["head"]["result"]["id"])
    assert head["data_fingerprint"] and head["versions"]["torch"]


def test_second_run_is_all_cached_and_a_change_reruns_only_what_follows(tmp_path, workflow):
    ws = Workspace(tmp_path / "ws")
    first = run_workflow(ws, workflow, progress_bar=False)
    second = run_workflow(ws, workflow, progress_bar=False)
    assert set(statuses(second).values()) == {"cached"}
    assert [s["result"] for s in second["steps"]] == [s["result"] for s in first["steps"]]

    changed = copy.deepcopy(workflow)
    changed["steps"][2]["lr"] = 0.02
    third = run_workflow(ws, changed, progress_bar=False)
    assert statuses(third) == {"base": "cached", "foundation": "cached", "head": "done", "test": "done",
                               "view": "done"}


def test_one_step_runs_with_what_it_needs(tmp_path, workflow):
    ws = Workspace(tmp_path / "ws")
    report = run_workflow(ws, workflow, only="foundation", progress_bar=False)
    assert statuses(report) == {"base": "done", "foundation": "done"}
    assert len(ws.list_models()) == 2


def test_a_running_training_step_reports_when_it_started_and_how_far_it_is(tmp_path, tiny_cnn, tiny_data):
    """The Workflow page shows a running step's elapsed time and progress from these events."""
    import time

    events = []
    before = time.time()
    run_workflow(Workspace(tmp_path / "ws"), {"name": "live", "steps": [
        {"name": "base", "kind": "train", "network": tiny_cnn, "data": tiny_data, "epochs": 2, "batch_size": 16}]},
        progress_bar=False, on_event=events.append)
    running = [e for e in events if e["status"] == "running"]
    assert running and before <= running[0]["started_at"] <= time.time()
    fractions = [e["fraction"] for e in running if "fraction" in e]
    assert fractions and all(0 < f <= 1 for f in fractions) and fractions == sorted(fractions)
    assert all(e["epochs"] == 2 and e["started_at"] == running[0]["started_at"] for e in running if "fraction" in e)
    assert events[-1]["status"] == "done"
