"""One run, in its own process: `python -m graft.server.worker RUN_ID --workspace ROOT [--db-url URL]`.

It reads the run's request from the registry, does the work through graft.ops / graft.workflow (the same code
the CLI uses), writes progress to the run's row at most a few times a second, and records the outcome.
SIGTERM (cancel, or the server stopping) asks the work to stop at the next step.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import traceback

from ..ops.progress import RunProgress

CANCEL_SIGNAL = getattr(signal, "SIGUSR1", signal.SIGTERM)  # the same as jobs.CANCEL_SIGNAL


class Progress(RunProgress):
    """A worker's run: its progress (ops.progress), and should_stop for a cancel."""

    def __init__(self, ws, run_id: str, epochs: int | None = None):
        super().__init__(ws, run_id, epochs)
        self.stop = threading.Event()
        self.user_cancel = False
        self.hard_stop = False  # set by work that cannot check should_stop often: a signal interrupts it

    def should_stop(self) -> bool:
        return self.stop.is_set()


# -- the kinds of run -----------------------------------------------------------------------------------------
def run_train(ws, run: dict, p: Progress) -> dict:
    from ..ops import train_model

    req = run["request"]
    p.epochs = int((req.get("hparams") or {}).get("epochs", 1))
    rec = train_model(ws, req["network"], req["data"], req.get("hparams") or {}, name=req.get("name") or None,
                      description=req.get("description") or "", run_id=run["id"], progress=p,
                      should_stop=p.should_stop, progress_bar=False,
                      semi_supervised=req.get("semi_supervised"))
    return {"model_id": rec["id"], "result": {"model_id": rec["id"], "kind": rec["kind"]}}


def run_evaluate(ws, run: dict, p: Progress) -> dict:
    from ..ops import evaluate_model

    req = run["request"]
    ev = evaluate_model(ws, req["model"], req["data"], split=req.get("split"))
    return {"result": {"evaluation_id": ev["id"], "accuracy": ev.get("accuracy")}}


def run_workflow_step(ws, run: dict, p: Progress) -> dict:
    from ..workflow import WorkflowFailed, parse_workflow
    from ..workflow.runner import WorkflowRun

    req = run["request"]
    from ..spec.io import load_document

    text = ws.get_workflow(req["workflow_id"])["yaml"]
    try:
        job = WorkflowRun(ws, parse_workflow(load_document(text)), on_event=p.on_event, progress_bar=False,
                          should_stop=p.should_stop)
        p.workflow_steps = len(job.needed(req.get("step")))
        report = job.run(only=req.get("step"), force=bool(req.get("force")))
    except WorkflowFailed as err:
        raise RuntimeError(str(err)) from err
    return {"result": {"steps": report["steps"]}}


def run_pretrain(ws, run: dict, p: Progress) -> dict:
    from ..ops.pretrain import pretrain_foundation

    req = run["request"]
    p.epochs = int((req.get("hparams") or {}).get("epochs", 1))
    rec = pretrain_foundation(ws, req["network"], req["data"], req["objective"], req.get("hparams") or {},
                              name=req.get("name") or None, description=req.get("description") or "",
                              progress=p, should_stop=p.should_stop,
                              run_id=run["id"])
    return {"model_id": rec["id"], "result": {"model_id": rec["id"], "kind": rec["kind"]}}


def run_report(ws, run: dict, p: Progress) -> dict:
    """One budget at a time, so the run shows which budget it is on and how many are done."""
    from ..ops.report import save_report, transfer_report

    req = run["request"]
    budgets = list(req["budgets"])
    p.hard_stop = True  # one budget can train for minutes: a cancel must not wait for it to end
    rows, report = [], None
    for i, budget in enumerate(budgets):
        if p.should_stop():  # a cancel that came before hard_stop was set (start-up under load) is not lost
            raise InterruptedError("cancelled")
        label = "all labels" if budget == "all" else f"{budget} per class"
        p.set_fraction(i / len(budgets), stage=f"{label} ({i + 1} of {len(budgets)}): head on the foundation, "
                                                "then the same network from scratch")
        report = transfer_report(ws, req["foundation"], req["target"], [budget], head=req.get("head", "mlp"),
                                 epochs=req.get("epochs", "auto"), seed=int(req.get("seed", 0)), store=False,
                                 unlabeled=req.get("unlabeled"))
        rows.extend(report["rows"])
        p.history.append({"budget": budget, "accuracy": report["rows"][0]["foundation"]["accuracy"],
                          "scratch_accuracy": report["rows"][0]["scratch"]["accuracy"]})
    p.hard_stop = False  # the work is done: let the report be written whole
    report = {**report, "rows": rows}
    save_report(ws, report)
    p.state["stage"] = "done"
    return {"result": {"report_id": report["id"], "foundation_id": report["foundation_id"]}}


KINDS = {"train": run_train, "evaluate": run_evaluate, "workflow": run_workflow_step, "pretrain": run_pretrain,
         "report": run_report}


def execute(ws, run_id: str) -> int:
    from ..data.errors import DataError
    from ..spec.issues import SpecError

    run = ws.get_run(run_id)
    if run["status"] != "queued":
        return 0  # cancelled before it started, or started by someone else
    p = Progress(ws, run_id)
    ws.update_run(run_id, status="running", pid=os.getpid(), progress=p.state)

    def on_signal(signum, frame):
        p.user_cancel = p.user_cancel or signum == CANCEL_SIGNAL
        p.stop.set()
        if p.hard_stop:
            raise InterruptedError("cancelled")
    for sig in {signal.SIGTERM, signal.SIGINT, CANCEL_SIGNAL}:
        signal.signal(sig, on_signal)

    try:
        outcome = KINDS[run["kind"]](ws, run, p)
    except (SpecError, DataError, ValueError, KeyError) as err:  # the request could not be carried out
        return finish(ws, run_id, p, "cancelled" if p.stop.is_set() else "failed", error=_message(err))
    except Exception as err:
        traceback.print_exc()
        status = "cancelled" if p.stop.is_set() else "failed"
        return finish(ws, run_id, p, status, error=f"{type(err).__name__}: {err}", code=1)
    status = "cancelled" if p.stop.is_set() else "done"
    if status == "done":
        p.state["fraction"] = 1.0
        p.state["eta"] = 0
    return finish(ws, run_id, p, status, **outcome)


def _message(err: Exception) -> str:
    return str(err.args[0]) if isinstance(err, KeyError) and err.args else str(err)


def finish(ws, run_id: str, p: Progress, status: str, code: int = 0, **fields) -> int:
    if status == "cancelled" and not p.user_cancel:
        status = "interrupted"  # stopped by SIGTERM/SIGINT, not by the user's cancel: the server went away
    result = fields.pop("result", None)
    if result is not None:
        p.state["result"] = result
    ws.update_run(run_id, status=status, progress=dict(p.state), history=p.history, **fields)
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
