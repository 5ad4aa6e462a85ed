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


def test_the_command_line_asks_for_self_training_with_its_own_flags(setup, tmp_path):
    """`graft train --unlabeled D --finetune-epochs N ...` records and runs what the Python call above does."""
    import json

    import numpy as np
    from typer.testing import CliRunner

    from graft.cli import app
    from graft.data.builtin import load_builtin
    from graft.ops.datasets import import_dataset

    ws, head, _, _ = setup
    images, labels = load_builtin("mnist", "train")
    np.savez(tmp_path / "unlabeled.npz", images=images[:600, 0], labels=labels[:600])
    pool = import_dataset(ws, tmp_path / "unlabeled.npz", "six-hundred", None, 0.0)
    (tmp_path / "head.json").write_text(json.dumps(head))
    out = CliRunner().invoke(app, ["train", str(tmp_path / "head.json"), "--data", "mnist", "--per-class", "3",
                                   "--epochs", "2", "--batch-size", "64", "--unlabeled", pool["id"],
                                   "--neighbours", "5", "--finetune-epochs", "1", "--rounds", "2",
                                   "--threshold", "0.9", "--finetune-lr", "0.002", "--finetune-flip",
                                   "--workspace", str(ws.root), "--json"])
    assert out.exit_code == 0, out.output
    rec = json.loads(out.stdout)
    semi = rec["semi_supervised"]
    assert (semi["k"], semi["finetune_epochs"], semi["rounds"], semi["threshold"], semi["finetune_lr"],
            semi["flip"]) == (5, 1, 2, 0.9, 0.002, True)
    assert [r["round"] for r in rec["metrics"]["self_training"]] == [1, 2]
    assert all(r["count"] == 600 for r in rec["metrics"]["self_training"])
