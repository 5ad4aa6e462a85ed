"""`graft models foundations`: the foundations catalogue (registered on the models group, imported by graft.cli)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from .cli import DbOpt, JsonOpt, WorkspaceOpt, emit, guarded, models_app, open_workspace
from .cli_contract import option
from .contracts.foundations import FoundationsRequest


@models_app.command("foundations")
def models_foundations(foundation: Optional[str] = option(FoundationsRequest, "foundation"),
                       workspace: Optional[Path] = WorkspaceOpt, db_url: Optional[str] = DbOpt,
                       as_json: bool = JsonOpt):
    """Each foundation, the models and tasks that use it, their test accuracies, and whether each still runs
    on the foundation's exact weights."""
    from .ops.faces import foundations
    from .ops.foundations import format_catalogue

    ws = open_workspace(workspace, db_url)
    entries = guarded(lambda: foundations(ws, foundation), as_json)
    emit(entries, as_json, format_catalogue(entries))
