"""One run, in its own process: `python -m graft.server.worker RUN_ID --workspace ROOT [--db-url URL]`.

It reads the run's request from the registry, carries it out through workflow.jobs.run_job (the dispatcher the
workflow runner uses too), writes progress to the run's row at most a few times a second, and records the
outcome. A signal only sets the run's CancelToken: SIGUSR1 (a user's cancel) ends the run "cancelled",
SIGTERM/SIGINT (the server stopping) "interrupted"; the work raises Cancelled at its next check.

The signal is seen by a watchdog thread (through signal.set_wakeup_fd, so even while the main thread is inside
one long C call, where Python's handlers wait): it sets the token at once and, should the work not stop within
FORCE_AFTER_S (a single torch.export, a huge matrix product), records the outcome itself and ends the worker's
process group (the worker and anything it started, e.g. torchrun). Registration is last and crash-safe
(store.files), so nothing half-registered is left. The same thread notices a server killed outright (the
worker's parent changes) and interrupts the run, so a restarted server finds it `interrupted`, resumable.
"""
from __future__ import annotations

import argparse
import os
import select
import signal
import socket
import sys
import threading
import time
import traceback

from ..contracts.errors import disk_full_message, is_disk_full
from ..ops.cancel import Cancelled, CancelToken
from ..ops.progress import RunProgress

CANCEL_SIGNAL = getattr(signal, "SIGUSR1", signal.SIGTERM)  # the same as jobs.CANCEL_SIGNAL
FORCE_AFTER_S = 1.5      # a cancel takes effect within 2 s whatever the work is doing
WATCH_S = 0.1


class Progress(RunProgress):
    """A worker's run: its progress (ops.progress) and its cancellation token."""

    def __init__(self, ws, run_id: str, epochs: int | None = None):
        super().__init__(ws, run_id, epochs)
        self.cancel = CancelToken()

    def should_stop(self) -> bool:
        return self.cancel.is_set()


class Watchdog(threading.Thread):
    """Sees the worker's signals (and its parent's death) at once; forces the outcome when the work is stuck."""

    def __init__(self, ws, run_id: str, p: Progress):
        super().__init__(name="graft-watchdog", daemon=True)
        self.ws, self.run_id, self.p = ws, run_id, p
        self.finishing = threading.Lock()   # held by whoever records the outcome
        self.deadline: float | None = None
        self.parent = os.getppid()
        self.reader, writer = socket.socketpair()
        self.reader.setblocking(False)
        writer.setblocking(False)
        self._writer = writer
        signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)

    def cancel(self, reason: str) -> None:
        if not self.p.cancel.is_set():
            self.p.cancel.cancel(reason)
            self.deadline = time.monotonic() + FORCE_AFTER_S

    def run(self) -> None:
        while True:
            ready, _, _ = select.select([self.reader], [], [], WATCH_S)
            if ready:
                for signum in self.reader.recv(64):
                    if signum in (CANCEL_SIGNAL, signal.SIGTERM, signal.SIGINT):
                        self.cancel("cancelled" if signum == CANCEL_SIGNAL else "interrupted")
            if os.getppid() != self.parent:    # the server was killed outright
                self.cancel("interrupted")
            if self.deadline is not None and time.monotonic() >= self.deadline:
                self.force()
                return

    def force(self) -> None:
        if not self.finishing.acquire(blocking=False):
            return      # the work is recording its own outcome
        try:
            why = f"{self.p.cancel.reason} (the work did not reach a stop check within {FORCE_AFTER_S} s; stopped)"
            self.ws.runs.update(self.run_id, status=self.p.cancel.reason, error=why, progress=dict(self.p.state),
                                history=self.p.history)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            try:
                os.killpg(os.getpgrp(), signal.SIGKILL) if os.getpgrp() == os.getpid() else None
            finally:
                os._exit(0)


def guard(ws, run_id: str, p: Progress) -> Watchdog:
    """Route the cancel signals to `p.cancel` and start the watchdog (call from the main thread)."""
    watchdog = Watchdog(ws, run_id, p)

    def on_signal(signum, frame):  # never raise here: an exception raised at a random bytecode can be swallowed
        watchdog.cancel("cancelled" if signum == CANCEL_SIGNAL else "interrupted")
    for sig in {signal.SIGTERM, signal.SIGINT, CANCEL_SIGNAL}:
        signal.signal(sig, on_signal)
    watchdog.start()
    return watchdog


def _model(rec: dict) -> dict:
    return {"model_id": rec["id"], "result": {"model_id": rec["id"], "kind": rec["kind"]}}


# what each kind of run keeps of its job's record
OUTCOMES = {
    "train": _model, "pretrain": _model,
    "evaluate": lambda ev: {"result": {"evaluation_id": ev["id"], "accuracy": ev.get("accuracy")}},
    "retrain": lambda r: {"model_id": r["model"]["id"], "result": {
        "model_id": r["model"]["id"], "evaluation_id": r["evaluation"]["id"], "dataset_id": r["dataset"]["id"],
        "previous_evaluation_id": r["previous"]["id"], "accuracy": r["evaluation"].get("accuracy")}},
    "workflow": lambda report: {"result": {"steps": report["steps"]}},
    "report": lambda rep: {"result": {"report_id": rep["id"], "foundation_id": rep["foundation_id"]}},
    "embed": lambda emb: {"result": {"embedding_id": emb["id"], "model_id": emb["model_id"]}},
    "synergy": lambda rep: {"result": {"report_id": rep["id"], "foundation_id": rep["foundation_id"]}},
}


def execute(ws, run_id: str) -> int:
    run = ws.runs.get(run_id)
    if run["status"] != "queued":
        return 0  # cancelled before it started, or started by someone else
    p = Progress(ws, run_id)
    resume = run.get("started_at") is not None   # queued again after an interruption: from its checkpoint
    if resume:
        p.history = list(run.get("history") or [])
        # the live curve goes on too, from the last epoch kept (what came after it is trained again)
        earlier = run.get("progress") if isinstance(run.get("progress"), dict) else {}
        p.state["curve"] = [pt for pt in earlier.get("curve") or [] if pt.get("epoch", 0) <= len(p.history)]
    ws.runs.update(run_id, status="running", pid=os.getpid(), progress=p.state)
    watchdog = guard(ws, run_id, p)
    status, code, fields = _carry_out(ws, run, p, resume)
    with watchdog.finishing:
        return finish(ws, run_id, p, status, code, **fields)


def _carry_out(ws, run: dict, p: Progress, resume: bool) -> tuple[str, int, dict]:
    from ..data.errors import DataError
    from ..workflow.jobs import run_job
    from ..spec.issues import SpecError
    from ..workflow import WorkflowFailed

    req, kind = run["request"], run["kind"]
    if kind in ("train", "pretrain"):
        p.epochs = int((req.get("hparams") or {}).get("epochs", 1))
    try:
        if kind not in OUTCOMES:
            raise ValueError(f"run kind: expected one of {', '.join(OUTCOMES)}, found {kind!r:.40}")
        record = run_job(ws, kind, req, should_stop=p.cancel, progress=p, run_id=run["id"], resume=resume)
    except Cancelled:
        return (p.cancel.reason if p.cancel.is_set() else "cancelled"), 0, {"error": "cancelled"}
    except WorkflowFailed as err:
        return "failed", 0, {"error": str(err)}
    except (SpecError, DataError, ValueError, KeyError) as err:  # the request could not be carried out
        return "failed", 0, {"error": _message(err)}
    except Exception as err:
        if is_disk_full(err):   # the user's to fix (free space), not a bug: no traceback, no server path
            return "failed", 0, {"error": disk_full_message(err)}
        traceback.print_exc()
        return "failed", 1, {"error": f"{type(err).__name__}: {err}"}
    # done, even if a cancel came after the last check: what was made is registered whole
    p.state.update(fraction=1.0, eta=0)
    if kind in ("report", "synergy"):
        p.state["stage"] = "done"
    return "done", 0, OUTCOMES[kind](record)


def _message(err: Exception) -> str:
    return str(err.args[0]) if isinstance(err, KeyError) and err.args else str(err)


def finish(ws, run_id: str, p: Progress, status: str, code: int = 0, **fields) -> int:
    result = fields.pop("result", None)
    if result is not None:
        p.state["result"] = result
    ws.runs.update(run_id, status=status, progress=dict(p.state), history=p.history, **fields)
    return code


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m graft.server.worker")
    ap.add_argument("run_id")
    ap.add_argument("--workspace", required=True)
    ap.add_argument("--db-url", default=None)
    args = ap.parse_args(argv)
    from ..store import Workspace

    return execute(Workspace(args.workspace, db_url=args.db_url), args.run_id)


if __name__ == "__main__":
    sys.exit(main())
