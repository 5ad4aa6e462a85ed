"""ops.progress: fraction and time left within an epoch, and the live curve the Train page draws, as the API shows them."""
import pytest

from graft.server.schemas import run_out
from graft.ops.progress import MAX_CURVE_POINTS, RunProgress as Progress
from graft.store import Workspace


def step_losses(n):
    return [1.0 / i for i in range(1, n + 1)]


def report(p, epoch, step, steps, losses):
    p.on_step({"epoch": epoch, "step": step, "steps_per_epoch": steps, "loss": sum(losses[:step]) / step,
               "accuracy": 0.5, "samples_per_s": 1000.0})


def test_progress_moves_within_an_epoch_and_says_which_epoch_of_how_many(tmp_path):
    ws = Workspace(tmp_path / "ws")
    run = ws.create_run("train", {})
    p = Progress(ws, run["id"], epochs=2)
    losses = step_losses(100)
    report(p, 1, 50, 100, losses)        # half of the first of two epochs
    out = run_out(ws.get_run(run["id"]))
    assert out["progress"] == pytest.approx(0.25) and out["epochs"] == 2 and out["epoch"] == 1
    assert out["eta"] is not None


def test_the_live_curve_shows_the_loss_of_recent_steps_not_the_mean_since_the_epoch_began(tmp_path):
    ws = Workspace(tmp_path / "ws")
    run = ws.create_run("train", {})
    p = Progress(ws, run["id"], epochs=1)
    losses = step_losses(100)
    for step in (10, 20, 100):
        report(p, 1, step, 100, losses)
    p.on_epoch({"epoch": 1, "train_loss": sum(losses) / 100})   # writes the row now (step reports are throttled)
    curve = run_out(ws.get_run(run["id"]))["curve"]
    assert [pt["epoch"] for pt in curve] == [0.1, 0.2, 1.0]
    assert curve[1]["loss"] == pytest.approx(sum(losses[10:20]) / 10)      # steps 11-20 only
    assert curve[2]["loss"] == pytest.approx(sum(losses[20:100]) / 80)
    assert curve[2]["accuracy"] == pytest.approx(0.5)


def test_the_live_curve_stays_small_and_evenly_spaced_on_a_long_run(tmp_path):
    ws = Workspace(tmp_path / "ws")
    run = ws.create_run("train", {})
    p = Progress(ws, run["id"], epochs=2)
    steps, losses = 1500, step_losses(1500)
    for epoch in (1, 2):
        for step in range(1, steps + 1):
            report(p, epoch, step, steps, losses)
        p.on_epoch({"epoch": epoch, "train_loss": sum(losses) / steps, "train_accuracy": 0.5})
    curve = run_out(ws.get_run(run["id"]))["curve"]
    assert MAX_CURVE_POINTS // 2 <= len(curve) <= MAX_CURVE_POINTS
    xs = [pt["epoch"] for pt in curve]
    assert xs == sorted(xs) and xs[-1] == 2.0      # the last step is on the curve
    gaps = sorted(b - a for a, b in zip(xs, xs[1:]))
    assert gaps[-1] < 1.05 * gaps[len(gaps) // 2], (gaps[0], gaps[-1])   # no holes: thinned evenly
    second = [pt for pt in curve if 1 < pt["epoch"] <= 2]
    assert second[0]["loss"] > second[-1]["loss"]   # the second epoch starts again from its own first steps


def test_a_run_without_step_reports_has_no_curve(tmp_path):
    ws = Workspace(tmp_path / "ws")
    run = ws.create_run("report", {})
    p = Progress(ws, run["id"])
    p.set_fraction(0.5, stage="budget 10")
    assert run_out(ws.get_run(run["id"]))["curve"] == []


def test_a_run_started_from_python_or_a_workflow_records_its_progress_and_curve(tmp_path, tiny_cnn, tiny_data):
    from graft.ops import train_model

    ws = Workspace(tmp_path / "ws")
    steps = []
    rec = train_model(ws, tiny_cnn, tiny_data, {"epochs": 2, "batch_size": 20}, progress_bar=False,
                      on_step=steps.append)
    run = run_out(next(r for r in ws.list_runs() if r.get("model_id") == rec["id"]))
    assert run["status"] == "done" and run["progress"] == 1.0 and run["epochs"] == 2
    assert [h["epoch"] for h in run["history"]] == [1, 2]
    assert run["curve"] and run["curve"][-1]["epoch"] == 2.0 and "loss" in run["curve"][-1]
    assert steps and steps[-1]["step"] == steps[-1]["steps_per_epoch"]    # the caller's callback still runs


def test_a_workflow_run_says_which_step_of_how_many_it_is_on(tmp_path):
    ws = Workspace(tmp_path / "ws")
    run = ws.create_run("workflow", {})
    p = Progress(ws, run["id"])
    p.workflow_steps = 5
    for event in ({"step": "base", "status": "cached"}, {"step": "foundation", "status": "done", "seconds": 0.1},
                  {"step": "head", "status": "running"}):
        p.on_event(event)
    out = run_out(ws.get_run(run["id"]))
    assert out["progress"] == pytest.approx(0.4) and out["stage"] == "step 3 of 5: head"
    assert out["steps"]["head"]["status"] == "running"
