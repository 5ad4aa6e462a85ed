"""The `graft` command. Thin: every command calls graft.ops / graft.workflow, the same as the API does.

Heavy modules (torch, the store) are imported inside commands so that `graft --help` stays fast.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Optional

import typer

from .cli_contract import from_cli, option, options_of, parse_augment
from .contracts.hparams import AUGMENT_OPS, SemiSupervised, TrainHparams
from .contracts.requests import EvaluateRequest, RunsRequest, SliceRequest, TrainRequest

app = typer.Typer(help="graft: draw a network, train it, keep a part as a foundation, graft new layers on it.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
models_app = typer.Typer(help="The model registry.", no_args_is_help=True)
datasets_app = typer.Typer(help="Built-in and imported data sets.", no_args_is_help=True)
app.add_typer(models_app, name="models")
app.add_typer(datasets_app, name="datasets")

WorkspaceOpt = typer.Option(None, "--workspace", "-w", envvar="GRAFT_WORKSPACE",
                            help="Workspace folder (default ./graft-workspace).")
DbOpt = typer.Option(None, "--db-url", envvar="GRAFT_DB_URL", help="Registry database URL (default SQLite).")
JsonOpt = typer.Option(False, "--json", help="Print one JSON document on stdout.")


def open_workspace(path: Optional[Path], db_url: Optional[str] = None):
    from .store import Workspace

    return Workspace(path or Path("graft-workspace"), db_url=db_url)


def emit(obj, as_json: bool, text: str | None = None) -> None:
    if as_json:
        typer.echo(json.dumps(obj, indent=1, default=str))
    else:
        typer.echo(text if text is not None else json.dumps(obj, indent=1, default=str))


def fail(message: str, as_json: bool = False, issues=None, code: int = 1):
    if as_json:
        typer.echo(json.dumps({"error": message, "issues": issues or []}, indent=1, default=str))
    else:
        typer.secho(f"error: {message}", fg="red", err=True)
        for issue in issues or []:
            typer.secho(f"  - {issue}", err=True)
    raise typer.Exit(code)


def guarded(fn, as_json: bool):
    """Run fn; turn the errors a user can fix into a message and exit 1 (never a traceback)."""
    from .spec.issues import SpecError

    try:
        return fn()
    except SpecError as err:
        fail("the document is not valid", as_json, [str(i) for i in err.issues])
    except (KeyError, ValueError, FileNotFoundError, OSError) as err:
        fail(str(err.args[0]) if isinstance(err, KeyError) and err.args else str(err), as_json)


def read_document(path: Path) -> dict:
    from .spec.io import load_document

    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    return load_document(path.read_text(encoding="utf-8"))


def read_tasks(path: Path) -> list:
    """A tasks file: `tasks: [{output, data, weight, name}, ...]` (YAML or JSON)."""
    from .spec.io import load_document

    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    tasks = load_document(path).get("tasks")
    if not isinstance(tasks, list):
        raise ValueError(f"{path}: expected `tasks:` with a list of {{output, data, weight, name}}, found "
                         f"{type(tasks).__name__}")
    return tasks


@app.command()
def run(file: Path = typer.Argument(..., help="Workflow YAML file."), workspace: Optional[Path] = WorkspaceOpt,
        db_url: Optional[str] = DbOpt, as_json: bool = JsonOpt,
        step: Optional[str] = typer.Option(None, help="Run only this step (and what it needs)."),
        force: bool = typer.Option(False, help="Re-run even when a cached result exists."),
        quiet: bool = typer.Option(False, help="No progress bars.")):
    """Run a workflow file; steps whose inputs did not change come from the cache."""
    from .ops import format_per_class, format_rows, format_summary, view_rows
    from .workflow import WorkflowFailed, run_workflow

    ws = open_workspace(workspace, db_url)

    def on_event(e):
        if not as_json and e["status"] in ("running", "cached", "done"):
            extra = f" ({e['seconds']:.1f} s)" if "seconds" in e else ""
            typer.secho(f"[{e['status']}] {e['step']}{extra}", err=True, fg="cyan")

    def go():
        doc = read_document(file)
        try:
            return run_workflow(ws, doc, only=step, force=force, on_event=on_event,
                                progress_bar=not (quiet or as_json), base_dir=file.parent)
        except WorkflowFailed as err:
            fail(str(err), as_json)

    report = guarded(go, as_json)
    if as_json:
        return emit(report, True)
    for entry in report["steps"]:
        res = entry["result"]
        if entry["kind"] == "evaluate":
            typer.echo(f"\n== {entry['name']}: evaluation {res['id']} ==\n{format_summary(res)}")
            if res.get("scratch_accuracy") is not None:
                typer.echo(f"from scratch on the same labels: accuracy {res['scratch_accuracy']:.4f}")
            typer.echo("\n" + format_per_class(res))
        elif entry["kind"] in ("train", "slice", "pretrain", "import_model"):
            hashes = ", ".join(f"{k} {v[:16]}" for k, v in res["block_sha256"].items())
            typer.echo(f"{entry['name']}: {res['model_kind']} {res['id']} ({res['params']} params; sha256 {hashes})")
        elif entry["kind"] == "import_dataset":
            typer.echo(f"{entry['name']}: data set {res['id']} ({res['name']}; {len(res['classes'])} classes, "
                       f"sizes {res['sizes']})")
        elif entry["kind"] == "view":
            for page in range(res["shown_pages"]):
                typer.echo(format_rows(view_rows(ws, res["source"], page, res["page_size"], **res["filters"])))


@app.command()
@options_of(TrainHparams, exclude=("augment",))
def train(network: Path = typer.Argument(..., help="Network YAML/JSON file."),
          data: str = option(TrainRequest, "data", help="Data set name or id."),
          deterministic: bool = typer.Option(False, help="Bit-identical on the CPU."),
          limit: Optional[int] = typer.Option(None, help="Use only the first N training samples."),
          per_class: Optional[int] = typer.Option(None, help="Use only N random labelled samples per class."),
          nproc: int = typer.Option(1, help="Processes for distributed data-parallel training (torchrun)."),
          unlabeled: Optional[str] = typer.Option(None, help="Also train on this data set's images (labels "
                                                  "unread), labelled by propagation over the frozen foundation."),
          neighbours: int = option(SemiSupervised, "k", "--neighbours", help="With --unlabeled: "
                                   + SemiSupervised.model_fields["k"].description + "."),
          finetune_epochs: int = option(SemiSupervised, "finetune_epochs", help="With --unlabeled: "
                                        + SemiSupervised.model_fields["finetune_epochs"].description + "."),
          rounds: int = option(SemiSupervised, "rounds"),
          threshold: float = option(SemiSupervised, "threshold"),
          finetune_lr: float = option(SemiSupervised, "finetune_lr"),
          finetune_flip: bool = option(SemiSupervised, "flip", "--finetune-flip/--no-finetune-flip"),
          augment: Optional[str] = typer.Option(None, metavar="JSON", help="Augmentations of the training "
                                                "batches, e.g. '[{\"flip\": true}, {\"rotate\": 10}]': "
                                                + ", ".join(AUGMENT_OPS) + "."),
          tasks: Optional[Path] = typer.Option(None, help="Several heads: a YAML/JSON file listing one task per "
                                               "network output, [{output, data, weight, name}] (then --data is "
                                               "unused)."),
          name: Optional[str] = option(TrainRequest, "name"),
          description: str = option(TrainRequest, "description"), workspace: Optional[Path] = WorkspaceOpt,
          db_url: Optional[str] = DbOpt, as_json: bool = JsonOpt, **hparams):
    """Train a network file on a data set (or several heads on theirs: --tasks) and register the model."""
    from .cli_progress import epoch_printer, train_summary
    from .ops import train_model

    ws = open_workspace(workspace, db_url)
    hp = {**from_cli(hparams), "deterministic": deterministic}
    ops = guarded(lambda: parse_augment(augment), as_json)
    if ops:   # absent when off, so a run without augmentation records what it always did
        hp["augment"] = ops
    seed = hp["seed"]
    transforms = ([{"per_class": per_class, "seed": seed}] if per_class else []) + ([{"limit": limit}] if limit else [])
    ref = {"dataset": data, "transforms": transforms} if transforms else data
    semi = None
    if unlabeled:
        semi = {"unlabeled": unlabeled, "k": neighbours}
        if finetune_epochs:    # self-training asked for: its options as given (else the runs record what they did)
            semi.update(finetune_epochs=finetune_epochs, rounds=rounds, threshold=threshold, finetune_lr=finetune_lr,
                        flip=finetune_flip)
    on_epoch = epoch_printer(hp.get("epochs"), quiet=as_json)
    task_list = guarded(lambda: read_tasks(tasks), as_json) if tasks else None
    rec = guarded(lambda: train_model(ws, read_document(network), ref, hp, name=name, description=description,
                                      nproc=nproc, progress_bar=not as_json, semi_supervised=semi,
                                      on_epoch=on_epoch, tasks=task_list), as_json)
    emit(rec if as_json else None, as_json, train_summary(rec))


@app.command(name="slice")
def slice_(model: str, nodes: Optional[str] = typer.Option(None, help="Comma-separated node ids to keep."),
           start: Optional[str] = option(SliceRequest, "start", "--from"),
           end: Optional[str] = option(SliceRequest, "end", "--to"),
           name: Optional[str] = option(SliceRequest, "name"), workspace: Optional[Path] = WorkspaceOpt,
           db_url: Optional[str] = DbOpt,
           as_json: bool = JsonOpt):
    """Keep a connected part of a model and register it as a foundation."""
    from .ops import slice_model

    ws = open_workspace(workspace, db_url)
    keep = [n.strip() for n in nodes.split(",")] if nodes else None
    rec = guarded(lambda: slice_model(ws, model, nodes=keep, start=start, end=end, name=name), as_json)
    emit(rec, as_json, f"registered foundation {rec['id']} ({rec['name']}), sha256 "
                       f"{rec['block_sha256']['foundation'][:16]}")


@app.command()
def evaluate(model: str, data: str = option(EvaluateRequest, "data", "--dataset", "--data"),
             split: str = typer.Option("test", help="train, val or test."),
             output: Optional[str] = option(EvaluateRequest, "output", "--output", "--head"),
             workspace: Optional[Path] = WorkspaceOpt, db_url: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """Evaluate a model (one head of several: --head) on a test set: total, hit, per class, confusion matrix."""
    from .ops import evaluate_model, format_per_class, format_summary

    ws = open_workspace(workspace, db_url)
    ev = guarded(lambda: evaluate_model(ws, model, data, split=split, progress_bar=not as_json, output=output),
                 as_json)
    emit(ev, as_json, f"evaluation {ev['id']}\n{format_summary(ev)}\n\n{format_per_class(ev)}")


@app.command()
def view(source: str = typer.Argument(..., help="An evaluation id (ev-...) or a data set name/id."),
         split: str = "test", page: Optional[int] = typer.Option(None, help="Only this page (from 0)."),
         page_size: int = 20, label: Optional[int] = None, wrong: bool = False,
         png: Optional[Path] = typer.Option(None, help="Also write the page's images as a PNG grid."),
         workspace: Optional[Path] = WorkspaceOpt, db_url: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """Show a data set or an evaluation page by page, ending with [EOF]."""
    from .ops import format_rows, view_rows

    ws = open_workspace(workspace, db_url)
    src = {"evaluation": source} if source.startswith("ev-") else {"dataset": source, "split": split}

    def go():
        first = page or 0
        pages = [view_rows(ws, src, first, page_size, label=label, wrong=wrong)]
        while page is None and not pages[-1]["eof"]:
            pages.append(view_rows(ws, src, pages[-1]["page"] + 1, page_size, label=label, wrong=wrong))
        if png:
            from .ops.images import page_png

            png.write_bytes(page_png(ws, src, pages[0]))
        return pages

    pages = guarded(go, as_json)
    if as_json:
        return emit(pages, True)
    for p in pages:
        typer.echo(format_rows(p))


@app.command()
def resume(run: str = typer.Argument(..., help="An interrupted, failed or cancelled training run (run-...)."),
           workspace: Optional[Path] = WorkspaceOpt, db_url: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """Resume an interrupted training run from its last checkpoint (here, in this process)."""
    from .ops.resume import resume_run

    ws = open_workspace(workspace, db_url)
    rec = guarded(lambda: resume_run(ws, run, progress_bar=not as_json), as_json)
    emit(rec, as_json, f"run {run} finished: registered {rec['kind']} {rec['id']} ({rec['name']})")


@app.command()
def runs(status: Optional[str] = option(RunsRequest, "status"), limit: Optional[int] = option(RunsRequest, "limit"),
         workspace: Optional[Path] = WorkspaceOpt, db_url: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """List training and workflow runs with their status."""
    from .ops.faces import runs as list_runs

    ws = open_workspace(workspace, db_url)
    rows = [{k: r.get(k) for k in ("id", "kind", "name", "status", "model_id", "created_at", "error")}
            for r in guarded(lambda: list_runs(ws, status=status, limit=limit), as_json)]
    emit(rows, as_json, "\n".join(f"{r['id']}  {r['kind']:<9} {r['status']:<12} {r['name'] or ''}"
                                   for r in rows))


@app.command()
def validate(file: Path, as_json: bool = JsonOpt):
    """Check a network or workflow document; print every issue at once."""
    from .spec.analyze import analyze
    from .spec.issues import SpecError
    from .workflow import parse_workflow

    doc = guarded(lambda: read_document(file), as_json)
    if "steps" in doc:
        try:
            parse_workflow(doc)
            result = {"ok": True, "issues": []}
        except SpecError as err:
            result = {"ok": False, "issues": [i.to_dict() for i in err.issues]}
    else:
        result = analyze(doc).to_dict()
    if as_json:
        emit(result, True)
    else:
        for issue in result["issues"]:
            typer.echo(f"{issue.get('severity', 'error')}: {issue}")
        typer.echo("ok" if result["ok"] else f"{len(result['issues'])} issue(s)")
    raise typer.Exit(0 if result["ok"] else 1)


@app.command()
def layers(as_json: bool = JsonOpt):
    """List the layer types a network can use."""
    from .spec.registry import REGISTRY

    if as_json:
        return emit([cls.schema() for cls in REGISTRY.values()], True)
    for name, cls in REGISTRY.items():
        typer.echo(f"{name:<20} {cls.category:<12} {cls.doc}")


@models_app.command("list")
def models_list(kind: Optional[str] = None, workspace: Optional[Path] = WorkspaceOpt,
                db_url: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """List registered models and foundations."""
    ws = open_workspace(workspace, db_url)
    rows = [{"id": m["id"], "name": m["name"], "kind": m["kind"], "parent": m.get("parent_id"),
             "params": m.get("params"), "metrics": {k: v for k, v in (m.get("metrics") or {}).items()
                                                    if k != "history"}, "created_at": m.get("created_at")}
            for m in ws.list_models(kind=kind)]
    if as_json:
        return emit(rows, True)
    for r in rows:
        acc = r["metrics"].get("train_accuracy")
        typer.echo(f"{r['id']}  {r['kind']:<10} {r['name']:<32} parent={r['parent'] or '-':<16} "
                   f"params={r['params']}" + (f" train_acc={acc:.4f}" if acc is not None else ""))


@models_app.command("show")
def models_show(model: str, workspace: Optional[Path] = WorkspaceOpt, db_url: Optional[str] = DbOpt):
    """Print one model's registry record as JSON."""
    ws = open_workspace(workspace, db_url)
    emit(guarded(lambda: ws.get_model(model), True), True)


@datasets_app.command("list")
def datasets_list(workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt):
    """Built-in and imported data sets."""
    from .data import list_builtin

    rows = list(list_builtin())
    if workspace is not None or Path("graft-workspace").exists():
        rows += open_workspace(workspace).list_datasets()
    emit(rows, as_json, "\n".join(f"{r.get('id', r.get('name'))}: {r.get('description', r.get('name'))}"
                                  for r in rows))


@app.command()
def ui(workspace: Optional[Path] = WorkspaceOpt, host: str = "127.0.0.1", port: int = 8000,
       token: Optional[str] = typer.Option(None, envvar="GRAFT_TOKEN", help="Access token (required off loopback)."),
       db_url: Optional[str] = DbOpt,
       load_example: bool = typer.Option(False, help="Put the MNIST example workflow in the workspace.")):
    """Start the web workbench."""
    from .server import serve

    serve(workspace or Path("graft-workspace"), host=host, port=port, token=token, db_url=db_url,
          load_example=load_example)



# Command groups kept in their own files; importing them registers their commands on `app`.
from . import cli_data, cli_doctor, cli_edits, cli_embed, cli_import, cli_ops, cli_share, cli_ssl  # noqa: E402,F401
from . import cli_catalogue, cli_synergy  # noqa: E402,F401


def main():
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    app()


if __name__ == "__main__":  # `python -m graft.cli`: run the module whose app has every command registered
    from graft.cli import main as registered_main

    sys.exit(registered_main())
