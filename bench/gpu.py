"""`make bench-gpu`: issue 6's two GPU targets, measured in one process, as one table and bench-gpu-results.json.

1. The seed workflow after start-up: examples/mnist_transfer.yaml as shipped, in a fresh workspace, timed step
   by step. Start-up (imports, CUDA context, cuDNN and autocast warm-up on a small batch, MNIST loaded once) is
   timed separately and not counted, as the target says.
2. Time to 99 % from scratch: fast-cnn trained with RECIPE; the test accuracy is measured after each epoch
   (not timed); the figure is the training time up to the first epoch at 99 % or more.

Made to run in one call on a lent GPU machine. `--quick` shrinks both to seconds for the CPU test of this script.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
import yaml

ROOT = Path(__file__).resolve().parents[1]
SEED_WORKFLOW = ROOT / "examples" / "mnist_transfer.yaml"
# 99.13 % test accuracy when run on the CPU (2 epochs: 98.98 %; 2 epochs at batch 128: 99.08 %)
RECIPE = {"epochs": 3, "batch_size": 256, "lr": 0.006, "schedule": "onecycle", "seed": 0}
TARGET = 0.99


def warm_up(device: str) -> float:
    """What 'start-up' means here: the first CUDA/cuDNN/autocast calls and loading MNIST."""
    from graft.data import load_dataset
    from graft.engine.compile import compile_network
    from graft.engine.train import train
    from graft.spec.templates import get_template

    t0 = time.perf_counter()
    load_dataset("mnist", "train")
    load_dataset({"dataset": "mnist"}, "test")
    small = load_dataset({"dataset": "mnist", "transforms": [{"limit": 512}]}, "train")
    train(compile_network(get_template("fast-cnn")), small,
          hparams={"epochs": 1, "batch_size": 128, "progress": False, "device": device})
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - t0


def seed_workflow(quick: bool) -> dict[str, Any]:
    """Run as shipped: its train steps have device auto (CUDA when present)."""
    from graft.store import Workspace
    from graft.workflow import run_workflow

    doc = yaml.safe_load(SEED_WORKFLOW.read_text())
    for step in doc["steps"]:
        if step["kind"] == "train" and quick:
            step["epochs"] = 1
            step["data"] = {"dataset": "mnist", "transforms": [{"limit": 1024}]}
    with tempfile.TemporaryDirectory(prefix="graft-bench-gpu-") as tmp:
        ws = Workspace(Path(tmp) / "ws")
        t0 = time.perf_counter()
        report = run_workflow(ws, doc, progress_bar=False)
        total = time.perf_counter() - t0
    steps = {s["name"]: round(s["seconds"], 3) for s in report["steps"]}
    test = next(s["result"] for s in report["steps"] if s["kind"] == "evaluate")
    return {"seed_workflow_seconds": round(total, 3), "seed_workflow_steps_s": steps,
            "seed_workflow_hit": test["hit"], "seed_workflow_total": test["total"]}


def time_to_99(device: str, quick: bool) -> dict[str, Any]:
    from graft.data import load_dataset
    from graft.engine.compile import compile_network
    from graft.engine.data import normalization_of
    from graft.engine.evaluate import evaluate
    from graft.engine.train import train
    from graft.spec.templates import get_template

    limit = [{"limit": 2048}] if quick else []
    train_ds = load_dataset({"dataset": "mnist", "transforms": limit}, "train")
    test_ds = load_dataset({"dataset": "mnist", "split": "test", "transforms": limit})
    torch.manual_seed(RECIPE["seed"])
    model = compile_network(get_template("fast-cnn"))
    norm = normalization_of(train_ds)
    per_epoch: list[dict[str, float]] = []

    def on_epoch(row):   # evaluation is not part of the training time
        t0 = time.perf_counter()
        acc = float(evaluate(model, test_ds, normalization=norm, device=device)["accuracy"])
        model.train()
        per_epoch.append({"epoch": row["epoch"], "seconds": row["seconds"], "test_accuracy": acc,
                          "eval_seconds": round(time.perf_counter() - t0, 3)})

    train(model, train_ds, hparams={**RECIPE, "progress": False, "device": device, "normalization": norm},
          on_epoch=on_epoch)
    reached = next((e for e in per_epoch if e["test_accuracy"] >= TARGET), None)
    seconds = sum(e["seconds"] for e in per_epoch[:per_epoch.index(reached) + 1]) if reached else None
    return {"recipe": RECIPE, "epochs": per_epoch, "seconds_to_99": seconds,
            "final_test_accuracy": per_epoch[-1]["test_accuracy"]}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--quick", action="store_true", help="tiny data: checks the script, measures nothing")
    parser.add_argument("--out", default=str(ROOT / "bench-gpu-results.json"))
    args = parser.parse_args(argv)
    card = torch.cuda.get_device_name(0) if args.device == "cuda" else "cpu"
    out: dict[str, Any] = {"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "device": card,
                           "torch": torch.__version__, "quick": args.quick}
    out["startup_seconds"] = round(warm_up(args.device), 3)
    out.update(seed_workflow(args.quick))
    out["time_to_99"] = time_to_99(args.device, args.quick)
    Path(args.out).write_text(json.dumps(out, indent=1))
    t99 = out["time_to_99"]
    rows = [("device", card), ("start-up s (not counted)", out["startup_seconds"]),
            ("seed workflow s after start-up (target < 5)", out["seed_workflow_seconds"]),
            ("  steps s", out["seed_workflow_steps_s"]),
            ("  test hit / total", f"{out['seed_workflow_hit']} / {out['seed_workflow_total']}"),
            ("training s to 99 % test accuracy (target < 2)", t99["seconds_to_99"]),
            ("  per epoch: s, test accuracy", [(e["seconds"], e["test_accuracy"]) for e in t99["epochs"]])]
    for name, value in rows:
        print(f"{name:50s} {value}")
    print(f"wrote {args.out}", file=sys.stderr)
    return out


if __name__ == "__main__":
    main()
