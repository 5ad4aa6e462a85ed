"""Closing the loop from a mistake: a data set's new version (relabels, exclusions), retraining on it, comparing."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest

from graft.data import load_dataset
from graft.data.edit import row_indices
from graft.ops import slice_model, train_model
from graft.ops.compare import compare_evaluations
from graft.ops.edits import dataset_edits, edit_dataset
from graft.ops.evaluate import evaluate_model
from graft.ops.retrain import retrain
from graft.store import Workspace

SUBSET = {"dataset": "mnist", "transforms": [{"limit": 300}]}


def folder_hashes(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    w = Workspace(tmp_path_factory.mktemp("edits"))
    yield w
    w.close()


@pytest.fixture(scope="module")
def imported(ws):
    """A data set stored in the workspace (the first 300 MNIST training images): the parent whose files must stay
    byte-identical."""
    ds = load_dataset(SUBSET, "train")
    first = edit_dataset(ws, "mnist", "train", exclude=list(range(300, 60000)), name="mnist-300")
    assert first["sizes"] == {"train": 300, "test": 10000} and load_dataset(first["id"], "train",
                                                                            workspace_root=ws.root).labels.tolist() \
        == ds.labels.tolist()
    return first


def test_an_edit_makes_a_new_version_and_leaves_the_parent_as_it_was(ws, imported):
    parent = load_dataset(imported["id"], "train", workspace_root=ws.root)
    before = folder_hashes(ws.datasets.dir(imported["id"]))
    old_label = int(parent.labels[12])
    new = edit_dataset(ws, imported["id"], "train", relabel=[{"index": 12, "label": (old_label + 1) % 10}],
                       exclude=[40, 41], name="fixed")
    assert folder_hashes(ws.datasets.dir(imported["id"])) == before
    again = load_dataset(imported["id"], "train", workspace_root=ws.root)
    assert again.fingerprint == parent.fingerprint and again.labels.tolist() == parent.labels.tolist()
    edited = load_dataset(new["id"], "train", workspace_root=ws.root)
    assert len(edited) == 298 and new["sizes"]["train"] == 298 and new["sizes"]["test"] == 10000
    assert edited.fingerprint != parent.fingerprint
    assert int(edited.labels[12]) == (old_label + 1) % 10
    keep = [i for i in range(300) if i not in (40, 41)]
    assert np.array_equal(edited.images, parent.images[keep])          # rows 40 and 41 are gone, in order
    assert edited.labels[13:].tolist() == parent.labels[keep][13:].tolist()
    assert new["parent"] == imported["id"] and new["edits"]["relabeled"] == 1 and new["edits"]["excluded"] == 2
    assert dataset_edits(ws, new["id"]) == {"parent": imported["id"], "split": "train",
                                            "relabel": [{"index": 12, "label": (old_label + 1) % 10}],
                                            "exclude": [40, 41]}
    listed = {d["id"]: d for d in ws.list_datasets()}
    assert listed[new["id"]]["parent"] == imported["id"]


def test_labels_by_class_name_and_refusals_name_field_expected_and_found(ws, imported):
    count = len(ws.list_datasets())
    with pytest.raises(ValueError, match=r"relabel\[0\]: expected a row of train from 0 to 299, found 300"):
        edit_dataset(ws, imported["id"], relabel=[{"index": 300, "label": 1}])
    with pytest.raises(ValueError, match=r"relabel\[1\]\.label: expected a class of .* \(0 to 9.*found 'cat'"):
        edit_dataset(ws, imported["id"], relabel=[{"index": 1, "label": "3"}, {"index": 2, "label": "cat"}])
    with pytest.raises(ValueError, match=r"exclude\[1\]: expected a row of train from 0 to 299, found -1"):
        edit_dataset(ws, imported["id"], exclude=[5, -1])
    with pytest.raises(ValueError, match=r"exclude: a row of train 7 is also relabelled"):
        edit_dataset(ws, imported["id"], relabel=[{"index": 7, "label": 1}], exclude=[7])
    with pytest.raises(ValueError, match=r"split: expected one of the splits"):
        edit_dataset(ws, imported["id"], split="val", exclude=[1])
    assert len(ws.list_datasets()) == count          # nothing half-registered
    by_name = edit_dataset(ws, imported["id"], relabel=[{"index": 3, "label": "8"}])
    assert int(load_dataset(by_name["id"], "train", workspace_root=ws.root).labels[3]) == 8


def test_evaluation_samples_map_to_rows_through_subsets_and_carved_splits(ws, imported):
    ref = {"dataset": imported["id"], "transforms": [{"keep_classes": [3, 5]}, {"limit": 20}]}
    source, rows = row_indices(ref, "train", ws.root)
    full = load_dataset(imported["id"], "train", workspace_root=ws.root)
    sub = load_dataset(ref, "train", workspace_root=ws.root)
    assert source == "train" and np.array_equal(full.images[rows], sub.images)
    source, rows = row_indices({**ref, "val_fraction": 0.2}, "val", ws.root)
    val = load_dataset({**ref, "val_fraction": 0.2}, "val", workspace_root=ws.root)
    assert source == "train" and np.array_equal(full.images[rows], val.images)


def test_retrain_from_an_evaluation_then_compare(ws):
    base = train_model(ws, {"template": "mlp"}, SUBSET, {"epochs": 1}, name="base", progress_bar=False)
    fnd = slice_model(ws, base["id"], end="relu1", name="features")
    head = {"name": "head", "input": {"shape": [1, 28, 28]}, "nodes": [
        {"id": "base", "type": "Foundation", "params": {"ref": fnd["id"], "frozen": True}, "inputs": ["input"]},
        {"id": "fc", "type": "Linear", "params": {"out_features": 10}, "inputs": ["base"]}]}
    model = train_model(ws, head, SUBSET, {"epochs": 1, "lr": 0.01}, name="grafted", progress_bar=False)
    old = evaluate_model(ws, model["id"], {**SUBSET, "transforms": [{"limit": 100}]}, split="train")
    preds = ws.evaluations.predictions(old["id"])
    wrong = np.flatnonzero(preds["labels"] != preds["preds"])
    assert len(wrong) >= 2, "the one-epoch head should make mistakes on its training data"
    fix, drop = int(wrong[0]), int(wrong[1])
    out = retrain(ws, old["id"], relabel=[{"index": fix, "label": int(preds["preds"][fix])}], exclude=[drop])
    new_ds, new_model, new_ev = out["dataset"], out["model"], out["evaluation"]
    assert new_ds["parent"] == "mnist" and new_ds["sizes"]["train"] == 59999
    assert new_model["hparams"]["lr"] == 0.01 and new_model["dataset"]["dataset"] == new_ds["id"]
    assert new_model["dataset"]["transforms"] == [{"limit": 299}]       # the same 300 images, less the one left out
    assert new_model["block_sha256"]["base"] == model["block_sha256"]["base"]   # the same frozen foundation
    assert new_ev["total"] == 99 and new_ev["dataset"]["split"] == "train"
    c = compare_evaluations(ws, old["id"], new_ev["id"])
    assert c["matched"] == 99 and c["a"]["total"] == 100 and c["b"]["total"] == 99
    rows = {s["row"]: s for s in c["changed"]}
    assert fix in rows and rows[fix]["b_label"] == str(int(preds["preds"][fix]))  # its new label, not its old one
    assert drop not in rows
    assert c["fixed"] == sum(s["change"] == "fixed" for s in c["changed"])
    assert c["broken"] == sum(s["change"] == "broken" for s in c["changed"])
    b = ws.evaluations.predictions(new_ev["id"])
    assert c["b"]["hit"] == int((b["labels"] == b["preds"]).sum())


def test_retrain_refuses_an_evaluation_on_other_data(ws):
    model = train_model(ws, {"template": "mlp"}, SUBSET, {"epochs": 1}, name="m", progress_bar=False)
    ev = evaluate_model(ws, model["id"], {"dataset": "mnist", "transforms": [{"limit": 20}]}, split="test")
    with pytest.raises(ValueError, match=r"evaluation: .* ran on the test split of mnist.*expected an evaluation on "
                                         r"the data it trained on"):
        retrain(ws, ev["id"], exclude=[1])
    ev = evaluate_model(ws, model["id"], SUBSET, split="train")
    with pytest.raises(ValueError, match=r"exclude\[0\]: expected a sample of evaluation ev-\w+ from 0 to 299, "
                                         r"found 300"):
        retrain(ws, ev["id"], exclude=[300])
