"""The Python face: `graft.<operation>(ws, ...)` with the names and defaults of graft.contracts, the same as the
CLI's options and the HTTP API's fields. Thin: each calls the op that does the work."""
from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any, Sequence

from ..contracts import requests as rq
from ..contracts.synergy import SynergyRequest
from .datasets import import_dataset  # noqa: F401  (already the contract's form)
from .edits import edit_dataset  # noqa: F401  (already the contract's form)


def _d(model, name: str) -> Any:
    return model.model_fields[name].get_default(call_default_factory=True)


def slice(ws, model: str, nodes: list[str] | None = None, start: str | None = None, end: str | None = None,
          name: str | None = None) -> dict:
    """Keep `nodes`, or the part from `start` to `end`, of a model as a new foundation."""
    from .slice import slice_model
    return slice_model(ws, model, nodes=nodes, start=start, end=end, name=name)


def evaluate(ws, model: str, data: Any = _d(rq.EvaluateRequest, "data"), split: str | None = None,
             output: str | None = None) -> dict:
    """Evaluate a model (its head `output`, when it has several) on a data set."""
    from .evaluate import evaluate_model
    return evaluate_model(ws, model, data, split=split, output=output)


def pretrain(ws, network: Any, end: str | None = None, objective: str = _d(rq.PretrainRequest, "objective"),
             data: Any = _d(rq.PretrainRequest, "data"), hparams: dict | None = None, name: str | None = None,
             description: str = "", **run: Any) -> dict:
    """Pretrain an encoder (cut at `end` when given) without labels; returns the foundation's record.
    `run` takes pretrain_foundation's run options (on_epoch, should_stop, ...)."""
    from .pretrain import pretrain_foundation
    if end is not None:
        from ..spec.graph import slice_network
        from .networks import prepare_network
        spec, _ = prepare_network(ws, network)
        network = slice_network(spec, end=end, name=spec.name).model_dump(mode="json", exclude_none=True)
    return pretrain_foundation(ws, network, data, objective, hparams, name=name, description=description, **run)


def transfer_report(ws, foundation: str, target: Any = _d(rq.ReportRequest, "target"),
                    budgets: Sequence[int | str] = tuple(_d(rq.ReportRequest, "budgets")),
                    head: str = _d(rq.ReportRequest, "head"), epochs: int | str = _d(rq.ReportRequest, "epochs"),
                    seed: int = _d(rq.ReportRequest, "seed"), unlabeled: Any = None) -> dict:
    """Per label budget: a head on the frozen foundation against the same network from scratch."""
    from .report import transfer_report as report
    return report(ws, foundation, target, list(budgets), head=head, epochs=epochs, seed=seed, unlabeled=unlabeled)


def import_package(ws, path: str | Path, name: str | None = None) -> dict:
    from .package import import_package as imp
    return imp(ws, path, name)


def import_weights(ws, path: str | Path, spec: Any, name: str, kind: str = _d(rq.WeightsImportRequest, "kind"),
                   allow_missing: bool = False) -> tuple[dict, dict]:
    """Register `spec` with the weights of a state dict file; returns (record, match report)."""
    from .import_weights import import_weights as imp
    return imp(ws, path, spec, name, kind=kind, allow_missing=allow_missing)


def import_model(ws, path: Any, name: str, input_shape: Sequence[int] | None = None,
                 filename: str | None = None, should_stop=None) -> dict:
    """Register a pretrained network (an ONNX file, a Hugging Face folder or hf:ORG/NAME[@REVISION]; also an
    nn.Module with input_shape) as a model; returns its record. `filename` is how messages call the file (an upload's own name). See also graft.from_torch."""
    from .import_model import import_model as imp
    return imp(ws, path, name, input_shape=input_shape, filename=filename, should_stop=should_stop)


EXPORT_SUFFIXES = {".graft": "graft", ".onnx": "onnx", ".py": "python"}


def export(ws, model: str, format: str | None = None, output: str | Path | None = None) -> dict:
    """Write a model as a .graft package, an ONNX file or a PyTorch module (.py + .safetensors) to `output`."""
    if output is None:
        raise ValueError("output: expected the file to write")
    output = Path(output)
    format = format or EXPORT_SUFFIXES.get(output.suffix, "graft")
    if format == "onnx":
        from .export_onnx import export_onnx
        return export_onnx(ws, model, output)
    if format == "python":
        from .export_python import export_python
        return export_python(ws, model, output)
    if format != "graft":
        raise ValueError(f"format: expected one of graft, onnx, python, found {format!r}")
    from .package import export_package
    data = export_package(ws, model)
    output.write_bytes(data)
    return {"format": "graft", "path": str(output), "bytes": len(data)}


def lineage(ws, model: str) -> dict:
    """{model, ancestors, descendants, used_by, foundation_checks} of a registered model or foundation."""
    from .lineage import lineage as of
    return of(ws, model)


def runs(ws, status: str | None = None, limit: int | None = None) -> list[dict]:
    """Runs, newest first."""
    return ws.list_runs(status=status, limit=limit)


CANCEL_SIGNAL = getattr(signal, "SIGUSR1", signal.SIGTERM)   # as graft.server.jobs: a worker records 'cancelled'


def cancel(ws, run: str) -> dict:
    """Cancel a run: a queued one at once; a running one carried out by a server worker on this machine is
    signalled and stops at its next step (as POST /api/runs/{id}/cancel does). Returns the run."""
    rec = ws.get_run(run)
    if rec["status"] == "queued":
        return ws.update_run(rec["id"], status="cancelled", error="cancelled before it started")
    if rec["status"] != "running":
        return rec
    pid = rec.get("pid")
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes() if pid else b""
    except OSError:
        cmdline = b""
    if b"graft.server.worker" not in cmdline:
        raise ValueError(f"run {rec['id']} is running in process {pid}, not in a graft worker on this machine; "
                         "stop that process (Ctrl-C) to cancel it")
    os.kill(pid, CANCEL_SIGNAL)
    return rec


def embed(ws, model: str, data: Any = _d(rq.EmbedRequest, "data"), split: str | None = None,
          limit: int = _d(rq.EmbedRequest, "limit"), method: str = _d(rq.EmbedRequest, "method"),
          seed: int = _d(rq.EmbedRequest, "seed")) -> dict:
    """A 2-D map (PCA or t-SNE) of what `model` sees on a data set; the same request reopens the stored map."""
    from .embed import embed_model
    return embed_model(ws, model, data, split=split, limit=limit, method=method, seed=seed)


def foundations(ws, foundation: str | None = None) -> list[dict]:
    """The foundations catalogue: each foundation, the models grafted on it with their tasks and test
    accuracies, and whether each still runs on the foundation's exact weights."""
    from .foundations import foundations_catalogue
    return foundations_catalogue(ws, foundation)


def synergy_report(ws, foundation: str, tasks: Any, epochs: int = _d(SynergyRequest, "epochs"),
                   foundation_training: str = _d(SynergyRequest, "foundation_training"),
                   foundation_lr_multiplier: float = _d(SynergyRequest, "foundation_lr_multiplier"),
                   task_mixing: str = _d(SynergyRequest, "task_mixing"), lr: float = _d(SynergyRequest, "lr"),
                   batch_size: int = _d(SynergyRequest, "batch_size"), seed: int = _d(SynergyRequest, "seed"),
                   threads: int | None = _d(SynergyRequest, "threads")) -> dict:
    """Tasks on one foundation, each trained alone and all trained together with the same budget: per task the
    test accuracies, their difference (negative: joint training hurt) and the time each took."""
    from .synergy import synergy_report as report
    return report(ws, foundation, tasks, epochs=epochs, foundation_training=foundation_training,
                  foundation_lr_multiplier=foundation_lr_multiplier, task_mixing=task_mixing, lr=lr,
                  batch_size=batch_size, seed=seed, threads=threads)


def retrain(ws, evaluation: str, relabel: list | None = None, exclude: list[int] | None = None,
            name: str | None = None, epochs: int | None = None) -> dict:
    """Fix and retrain: edit the data evaluation `evaluation` ran on (its sample indices), train the same network
    on the new version, evaluate it on the same samples; returns {dataset, model, evaluation, previous}."""
    from .retrain import retrain as run
    return run(ws, evaluation, relabel, exclude, name=name, epochs=epochs)


def compare(ws, a: str, b: str) -> dict:
    """Two evaluations side by side: figures, per class, and the samples whose prediction changed."""
    from .compare import compare_evaluations
    return compare_evaluations(ws, a, b)
