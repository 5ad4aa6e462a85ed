"""Resume a training run that was interrupted (killed, crashed, server restarted) from its last checkpoint:
here and now (`resume`: the CLI and Python), or queued for a server's worker (`requeue`: the HTTP route)."""
from __future__ import annotations

import os

from .train import train_model

RESUMABLE = ("interrupted", "failed", "cancelled")


def resumable(ws, run_id: str) -> dict:
    """The run, when it can resume; else ValueError saying why (KeyError when there is no such run)."""
    ws.runs.mark_stale()
    run = ws.runs.get(run_id)
    if run["kind"] != "train":
        raise ValueError(f"run {run_id} is a {run['kind']} run; only training runs resume")
    if run["status"] not in RESUMABLE:
        raise ValueError(f"run {run_id} is {run['status']}; only {', '.join(RESUMABLE)} runs resume")
    return run


def resume(ws, run: str) -> dict:
    """Finish training run `run` in this process from its last checkpoint; returns the model's record. On the CPU
    the weights equal an uninterrupted run's."""
    return resume_run(ws, run, progress_bar=False)


def resume_run(ws, run_id: str, progress_bar: bool = True) -> dict:
    """`resume`, with a progress bar on the terminal."""
    req = resumable(ws, run_id)["request"]
    return train_model(ws, req["network"], req["data"], req["hparams"], name=req.get("name"),
                       description=req.get("description") or "", run_id=run_id, resume=True,
                       progress_bar=progress_bar, semi_supervised=req.get("semi_supervised"), tasks=req.get("tasks"))


def requeue(ws, run_id: str) -> dict:
    """Queue `run_id` again (owned by this process, the server) for a worker, which resumes it from its last
    checkpoint; returns the run."""
    resumable(ws, run_id)
    return ws.runs.update(run_id, status="queued", error=None, finished_at=None, pid=os.getpid())
