"""The transfer examples parse, and their shape runs end to end when shrunk (the full runs take minutes)."""
import copy
from pathlib import Path

import pytest

from graft.data import list_builtin
from graft.spec.io import load_document
from graft.store import Workspace
from graft.workflow import parse_workflow, run_workflow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TRANSFER = ["digits_0-4_to_5-9.yaml", "odd_even_100.yaml", "mnist_to_fashion.yaml", "ssl_10_labels.yaml",
            "ssl_1_label.yaml", "fashion_ssl.yaml"]


def load(name: str) -> dict:
    """As `graft run` reads it (no YAML aliases, no tags)."""
    return load_document((EXAMPLES / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", TRANSFER)
def test_example_parses_and_ends_with_a_scratch_baseline(name):
    wf = parse_workflow(load(name))
    evaluates = [s for s in wf.steps if s.kind == "evaluate"]
    assert evaluates and evaluates[-1] is wf.steps[-1]
    assert all(s.scratch_baseline for s in evaluates)
    heads = [s for s in wf.steps if s.kind == "train" and any(n.get("type") == "Foundation"
                                                              for n in s.network["nodes"])]
    assert heads and all(n["params"]["frozen"] for h in heads for n in h.network["nodes"]
                         if n["type"] == "Foundation")


@pytest.mark.parametrize("name", ["ssl_10_labels.yaml", "ssl_1_label.yaml", "fashion_ssl.yaml"])
def test_the_ssl_examples_read_no_labels_before_their_heads_and_self_train(name):
    wf = parse_workflow(load(name))
    assert wf.steps[0].kind == "pretrain" and wf.steps[0].objective == "simclr"
    semi = [s.semi_supervised for s in wf.steps if s.kind == "train" and s.semi_supervised]
    assert semi and all(s.finetune_epochs > 0 for s in semi)


def shrink(doc: dict) -> dict:
    """The same steps on a few hundred images for one or two epochs."""
    doc = copy.deepcopy(doc)
    for step in doc["steps"]:
        if step["kind"] in ("train", "pretrain"):
            step["epochs"] = min(step.get("epochs", 1), 2)
            data = step.get("data", "mnist")
            data = {"dataset": data} if isinstance(data, str) else data
            data["transforms"] = [*(data.get("transforms") or []), {"limit": 300}]
            step["data"] = data
        if step.get("semi_supervised"):
            step["semi_supervised"]["unlabeled"] = {"dataset": "mnist", "transforms": [{"limit": 300}]}
        if step["kind"] == "evaluate":
            step["data"]["transforms"] = [*(step["data"].get("transforms") or []), {"limit": 200}]
    return doc


@pytest.mark.slow
def test_shrunk_ssl_example_reports_accuracy_and_scratch_accuracy_and_caches(tmp_path):
    ws = Workspace(tmp_path / "ws")
    doc = shrink(load("ssl_10_labels.yaml"))
    for step in doc["steps"]:
        if step["name"] in ("head10_supervised", "head10"):
            step["data"]["transforms"] = [{"per_class": 3, "seed": 0}]     # 300 images lack 10 per class
    report = run_workflow(ws, doc, progress_bar=False)
    steps = {s["name"]: s for s in report["steps"]}
    encoder = steps["encoder"]["result"]
    assert encoder["model_kind"] == "foundation" and set(encoder["block_sha256"]) == {"foundation"}
    for name in ("test10",):
        res = steps[name]["result"]
        assert 0.0 <= res["accuracy"] <= 1.0 and 0.0 <= res["scratch_accuracy"] <= 1.0
        assert res["total"] == 200 and res["scratch_model_id"] != res["model_id"]
    head = ws.get_model(steps["head10"]["result"]["id"])
    assert head["block_sha256"]["base"] != encoder["block_sha256"]["foundation"]    # self-training moved it
    assert head["metrics"]["pseudo_labels"]["count"] == 300 and head["semi_supervised"]["k"] == 10
    assert [r["round"] for r in head["metrics"]["self_training"]] == [1, 2, 3]
    again = run_workflow(ws, doc, progress_bar=False)
    assert {s["status"] for s in again["steps"]} == {"cached"}


def test_scratch_baseline_can_train_for_other_epochs(tmp_path, tiny_data):
    ws = Workspace(tmp_path / "ws")
    doc = shrink(load("odd_even_100.yaml"))
    doc["steps"][2]["data"]["transforms"][1] = {"per_class": 20, "seed": 0}
    doc["steps"][2]["data"]["transforms"].pop()      # no limit: 20 per class
    doc["steps"][-1]["scratch_baseline"] = {"epochs": 1}
    report = run_workflow(ws, doc, progress_bar=False)
    res = report["steps"][-1]["result"]
    assert res["scratch_epochs"] == 1 and ws.get_model(res["scratch_model_id"])["hparams"]["epochs"] == 1
    assert ws.get_model(res["model_id"])["hparams"]["epochs"] == 2


def test_the_multitask_example_ends_with_a_synergy_step_of_three_tasks_on_one_foundation():
    wf = parse_workflow(load("multitask_synergy.yaml"))
    last = wf.steps[-1]
    assert last.kind == "synergy" and last.foundation.step == "foundation"
    assert [(t.name, t.per_class) for t in last.tasks] == [("digits", 100), ("fashion", 100), ("parity", 20)]


@pytest.mark.skipif(not any(d["available"] for d in list_builtin() if d["name"] == "fashion-mnist"),
                    reason="Fashion-MNIST is not on this machine (Debian package dataset-fashion-mnist)")
def test_shrunk_multitask_example_ends_with_accuracy_and_alone_accuracy_per_task(tmp_path):
    """The example's own steps (base CNN, slice, synergy of three tasks) on a few images for one epoch."""
    ws = Workspace(tmp_path / "ws")
    doc = load("multitask_synergy.yaml")
    base = doc["steps"][0]
    base["data"] = {"dataset": base["data"], "transforms": [{"limit": 200}]}
    synergy = doc["steps"][-1]
    synergy["epochs"] = 1
    for task in synergy["tasks"]:
        data = {"dataset": task["data"]} if isinstance(task["data"], str) else task["data"]
        data["transforms"] = [{"limit": 300}, *(data.get("transforms") or [])]
        task["data"], task["per_class"] = data, 2
    import torch
    threads = torch.get_num_threads()
    report = run_workflow(ws, doc, progress_bar=False)
    assert torch.get_num_threads() == threads        # the step's `threads: 1` held for the report only
    result = report["steps"][-1]["result"]
    assert set(result["tasks"]) == {"digits", "fashion", "parity"}
    for name, task in result["tasks"].items():
        assert 0.0 <= task["accuracy"] <= 1.0 and 0.0 <= task["alone_accuracy"] <= 1.0, name
        assert task["difference"] == pytest.approx(task["accuracy"] - task["alone_accuracy"], abs=1e-6)
        assert task["test_size"] == 300
    stored = ws.reports.get(result["id"])
    assert stored["hparams"]["threads"] == 1 and stored["epochs"] == 1
    assert {r["name"]: r["train_size"] for r in stored["rows"]} == {"digits": 20, "fashion": 20, "parity": 4}
