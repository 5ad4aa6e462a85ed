"""More `graft` commands, registered on the main Typer app (imported at the end of graft.cli)."""
from __future__ import annotations

from .cli import app  # noqa: F401
