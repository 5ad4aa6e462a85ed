"""Resume a training run that was interrupted (killed, crashed, server restarted) from its last checkpoint."""
from __future__ import annotations

from .train import train_model

RESUMABLE = ("interrupted", "failed", "cancelled")


def resume_run(ws, run_id: str, progress_bar: bool = True) -> dict:
    """Finish `run_id` from its last checkpoint; on the CPU the weights equal an uninterrupted run's."""
    ws.runs.mark_stale()
    run = ws.runs.get(run_id)
    if run["kind"] != "train":
        raise ValueError(f"run {run_id} is a {run['kind']} run; only training runs resume")
    if run["status"] not in RESUMABLE:
        raise ValueError(f"run {run_id} is {run['status']}; only {', '.join(RESUMABLE)} runs resume")
    req = run["request"]
    return train_model(ws, req["network"], req["data"], req["hparams"], name=req.get("name"),
                       description=req.get("description") or "", run_id=run_id, resume=True,
                       progress_bar=progress_bar, semi_supervised=req.get("semi_supervised"))
