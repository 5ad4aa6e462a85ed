"""`graft datasets import` (a data set file into the registry) and `graft cancel` (stop a run).

Registered on the main Typer app (imported at the end of graft.cli); heavy imports stay inside the commands.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .cli import DbOpt, JsonOpt, WorkspaceOpt, app, datasets_app, emit, guarded, open_workspace
from .cli_contract import option
from .contracts.requests import DatasetImportRequest as Import


@datasets_app.command("import")
def datasets_import(path: Path = typer.Argument(..., help="A zip or folder of class folders, a CSV, an NPZ or "
                                                "IDX files."),
                    name: Optional[str] = option(Import, "name"), kind: Optional[str] = option(Import, "kind"),
                    test_fraction: float = option(Import, "test_fraction"),
                    workspace: Optional[Path] = WorkspaceOpt, db_url: Optional[str] = DbOpt,
                    as_json: bool = JsonOpt):
    """Import a data set file and register it; prints its id (use it as `data: ds-...`)."""
    from .ops.datasets import import_dataset

    ws = open_workspace(workspace, db_url)
    rec = guarded(lambda: import_dataset(ws, path, name, kind, test_fraction), as_json)
    emit(rec, as_json, f"registered data set {rec['id']} ({rec['name']}): {len(rec['classes'])} classes, "
                       + ", ".join(f"{k} {v}" for k, v in rec["sizes"].items()))


@app.command()
def cancel(run: str = typer.Argument(..., help="A run id (run-...)."), workspace: Optional[Path] = WorkspaceOpt,
           db_url: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """Cancel a run: a queued one at once, one running in a workbench worker at its next step."""
    from .ops.faces import cancel as cancel_run

    ws = open_workspace(workspace, db_url)
    rec = guarded(lambda: cancel_run(ws, run), as_json)
    emit(rec, as_json, f"run {rec['id']}: {rec['status']}" + (" (cancelling)" if rec["status"] == "running" else ""))
