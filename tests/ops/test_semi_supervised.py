"""A head on a frozen foundation trained with label propagation over unlabeled images (engine.propagate)."""
import pytest

from graft.ops import evaluate_model, train_model
from graft.ops.pretrain import pretrain_foundation
from graft.store import Workspace

ENCODER = {"name": "tiny-encoder", "input": {"shape": [1, 28, 28]}, "nodes": [
    {"id": "conv1", "type": "Conv2d", "params": {"out_channels": 8, "kernel_size": 3, "padding": 1},
     "inputs": ["input"]},
    {"id": "relu1", "type": "ReLU", "inputs": ["conv1"]},
    {"id": "pool1", "type": "AdaptiveAvgPool2d", "params": {"output_size": 7}, "inputs": ["relu1"]},
    {"id": "flatten", "type": "Flatten", "inputs": ["pool1"]},
]}
LABELLED = {"dataset": "mnist", "transforms": [{"per_class": 3, "seed": 0}]}
UNLABELED = {"dataset": "mnist", "transforms": [{"limit": 1500}]}
TEST = {"dataset": "mnist", "split": "test", "transforms": [{"limit": 1000}]}
HP = {"epochs": 3, "batch_size": 64, "lr": 0.01}


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    ws = Workspace(tmp_path_factory.mktemp("semi") / "ws")
    fnd = pretrain_foundation(ws, ENCODER, UNLABELED, "autoencoder", {"epochs": 2, "batch_size": 100})
    head = {"input": {"shape": [1, 28, 28]}, "nodes": [
        {"id": "base", "type": "Foundation", "params": {"ref": fnd["id"], "frozen": True}, "inputs": ["input"]},
        {"id": "out", "type": "Linear", "params": {"out_features": 10}, "inputs": ["base"]}]}
    return ws, head


def test_unlabeled_images_join_training_and_beat_the_few_labels_alone(setup):
    ws, head = setup
    semi = train_model(ws, head, LABELLED, HP, progress_bar=False, semi_supervised={"unlabeled": UNLABELED})
    alone = train_model(ws, head, LABELLED, {**HP, "epochs": 60, "batch_size": 30}, progress_bar=False)
    pseudo = semi["metrics"]["pseudo_labels"]
    assert pseudo["count"] == 1500 and sum(pseudo["per_class"]) == 1500
    assert semi["semi_supervised"]["unlabeled"]["dataset"] == "mnist"
    assert ws.get_run(semi["run_id"])["request"]["semi_supervised"]["k"] == 10
    acc_semi = evaluate_model(ws, semi["id"], TEST)["accuracy"]
    acc_alone = evaluate_model(ws, alone["id"], TEST)["accuracy"]
    assert acc_semi > acc_alone + 0.03, (acc_semi, acc_alone)     # measured: +5.6 points (fp32 and bf16)


def test_feature_cache_off_still_propagates_and_gives_the_same_head(setup):
    ws, head = setup
    a = train_model(ws, head, LABELLED, HP, progress_bar=False, semi_supervised={"unlabeled": UNLABELED})
    b = train_model(ws, head, LABELLED, {**HP, "feature_cache": False}, progress_bar=False,
                    semi_supervised={"unlabeled": UNLABELED})
    assert a["weights_sha256"] == b["weights_sha256"]


def test_the_unlabeled_images_labels_are_never_read(setup):
    ws, head = setup
    scrambled = {**UNLABELED, "transforms": [*UNLABELED["transforms"],
                                             {"relabel": {"map": [1, 0] * 5, "classes": ["a", "b"]}}]}
    a = train_model(ws, head, LABELLED, HP, progress_bar=False, semi_supervised={"unlabeled": UNLABELED})
    b = train_model(ws, head, LABELLED, HP, progress_bar=False, semi_supervised={"unlabeled": scrambled})
    assert a["weights_sha256"] == b["weights_sha256"]


def test_a_network_without_a_frozen_foundation_is_refused_and_the_run_failed(setup):
    ws, _ = setup
    plain = {"input": {"shape": [1, 28, 28]}, "nodes": [
        {"id": "flat", "type": "Flatten", "inputs": ["input"]},
        {"id": "out", "type": "Linear", "params": {"out_features": 10}, "inputs": ["flat"]}]}
    with pytest.raises(ValueError, match="frozen foundations"):
        train_model(ws, plain, LABELLED, HP, progress_bar=False, semi_supervised={"unlabeled": UNLABELED})
    assert ws.list_runs(kind="train")[0]["status"] == "failed"


def test_unknown_option_is_refused_before_any_run(setup):
    ws, head = setup
    before = len(ws.list_runs(kind="train"))
    with pytest.raises(ValueError, match="semi_supervised.neighbours"):
        train_model(ws, head, LABELLED, HP, semi_supervised={"unlabeled": UNLABELED, "neighbours": 5})
    assert len(ws.list_runs(kind="train")) == before
