"""bench/gpu.py is run on a lent GPU machine in one call: it must work before it gets there (here on the CPU,
with --quick: tiny data, nothing measured)."""
import json

from bench import gpu


def test_gpu_bench_runs_the_seed_workflow_and_the_time_to_99_recipe(tmp_path, capsys):
    out = gpu.main(["--device", "cpu", "--quick", "--out", str(tmp_path / "r.json")])
    saved = json.loads((tmp_path / "r.json").read_text())
    assert saved["seed_workflow_total"] == 10000 and 0 < saved["seed_workflow_hit"] <= 10000
    assert list(saved["seed_workflow_steps_s"]) == ["base", "foundation", "head", "test", "view"]
    epochs = saved["time_to_99"]["epochs"]
    assert [e["epoch"] for e in epochs] == list(range(1, gpu.RECIPE["epochs"] + 1))
    assert all(0 <= e["test_accuracy"] <= 1 for e in epochs)
    assert out["time_to_99"] == saved["time_to_99"]
    assert "seed workflow s after start-up" in capsys.readouterr().out
