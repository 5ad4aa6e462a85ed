import json

import pytest

from graft.ops.pretrain import pretrain_foundation
from graft.ops.report import list_reports, load_report, scratch_baseline, scratch_network, transfer_report
from graft.spec.analyze import analyze
from graft.spec.graph import graft_network
from graft.store import Workspace

ENCODER = {"name": "tiny-encoder", "input": {"shape": [1, 28, 28]}, "nodes": [
    {"id": "conv1", "type": "Conv2d", "params": {"out_channels": 4, "kernel_size": 3, "padding": 1},
     "inputs": ["input"]},
    {"id": "relu1", "type": "ReLU", "inputs": ["conv1"]},
    {"id": "pool1", "type": "MaxPool2d", "params": {"kernel_size": 4}, "inputs": ["relu1"]},
    {"id": "flatten", "type": "Flatten", "inputs": ["pool1"]},
]}

TEST = {"dataset": "mnist", "split": "test", "transforms": [{"limit": 200}]}


@pytest.fixture
def ws(tmp_path):
    return Workspace(tmp_path / "ws")


@pytest.fixture
def foundation(ws, tiny_data):
    return pretrain_foundation(ws, ENCODER, tiny_data, "autoencoder", {"epochs": 1, "batch_size": 50})


def test_scratch_network_inlines_the_foundation_with_the_same_layers(foundation):
    head = [{"id": "fc", "type": "Linear", "params": {"out_features": 10}}]
    grafted = graft_network(foundation["spec"], foundation["id"], head, node_id="base")
    twin = scratch_network(grafted)
    assert [n["type"] for n in twin["nodes"]] == ["Conv2d", "ReLU", "MaxPool2d", "Flatten", "Linear"]
    assert [n["id"] for n in twin["nodes"]][:2] == ["base_conv1", "base_relu1"]
    assert twin["nodes"][0]["inputs"] == ["input"] and twin["nodes"][-1]["inputs"] == ["base_flatten"]
    a_twin, a_graft = analyze(twin), analyze(grafted)
    assert a_twin.ok, a_twin.issues
    assert a_twin.total_params == a_graft.total_params and a_twin.output_shape == a_graft.output_shape


def test_transfer_report_structure_storage_and_plot(ws, foundation, tmp_path):
    rep = transfer_report(ws, foundation["id"], {"dataset": "mnist", "transforms": [{"limit": 2000}]},
                          budgets=(1, 3), head="linear", epochs=2, test_data=TEST)
    assert rep["id"].startswith("rep-") and rep["foundation_id"] == foundation["id"]
    assert [r["budget"] for r in rep["rows"]] == [1, 3]
    assert [r["train_size"] for r in rep["rows"]] == [10, 30]
    for row in rep["rows"]:
        for side in ("foundation", "scratch"):
            assert 0.0 <= row[side]["accuracy"] <= 1.0 and row[side]["train_seconds"] >= 0
        assert row["gain"] == pytest.approx(row["foundation"]["accuracy"] - row["scratch"]["accuracy"], abs=1e-6)
        # only the head trains on the foundation; from scratch every layer trains
        assert row["foundation"]["trainable_params"] < row["scratch"]["trainable_params"]
    assert rep["test_size"] == 200
    assert load_report(ws, rep["id"]) == json.loads(json.dumps(rep))
    assert [r["id"] for r in list_reports(ws)] == [rep["id"]]
    png = (ws.root / "reports" / f"{rep['id']}.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_budget_and_unknown_report_are_refused(ws, foundation):
    with pytest.raises(ValueError, match="budgets"):
        transfer_report(ws, foundation["id"], "mnist", budgets=(0,), test_data=TEST)
    with pytest.raises(KeyError, match="rep-"):
        load_report(ws, "../etc/passwd")


def test_scratch_baseline_trains_the_twin_on_the_models_own_data(ws, foundation, tiny_data):
    from graft.ops import train_model

    head = {"input": {"shape": [1, 28, 28]}, "nodes": [
        {"id": "base", "type": "Foundation", "params": {"ref": foundation["id"]}, "inputs": ["input"]},
        {"id": "fc", "type": "Linear", "params": {"out_features": 10}, "inputs": ["base"]}]}
    model = train_model(ws, head, tiny_data, {"epochs": 2}, progress_bar=False)
    out = scratch_baseline(ws, model["id"], TEST)
    twin = ws.get_model(out["scratch_model_id"])
    assert twin["dataset"] == model["dataset"] and twin["hparams"]["epochs"] == 2
    assert twin["foundation_ids"] == [] and 0.0 <= out["scratch_accuracy"] <= 1.0
    assert ws.get_evaluation(out["scratch_evaluation_id"])["model_id"] == twin["id"]


def test_cli_report_transfer_prints_json_and_writes_the_png(ws, foundation, tmp_path):
    from typer.testing import CliRunner

    from graft.cli import app

    png = tmp_path / "plot.png"
    out = CliRunner().invoke(app, ["report", "transfer", "--foundation", foundation["id"], "--target", "mnist",
                                   "--budgets", "1", "--epochs", "1", "--head", "linear", "--png", str(png),
                                   "-w", str(ws.root), "--json"], catch_exceptions=False)
    assert out.exit_code == 0, out.output
    rep = json.loads(out.output)
    assert rep["rows"][0]["train_size"] == 10 and rep["test_size"] == 10000
    assert png.read_bytes()[:4] == b"\x89PNG"
    bad = CliRunner().invoke(app, ["report", "transfer", "--foundation", foundation["id"], "--budgets", "x",
                                   "-w", str(ws.root)])
    assert bad.exit_code == 1 and "--budgets" in bad.output


def test_transfer_report_with_unlabeled_images_adds_a_semi_supervised_head_per_budget(ws, foundation):
    unlabeled = {"dataset": "mnist", "transforms": [{"limit": 500}]}
    rep = transfer_report(ws, foundation["id"], {"dataset": "mnist", "transforms": [{"limit": 2000}]},
                          budgets=(2, "all"), head="linear", epochs=2, test_data=TEST, unlabeled=unlabeled)
    semi = rep["rows"][0]["semi_supervised"]
    assert semi["unlabeled_size"] == 500 and 0.0 <= semi["accuracy"] <= 1.0
    assert semi["trainable_params"] == rep["rows"][0]["foundation"]["trainable_params"]
    assert "semi_supervised" not in rep["rows"][1]          # with every label there is nothing to propagate
    assert rep["unlabeled"]["dataset"] == "mnist"
