"""`graft report synergy`: tasks on one foundation, alone and together (registered on the report group)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .cli import DbOpt, JsonOpt, WorkspaceOpt, emit, guarded, open_workspace, read_document
from .cli_contract import option
from .cli_ssl import report_app
from .contracts.synergy import SynergyRequest as Synergy


@report_app.command("synergy")
def report_synergy(foundation: str = option(Synergy, "foundation", help="Foundation id (fnd-...)."),
                   tasks: Path = typer.Option(..., "--tasks", help="A YAML/JSON file: a list of tasks {name, data, "
                                              "per_class, head, weight} (or {tasks: [...]})."),
                   epochs: int = option(Synergy, "epochs"),
                   foundation_training: str = option(Synergy, "foundation_training"),
                   foundation_lr_multiplier: float = option(Synergy, "foundation_lr_multiplier"),
                   task_mixing: str = option(Synergy, "task_mixing"), lr: float = option(Synergy, "lr"),
                   batch_size: int = option(Synergy, "batch_size"), seed: int = option(Synergy, "seed"),
                   threads: Optional[int] = option(Synergy, "threads"),
                   png: Optional[Path] = typer.Option(None, help="Also write the plot here."),
                   workspace: Optional[Path] = WorkspaceOpt, db_url: Optional[str] = DbOpt,
                   as_json: bool = JsonOpt):
    """Each task trained alone on the foundation and all together, same budget: accuracies and their difference."""
    from .ops.faces import synergy_report
    from .ops.report import report_png
    from .ops.synergy import format_synergy

    ws = open_workspace(workspace, db_url)

    def go():
        rep = synergy_report(ws, foundation, read_document(tasks), epochs=epochs,
                             foundation_training=foundation_training,
                             foundation_lr_multiplier=foundation_lr_multiplier, task_mixing=task_mixing, lr=lr,
                             batch_size=batch_size, seed=seed, threads=threads)
        if png:
            png.write_bytes(report_png(rep))
        return rep

    rep = guarded(go, as_json)
    emit(rep, as_json, format_synergy(rep))
