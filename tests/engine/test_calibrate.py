"""precision: auto decides by measurement on this machine, remembers it, and says why."""
import json

import pytest
import torch

from graft.engine import calibrate, precision

CPU = torch.device("cpu")


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAFT_CACHE_DIR", str(tmp_path))
    calibrate.calibration.cache_clear()
    yield tmp_path
    calibrate.calibration.cache_clear()


def row(precision_, channels_last, ms, loss):
    return {"precision": precision_, "channels_last": channels_last, "step_ms": ms, "mean_loss": loss}


def test_a_measured_calibration_times_every_candidate_is_cached_and_leaves_the_callers_rng_alone(cache_dir):
    torch.manual_seed(123)
    before = torch.get_rng_state()
    first = calibrate.calibration()
    assert torch.equal(torch.get_rng_state(), before)
    assert first["cached"] is False
    assert {"fp32-channels-last", "fp32"} <= set(first["candidates"])
    assert all(r["step_ms"] > 0 for r in first["candidates"].values())
    assert first["choice"]["precision"] in ("fp32", "bf16")
    stored = json.loads((cache_dir / "calibration.json").read_text())
    assert stored[calibrate.machine_key()]["choice"] == first["choice"]
    calibrate.calibration.cache_clear()
    again = calibrate.calibration()
    assert again["cached"] is True and again["when"] == first["when"]


def test_another_machine_or_torch_in_the_cache_calibrates_again(cache_dir):
    other = {"choice": {"precision": "bf16", "channels_last": True}, "why": "x", "candidates": {}, "when": "then"}
    (cache_dir / "calibration.json").write_text(json.dumps({"Some Other CPU | 64 cores | torch 1.0": other}))
    entry = calibrate.calibration()
    assert entry["cached"] is False
    stored = json.loads((cache_dir / "calibration.json").read_text())
    assert set(stored) == {"Some Other CPU | 64 cores | torch 1.0", calibrate.machine_key()}


@pytest.mark.parametrize("choice", ["bf16", "fp32"])
def test_auto_follows_the_cached_choice_and_explicit_settings_win(cache_dir, choice):
    if choice == "bf16" and not precision.bf16_matmul_fast(CPU):
        pytest.skip("this CPU has no native bfloat16")
    entry = {"choice": {"precision": choice, "channels_last": choice == "bf16"}, "why": "measured",
             "candidates": {}, "when": "now", "calibration_s": 1.0}
    (cache_dir / "calibration.json").write_text(json.dumps({calibrate.machine_key(): entry}))
    assert precision.uses_bf16(CPU, "auto") is (choice == "bf16")
    assert precision.prefers_channels_last(CPU) is (choice == "bf16")
    assert precision.uses_bf16(CPU, "fp32") is False
    assert precision.uses_bf16(CPU, "bf16") is True


def test_a_faster_candidate_whose_losses_disagree_or_that_wins_by_too_little_is_not_chosen():
    rows = {"fp32-channels-last": row("fp32", True, 40.0, 2.30), "bf16-channels-last": row("bf16", True, 20.0, 2.9),
            "fp32": row("fp32", False, 50.0, 2.31), "bf16": row("bf16", False, 38.0, 2.31)}
    assert calibrate.choose(rows) == "fp32-channels-last"    # bf16-cl disagrees, bf16 is only 1.05x faster
    assert rows["bf16-channels-last"]["loss_agrees"] is False
    rows["bf16-channels-last"]["mean_loss"] = 2.31
    assert calibrate.choose(rows) == "bf16-channels-last"
    rows["bf16"]["step_ms"] = 19.0          # contiguous a near tie (1.05x): channels-last stays
    assert calibrate.choose(rows) == "bf16-channels-last"
    rows["bf16"]["step_ms"] = 15.0          # clearly faster: taken
    assert calibrate.choose(rows) == "bf16"


def test_graft_doctor_names_the_machine_and_each_choice_with_its_measurements(cache_dir):
    from typer.testing import CliRunner

    from graft.cli import app

    out = CliRunner().invoke(app, ["doctor", "--json"], env={"GRAFT_CACHE_DIR": str(cache_dir)})
    assert out.exit_code == 0, out.output
    report = json.loads(out.output)
    assert report["machine"]["cpu"] == calibrate.cpu_name() and report["machine"]["torch"] == torch.__version__
    assert report["cpu_choice"]["precision"] in ("fp32", "bf16") and report["why"]
    assert report["candidates"]["fp32-channels-last"]["step_ms"] > 0
    calibrate.calibration.cache_clear()   # as a second `graft doctor` process would start
    text = CliRunner().invoke(app, ["doctor"], env={"GRAFT_CACHE_DIR": str(cache_dir)}).output
    assert f"precision auto -> {report['cpu_choice']['precision']}" in text and "(cached;" in text


def test_a_training_run_records_what_ran_and_why(cache_dir):
    from graft.data.dataset import load_dataset
    from graft.engine.compile import compile_network
    from graft.engine.train import train
    from graft.spec.templates import get_template

    ds = load_dataset({"dataset": "mnist", "transforms": [{"limit": 256}]}, "train")
    auto = train(compile_network(get_template("example-cnn")), ds,
                 hparams={"epochs": 1, "batch_size": 64, "progress": False, "device": "cpu"}).precision
    choice = calibrate.calibration()["choice"]
    assert (auto["by"], auto["bf16"], auto["channels_last"]) == ("calibration", choice["precision"] == "bf16",
                                                                  choice["channels_last"])
    assert auto["why"] == calibrate.calibration()["why"] and "fp32-channels-last" in auto["step_ms"]
    fixed = train(compile_network(get_template("mlp")), ds, hparams={"epochs": 1, "batch_size": 64,
                  "progress": False, "device": "cpu", "precision": "fp32"}).precision
    assert (fixed["by"], fixed["bf16"], fixed["channels_last"]) == ("setting", False, False)
