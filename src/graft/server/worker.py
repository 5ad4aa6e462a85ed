"""One run, in its own process: `python -m graft.server.worker RUN_ID --workspace ROOT [--db-url URL]`.

It reads the run's request from the registry, carries it out through workflow.jobs.run_job (the dispatcher the
workflow runner uses too), writes progress to the run's row at most a few times a second, and records the
outcome. A signal only sets the run's CancelToken: SIGUSR1 (a user's cancel) ends the run "cancelled",
SIGTERM/SIGINT (the server stopping) "interrupted"; the work raises Cancelled at its next batch.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import traceback

from ..ops.cancel import Cancelled, CancelToken
from ..ops.progress import RunProgress

CANCEL_SIGNAL = getattr(signal, "SIGUSR1", signal.SIGTERM)  # the same as jobs.CANCEL_SIGNAL


class Progress(RunProgress):
    """A worker's run: its progress (ops.progress) and its cancellation token."""

    def __init__(self, ws, run_id: str, epochs: int | None = None):
        super().__init__(ws, run_id, epochs)
        self.cancel = CancelToken()

    def should_stop(self) -> bool:
        return self.cancel.is_set()


def _model(rec: dict) -> dict:
    return {"model_id": rec["id"], "result": {"model_id": rec["id"], "kind": rec["kind"]}}


# what each kind of run keeps of its job's record
OUTCOMES = {
    "train": _model, "pretrain": _model,
    "evaluate": lambda ev: {"result": {"evaluation_id": ev["id"], "accuracy": ev.get("accuracy")}},
    "workflow": lambda report: {"result": {"steps": report["steps"]}},
    "report": lambda rep: {"result": {"report_id": rep["id"], "foundation_id": rep["foundation_id"]}},
}


def execute(ws, run_id: str) -> int:
    from ..data.errors import DataError
    from ..workflow.jobs import run_job
    from ..spec.issues import SpecError
    from ..workflow import WorkflowFailed

    run = ws.runs.get(run_id)
    if run["status"] != "queued":
        return 0  # cancelled before it started, or started by someone else
    p = Progress(ws, run_id)

    def on_signal(signum, frame):  # never raise here: an exception raised at a random bytecode can be swallowed
        p.cancel.cancel("cancelled" if signum == CANCEL_SIGNAL else "interrupted")
    for sig in {signal.SIGTERM, signal.SIGINT, CANCEL_SIGNAL}:
        signal.signal(sig, on_signal)
    ws.runs.update(run_id, status="running", pid=os.getpid(), progress=p.state)

    req, kind = run["request"], run["kind"]
    if kind in ("train", "pretrain"):
        p.epochs = int((req.get("hparams") or {}).get("epochs", 1))
    try:
        if kind not in OUTCOMES:
            raise ValueError(f"run kind: expected one of {', '.join(OUTCOMES)}, found {kind!r:.40}")
        record = run_job(ws, kind, req, should_stop=p.cancel, progress=p, run_id=run_id)
    except Cancelled:
        return finish(ws, run_id, p, p.cancel.reason if p.cancel.is_set() else "cancelled", error="cancelled")
    except WorkflowFailed as err:
        return finish(ws, run_id, p, "failed", error=str(err))
    except (SpecError, DataError, ValueError, KeyError) as err:  # the request could not be carried out
        return finish(ws, run_id, p, "failed", error=_message(err))
    except Exception as err:
        traceback.print_exc()
        return finish(ws, run_id, p, "failed", error=f"{type(err).__name__}: {err}", code=1)
    # done, even if a cancel came after the last check: what was made is registered whole
    p.state.update(fraction=1.0, eta=0)
    if kind == "report":
        p.state["stage"] = "done"
    return finish(ws, run_id, p, "done", **OUTCOMES[kind](record))


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
