"""The one job dispatcher: `run_job(ws, kind, request)` carries out a job of any kind, whoever asks for it.

A workflow step (workflow.runner) and a run of the server's queue (server.worker) both come here, with the
same request shapes. `should_stop` is the job's cancellation (an engine.cancel.CancelToken, or any callable):
every long operation checks it per batch and raises engine.cancel.Cancelled, which the caller records as
"cancelled". `progress` (ops.progress.RunProgress) records a run's progress when the caller has a run.
"""
from __future__ import annotations

from typing import Any, Callable

from ..ops.cancel import Cancelled, check

__all__ = ["Cancelled", "JOB_KINDS", "run_job"]


def _train(ws, req: dict, ctx: dict) -> dict:
    from ..ops.train import train_model

    return train_model(ws, req["network"], req["data"], req.get("hparams") or {}, name=req.get("name") or None,
                       description=req.get("description") or "", semi_supervised=req.get("semi_supervised"),
                       nproc=int(req.get("nproc", 1)), tasks=req.get("tasks"), **ctx)


def _pretrain(ws, req: dict, ctx: dict) -> dict:
    from ..ops.pretrain import pretrain_foundation

    ctx.pop("progress_bar")
    return pretrain_foundation(ws, req["network"], req["data"], req["objective"], req.get("hparams") or {},
                               name=req.get("name") or None, description=req.get("description") or "", **ctx)


def _slice(ws, req: dict, ctx: dict) -> dict:
    from ..ops.slice import slice_model

    return slice_model(ws, req["model"], nodes=req.get("nodes"), start=req.get("start"), end=req.get("end"),
                       name=req.get("name"))


def _import_model(ws, req: dict, ctx: dict) -> dict:
    from ..ops.faces import import_model

    return import_model(ws, req["path"], req["name"], input_shape=req.get("input_shape"),
                        should_stop=ctx["should_stop"])


def _import_dataset(ws, req: dict, ctx: dict) -> dict:
    from ..ops.datasets import import_dataset

    return import_dataset(ws, req["path"], req.get("name"), label_column=req.get("label_column"),
                          test_fraction=float(req.get("test_fraction") or 0.0), resize=req.get("resize"),
                          filename=req.get("filename"), should_stop=ctx["should_stop"])


def _evaluate(ws, req: dict, ctx: dict) -> dict:
    """An evaluation; with `scratch_baseline` (true or its options) also the from-scratch twin's figures,
    under `baseline` (ops.report.scratch_baseline)."""
    from ..ops.evaluate import evaluate_model

    ev = evaluate_model(ws, req["model"], req["data"], split=req.get("split"), should_stop=ctx["should_stop"],
                        output=req.get("output"))
    baseline = req.get("scratch_baseline")
    if not baseline:
        return ev
    from ..ops.report import scratch_baseline

    options = baseline if isinstance(baseline, dict) else {}
    return {**ev, "baseline": scratch_baseline(ws, ev["model_id"], req["data"], **options,
                                               progress_bar=ctx["progress_bar"], should_stop=ctx["should_stop"])}


def _retrain(ws, req: dict, ctx: dict) -> dict:
    """Fix and retrain (ops.retrain): the training's progress is this run's."""
    from ..ops.retrain import retrain

    return retrain(ws, req["evaluation"], req.get("relabel") or [], req.get("exclude") or [], name=req.get("name"),
                   epochs=req.get("epochs"), should_stop=ctx["should_stop"], progress=ctx["progress"],
                   progress_bar=ctx["progress_bar"])


def _view(ws, req: dict, ctx: dict) -> dict:
    from ..ops.view import view_rows

    filters = {"wrong": req.get("wrong", False), "label": req.get("label")}
    first = view_rows(ws, req["source"], 0, req["page_size"], **filters)
    pages = first["pages"] if req.get("pages") is None else min(req["pages"], first["pages"])
    return {"kind": "view", "source": req["source"], "filters": filters, "pages": first["pages"],
            "page_size": req["page_size"], "total": first["total"], "shown_pages": pages}


def _report(ws, req: dict, ctx: dict) -> dict:
    """One budget at a time, so a run shows which budget it is on and how many are done."""
    from ..ops.report import save_report, transfer_report

    budgets, progress, rows, report = list(req["budgets"]), ctx["progress"], [], None
    for i, budget in enumerate(budgets):
        check(ctx["should_stop"])
        if progress is not None:
            label = "all labels" if budget == "all" else f"{budget} per class"
            progress.set_fraction(i / len(budgets), stage=f"{label} ({i + 1} of {len(budgets)}): head on the "
                                                          "foundation, then the same network from scratch")
        report = transfer_report(ws, req["foundation"], req["target"], [budget], head=req.get("head", "mlp"),
                                 epochs=req.get("epochs", "auto"), seed=int(req.get("seed", 0)), store=False,
                                 unlabeled=req.get("unlabeled"), should_stop=ctx["should_stop"])
        rows.extend(report["rows"])
        if progress is not None:
            progress.history.append({"budget": budget, "accuracy": report["rows"][0]["foundation"]["accuracy"],
                                     "scratch_accuracy": report["rows"][0]["scratch"]["accuracy"]})
    report = {**report, "rows": rows}
    save_report(ws, report)          # whole or not at all: nothing is stored before every budget is done
    return report


def _embed(ws, req: dict, ctx: dict) -> dict:
    from ..ops.embed import embed_model

    progress = ctx["progress"]
    stage = (lambda fraction, text: progress.set_fraction(fraction, stage=text)) if progress is not None else None
    return embed_model(ws, req["model"], req["data"], split=req.get("split"), limit=int(req["limit"]),
                       method=req["method"], seed=int(req.get("seed", 0)), should_stop=ctx["should_stop"],
                       on_stage=stage)


def _synergy(ws, req: dict, ctx: dict) -> dict:
    """Each task alone, then all together; the run's stage names which training it is on."""
    from ..ops.synergy import synergy_report

    progress = ctx["progress"]
    on_stage = (lambda fraction, text: progress.set_fraction(fraction, stage=text)) if progress is not None else None
    return synergy_report(ws, req["foundation"], req["tasks"], **{k: req[k] for k in SYNERGY_OPTIONS if k in req},
                          should_stop=ctx["should_stop"], on_stage=on_stage)


SYNERGY_OPTIONS = ("epochs", "foundation_training", "foundation_lr_multiplier", "task_mixing", "lr", "batch_size",
                   "seed", "threads")


def _workflow(ws, req: dict, ctx: dict) -> dict:
    """The steps of a stored workflow (each step comes back here through the workflow runner)."""
    from ..spec.io import load_document
    from . import parse_workflow
    from .runner import WorkflowRun

    progress = ctx["progress"]
    job = WorkflowRun(ws, parse_workflow(load_document(ws.get_workflow(req["workflow_id"])["yaml"])),
                      on_event=progress.on_event if progress is not None else None,
                      progress_bar=ctx["progress_bar"], should_stop=ctx["should_stop"])
    if progress is not None:
        progress.workflow_steps = len(job.needed(req.get("step")))
    return job.run(only=req.get("step"), force=bool(req.get("force")))


JOB_KINDS: dict[str, Callable[[Any, dict, dict], dict]] = {
    "train": _train, "pretrain": _pretrain, "import_model": _import_model, "import_dataset": _import_dataset,
    "slice": _slice, "evaluate": _evaluate, "retrain": _retrain, "view": _view, "report": _report, "embed": _embed,
    "synergy": _synergy, "workflow": _workflow}
# the kinds that make their own run when not given one (train_model / pretrain_foundation record it)
OWN_RUN = ("train", "pretrain")


def run_job(ws, kind: str, request: dict, *, should_stop: Callable[[], bool] | None = None,
            progress: Any = None, run_id: str | None = None, progress_bar: bool = False,
            workflow_hash: str | None = None, on_step: Callable | None = None, resume: bool = False) -> dict:
    """Carry out one job; returns its record (model, evaluation, report, view or workflow report).
    Raises Cancelled when `should_stop` says so, before or during the work. `resume`: a training run goes on
    from its last checkpoint (when it has one)."""
    if kind not in JOB_KINDS:
        raise ValueError(f"job kind: expected one of {', '.join(JOB_KINDS)}, found {kind!r:.40}")
    check(should_stop)
    ctx: dict[str, Any] = {"should_stop": should_stop, "progress": progress, "progress_bar": progress_bar}
    if kind in OWN_RUN:
        ctx.update(run_id=run_id, workflow_hash=workflow_hash, on_step=on_step)
    if kind == "train" and resume:
        ctx["resume"] = True
    return JOB_KINDS[kind](ws, request, ctx)
