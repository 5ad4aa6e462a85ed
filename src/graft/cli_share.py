"""Sharing commands: export/import packages, ONNX and Python export, foreign weights, lineage, rerun, cards.

Registered on the main Typer app (imported at the end of graft.cli); heavy modules load inside the commands.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from .cli import DbOpt, JsonOpt, WorkspaceOpt, app, emit, guarded, models_app, open_workspace, read_document
from .cli_contract import option
from .contracts.requests import ExportRequest, PackageImportRequest, WeightsImportRequest

FORMATS = ("graft", "onnx", "python")


@app.command()
def export(model: str, output: Path = typer.Option(..., "--output", "-o", help="File to write."),
           format: Optional[str] = option(ExportRequest, "format", "--format", "-f"),
           workspace: Optional[Path] = WorkspaceOpt, db_url: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """Export a model: a portable .graft package, an ONNX file, or a PyTorch module (.py + .safetensors)."""
    from .ops.faces import export as export_model

    ws = open_workspace(workspace, db_url)

    def go():
        if format is not None and format not in FORMATS:
            raise ValueError(f"--format: expected one of {', '.join(FORMATS)}, found {format!r}")
        return export_model(ws, model, format, output)

    result = guarded(go, as_json)
    text = f"wrote {result['path']}"
    if "max_abs_diff" in result:
        text += f" (onnxruntime vs torch on {result['batch']} samples: max abs difference {result['max_abs_diff']:.2e})"
    if "weights" in result:
        text += f" and {result['weights']}"
    emit(result, as_json, text)


@app.command(name="import")
def import_(path: Path = typer.Argument(..., metavar="PACKAGE", help="A .graft package."),
            name: Optional[str] = option(PackageImportRequest, "name"),
            workspace: Optional[Path] = WorkspaceOpt, db_url: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """Import a .graft package as a new model; prints its id."""
    from .ops.package import import_package

    ws = open_workspace(workspace, db_url)
    rec = guarded(lambda: import_package(ws, path, name=name), as_json)
    emit(rec, as_json, f"imported {rec['kind']} {rec['name']} (was {rec['imported']['original_id']}) as {rec['id']}")


@app.command(name="import-weights")
def import_weights_(path: Path = typer.Argument(..., metavar="WEIGHTS",
                                                help="A .safetensors or .pt/.pth state dict."),
                    spec: Path = typer.Option(..., "--spec", help="Network YAML/JSON the weights belong to."),
                    name: str = option(WeightsImportRequest, "name", "--name"),
                    kind: str = option(WeightsImportRequest, "kind", help="Register as a foundation or a model."),
                    allow_missing: bool = option(WeightsImportRequest, "allow_missing"),
                    workspace: Optional[Path] = WorkspaceOpt, db_url: Optional[str] = DbOpt,
                    as_json: bool = JsonOpt):
    """Bring your own foundation: match a state dict's tensors to a network by name and shape, and register it."""
    from .ops.import_weights import ImportRefused, format_report, import_weights

    ws = open_workspace(workspace, db_url)

    def go():
        try:
            return import_weights(ws, path, read_document(spec), name, kind=kind, allow_missing=allow_missing)
        except ImportRefused as err:
            if as_json:
                emit({"error": str(err), "report": err.report}, True)
            else:
                typer.secho(f"error: {err}\n{format_report(err.report)}", fg="red", err=True)
            raise typer.Exit(1) from None

    rec, report = guarded(go, as_json)
    emit({"record": rec, "report": report}, as_json,
         f"{format_report(report)}\nregistered {rec['kind']} {rec['id']} ({rec['name']})")


@app.command()
def lineage(model: str, workspace: Optional[Path] = WorkspaceOpt, db_url: Optional[str] = DbOpt,
            as_json: bool = JsonOpt):
    """Where a model came from and what was made from it; checks that frozen foundations stayed unchanged."""
    from .ops.lineage import format_lineage, lineage as lineage_of

    ws = open_workspace(workspace, db_url)
    result = guarded(lambda: lineage_of(ws, model), as_json)
    emit(result, as_json, format_lineage(result))
    if any(c["unchanged"] is False and c["frozen"] for c in result["foundation_checks"]):
        raise typer.Exit(2)


@app.command()
def rerun(run_id: str = typer.Argument(..., help="A training run id (run-...)."),
          workspace: Optional[Path] = WorkspaceOpt, db_url: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """Repeat a training run deterministically on the CPU and compare it with the original."""
    from .ops.rerun import compare_with_original, rerun as rerun_run

    ws = open_workspace(workspace, db_url)

    def go():
        record = rerun_run(ws, run_id, progress_bar=not as_json)
        return {"record": record, "comparison": compare_with_original(ws, run_id, record)}

    result = guarded(go, as_json)
    c = result["comparison"]
    lines = [f"registered model {result['record']['id']} (run {result['record']['run_id']})"]
    if c["original_model_id"]:
        lines.append(f"same per-epoch metrics as {c['original_model_id']}: {c['same_history']}")
        lines.append(f"same weights (sha256 {result['record']['weights_sha256'][:16]}): {c['same_weights']}")
    emit(result, as_json, "\n".join(lines))


@models_app.command("card")
def models_card(model: str, workspace: Optional[Path] = WorkspaceOpt, db_url: Optional[str] = DbOpt,
                as_json: bool = JsonOpt):
    """Print a model's card (Markdown; --json for card.json)."""
    from .ops.package import card_markdown, model_card

    ws = open_workspace(workspace, db_url)
    card = guarded(lambda: model_card(ws, model), as_json)
    if as_json:
        return typer.echo(json.dumps(card, indent=1))
    typer.echo(card_markdown(card), nl=False)
