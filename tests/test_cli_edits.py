"""`graft datasets edit`, `graft retrain` and `graft compare` on the command line."""
from __future__ import annotations

import json

from typer.testing import CliRunner

from graft.cli import app
from graft.data import load_dataset
from graft.ops import train_model
from graft.ops.evaluate import evaluate_model
from graft.store import Workspace


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def test_graft_datasets_edit_makes_a_version_and_names_a_bad_row(tmp_path):
    ws = str(tmp_path / "ws")
    done = run("datasets", "edit", "mnist", "--relabel", "12=7", "--exclude", "40,41", "--name", "fixed",
               "--workspace", ws, "--json")
    assert done.exit_code == 0, done.output
    rec = json.loads(done.stdout)
    assert rec["id"].startswith("ds-") and rec["name"] == "fixed" and rec["parent"] == "mnist"
    assert rec["sizes"] == {"train": 59998, "test": 10000}
    assert rec["edits"] == {"split": "train", "relabeled": 1, "excluded": 2,
                            "parent_rows": "train-parent-rows-idx1-int"}
    ds = load_dataset(rec["id"], "train", workspace_root=ws)
    assert int(ds.labels[12]) == 7 and len(ds) == 59998
    listed = json.loads(run("datasets", "list", "--workspace", ws, "--json").stdout)
    assert any(d.get("id") == rec["id"] for d in listed)
    bad = run("datasets", "edit", "mnist", "--exclude", "60000", "--workspace", ws)
    assert bad.exit_code == 1 and "exclude[0]: expected a row of train from 0 to 59999, found 60000" in bad.output
    bad = run("datasets", "edit", "mnist", "--relabel", "3=cat", "--workspace", ws)
    assert bad.exit_code == 1 and "relabel[0].label" in bad.output and "'cat'" in bad.output
    bad = run("datasets", "edit", "mnist", "--relabel", "3", "--workspace", ws)
    assert bad.exit_code == 1 and "--relabel: expected INDEX=LABEL" in bad.output


def test_graft_retrain_then_compare(tmp_path):
    ws = str(tmp_path / "ws")
    data = {"dataset": "mnist", "transforms": [{"limit": 200}]}
    w = Workspace(ws)
    model = train_model(w, {"template": "mlp"}, data, {"epochs": 1}, progress_bar=False)
    ev = evaluate_model(w, model["id"], data, split="train")
    w.close()
    done = run("retrain", ev["id"], "--relabel", "0=3", "--exclude", "5", "--epochs", "1", "--workspace", ws)
    assert done.exit_code == 0, done.output
    assert "matched 199" in done.output and "row 0:" in done.output
    out = json.loads(run("retrain", ev["id"], "--exclude", "7", "--workspace", ws, "--json").stdout)
    assert out["previous"]["id"] == ev["id"] and out["evaluation"]["total"] == 199
    c = json.loads(run("compare", ev["id"], out["evaluation"]["id"], "--workspace", ws, "--json").stdout)
    assert c["matched"] == 199 and c["a"]["total"] == 200
