"""`graft import-model`: a pretrained model from an ONNX file, registered as a graft model.

Registered on the main Typer app (imported at the end of graft.cli); heavy imports stay inside the command.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .cli import DbOpt, JsonOpt, WorkspaceOpt, app, emit, guarded, open_workspace


def parse_shape(text: str | None) -> tuple[int, ...] | None:
    if text is None:
        return None
    parts = [p.strip() for p in text.split(",")]
    if not parts or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise ValueError(f"--input-shape: expected positive whole numbers such as 3,224,224; found {text!r}")
    return tuple(int(p) for p in parts)


@app.command(name="import-model")
def import_model_(source: Path = typer.Argument(..., help="An ONNX file (.onnx)."),
                  name: str = typer.Option(..., "--name"),
                  input_shape: Optional[str] = typer.Option(None, "--input-shape",
                                                            help="C,H,W when the file's input size is dynamic."),
                  workspace: Optional[Path] = WorkspaceOpt, db_url: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """Import a pretrained network as a graft model: its graph becomes a network document, its weights safetensors."""
    from .ops.import_model import import_model

    ws = open_workspace(workspace, db_url)
    rec = guarded(lambda: import_model(ws, source, name, input_shape=parse_shape(input_shape)), as_json)
    shape = "x".join(str(n) for n in rec["input_shape"])
    emit(rec, as_json, f"registered model {rec['id']} ({rec['name']}): {len(rec['spec']['nodes'])} nodes, "
                       f"{rec['params']} parameters, input {shape}")
