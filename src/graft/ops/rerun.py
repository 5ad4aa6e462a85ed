"""Repeat a training run from its recorded request (network, data, hyperparameters, name).

A rerun trains deterministically on the CPU (`deterministic: true`, `device: cpu`). It reproduces the original
bit for bit when the original also trained on the CPU with the same seed and the same number of threads (a
GPU run, or a different thread count, changes floating-point reduction order). The foundations a network
names by id are read from the registry again; their recorded hashes show if they changed since.
"""
from __future__ import annotations

from .train import train_model

# per-epoch fields that measure the machine, not the training
TIMING_FIELDS = ("seconds", "samples_per_s")


def rerun(ws, run_id: str, progress_bar: bool = False, **train_options) -> dict:
    """Train again what run `run_id` trained; returns the new model's record (a new run in the registry)."""
    run = ws.runs.get(run_id)
    if run["kind"] != "train":
        raise ValueError(f"run {run_id}: only training runs can be repeated, this one is a {run['kind']!r} run")
    request = run.get("request") or {}
    missing = [k for k in ("network", "data", "hparams") if k not in request]
    if missing:
        raise ValueError(f"run {run_id}: the recorded request lacks {', '.join(missing)}; it cannot be repeated")
    hparams = {**request["hparams"], "deterministic": True, "device": "cpu"}
    return train_model(ws, request["network"], request["data"], hparams, name=request.get("name"),
                       description=request.get("description") or "", progress_bar=progress_bar,
                       semi_supervised=request.get("semi_supervised"), tasks=request.get("tasks"),
                       **train_options)


def comparable_history(history: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if k not in TIMING_FIELDS} for row in history or []]


def compare_with_original(ws, run_id: str, record: dict) -> dict:
    """Whether the rerun's per-epoch metrics and weights equal those of the original run's model."""
    run = ws.runs.get(run_id)
    if not run.get("model_id"):
        return {"original_model_id": None, "same_history": None, "same_weights": None, "same_blocks": None}
    original = ws.models.get(run["model_id"])
    before = comparable_history((original.get("metrics") or {}).get("history"))
    after = comparable_history((record.get("metrics") or {}).get("history"))
    return {"original_model_id": original["id"], "same_history": before == after,
            "same_weights": original.get("weights_sha256") == record.get("weights_sha256"),
            "same_blocks": original.get("block_sha256") == record.get("block_sha256")}
