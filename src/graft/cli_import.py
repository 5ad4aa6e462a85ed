"""`graft import-model`: a pretrained model from an ONNX file or Hugging Face, registered as a graft model.

Registered on the main Typer app (imported at the end of graft.cli); heavy imports stay inside the command.
Its arguments are graft.contracts.ModelImportRequest's; the input shape is typed as C,H,W.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .cli import DbOpt, JsonOpt, WorkspaceOpt, app, emit, guarded, open_workspace
from .cli_contract import option
from .contracts.requests import ModelImportRequest as Req


@app.command(name="import-model")
def import_model_(path: str = typer.Argument(..., metavar="SOURCE", help=(
                     "An ONNX file (.onnx), a Hugging Face model folder (config.json + model.safetensors, as "
                     "save_pretrained writes it) or a hub reference hf:ORG/NAME[@REVISION] (downloaded here, "
                     "checksums verified; ResNet and MobileNetV2 architectures)")),
                  name: str = option(Req, "name", "--name"),
                  input_shape: Optional[str] = option(Req, "input_shape", "--input-shape", metavar="C,H,W"),
                  workspace: Optional[Path] = WorkspaceOpt, db_url: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """Import a pretrained network as a graft model: its graph becomes a network document, its weights safetensors."""
    from .ops.faces import import_model
    from .ops.import_model import parse_shape

    ws = open_workspace(workspace, db_url)
    rec = guarded(lambda: import_model(ws, path, name, input_shape=parse_shape(input_shape)), as_json)
    shape = "x".join(str(n) for n in rec["input_shape"])
    emit(rec, as_json, f"registered model {rec['id']} ({rec['name']}): {len(rec['spec']['nodes'])} nodes, "
                       f"{rec['params']} parameters, input {shape}")
