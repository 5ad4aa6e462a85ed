"""Self-training after a semi-supervised head (engine.selftrain): the whole network, foundation included, is
fine-tuned on the labelled and unlabeled images with consistency targets seeded by label propagation."""
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
FINE = {"finetune_epochs": 3, "rounds": 2, "finetune_lr": 0.003}


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    ws = Workspace(tmp_path_factory.mktemp("selftrain") / "ws")
    fnd = pretrain_foundation(ws, ENCODER, UNLABELED, "autoencoder", {"epochs": 2, "batch_size": 100})
    head = {"input": {"shape": [1, 28, 28]}, "nodes": [
        {"id": "base", "type": "Foundation", "params": {"ref": fnd["id"], "frozen": True}, "inputs": ["input"]},
        {"id": "out", "type": "Linear", "params": {"out_features": 10}, "inputs": ["base"]}]}
    semi = train_model(ws, head, LABELLED, HP, progress_bar=False, semi_supervised={"unlabeled": UNLABELED})
    return ws, head, fnd, semi


def test_fine_tuning_the_whole_network_beats_the_semi_supervised_head(setup):
    ws, head, fnd, semi = setup
    tuned = train_model(ws, head, LABELLED, HP, progress_bar=False,
                        semi_supervised={"unlabeled": UNLABELED, **FINE})
    rounds = tuned["metrics"]["self_training"]
    assert [r["round"] for r in rounds] == [1, 2] and all(r["count"] == 1500 for r in rounds)
    phases = [row.get("phase") for row in tuned["metrics"]["history"]]
    assert phases == [None] * HP["epochs"] + ["finetune"] * (FINE["finetune_epochs"] * FINE["rounds"])
    assert tuned["block_sha256"]["base"] != fnd["block_sha256"]["foundation"]   # the foundation moved
    assert tuned["semi_supervised"]["finetune_epochs"] == 3
    acc_semi = evaluate_model(ws, semi["id"], TEST)["accuracy"]
    acc_tuned = evaluate_model(ws, tuned["id"], TEST)["accuracy"]
    assert acc_tuned > acc_semi + 0.03, (acc_tuned, acc_semi)


def test_without_fine_tuning_the_record_and_weights_are_as_before(setup):
    ws, head, fnd, semi = setup
    assert not {"finetune_epochs", "rounds", "threshold", "finetune_lr"} & set(semi["semi_supervised"])
    assert "self_training" not in semi["metrics"]
    assert semi["block_sha256"]["base"] == fnd["block_sha256"]["foundation"]
    off = train_model(ws, head, LABELLED, HP, progress_bar=False,
                      semi_supervised={"unlabeled": UNLABELED, "finetune_epochs": 0, "rounds": 3})
    assert off["weights_sha256"] == semi["weights_sha256"]


def test_fine_tuning_is_reproducible(setup):
    ws, head, _, _ = setup
    fine = {"unlabeled": UNLABELED, "finetune_epochs": 1}
    a = train_model(ws, head, LABELLED, HP, progress_bar=False, semi_supervised=fine)
    b = train_model(ws, head, LABELLED, HP, progress_bar=False, semi_supervised=fine)
    assert a["weights_sha256"] == b["weights_sha256"]


@pytest.mark.parametrize("option, value", [("finetune_epochs", -1), ("threshold", 1.5), ("rounds", 0)])
def test_bad_fine_tuning_options_name_the_field(setup, option, value):
    ws, head, _, _ = setup
    with pytest.raises(ValueError, match=option):
        train_model(ws, head, LABELLED, HP, progress_bar=False,
                    semi_supervised={"unlabeled": UNLABELED, "finetune_epochs": 1, option: value})
