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
def datasets_import(path: Path = typer.Argument(..., help="A zip or folder of class folders (train/ and test/ "
                                                "honoured), a CSV, an NPZ, IDX files or a `datasets` folder."),
                    name: Optional[str] = option(Import, "name"), kind: Optional[str] = option(Import, "kind"),
                    test_fraction: float = option(Import, "test_fraction"),
                    label_column: Optional[str] = option(Import, "label_column"),
                    resize: Optional[str] = option(Import, "resize", metavar="H,W"),
                    dry_run: bool = option(Import, "dry_run"),
                    workspace: Optional[Path] = WorkspaceOpt, db_url: Optional[str] = DbOpt,
                    as_json: bool = JsonOpt):
    """Import a data set file and register it; prints its id (use it as `data: ds-...`). With --dry-run, print
    what it would find (format, splits, classes, sizes, warnings) and register nothing."""
    from .ops.datasets import import_dataset

    ws = open_workspace(workspace, db_url)
    rec = guarded(lambda: cli_hint(lambda: import_dataset(ws, path, name, kind, test_fraction, label_column,
                                                          resize, dry_run)), as_json)
    if dry_run:
        emit(rec, as_json, summary_text(rec))
        return
    emit(rec, as_json, f"registered data set {rec['id']} ({rec['name']}): {len(rec['classes'])} classes, "
                       + ", ".join(f"{k} {v}" for k, v in rec["sizes"].items())
                       + "".join(f"\nwarning: {w}" for w in rec.get("warnings", [])))


def cli_hint(fn):
    """The data layer names its options as Python does (resize=..., label_column); say the flag too."""
    try:
        return fn()
    except ValueError as err:
        text = str(err)
        for word, flag in (("resize=", "--resize H,W"), ("label_column", "--label-column C")):
            if word in text:
                text += f" (on the command line: {flag})"
        raise ValueError(text) from None


def summary_text(r: dict) -> str:
    """A dry run as a readable table: format, splits x counts, classes, sizes, label column, warnings."""
    lines = [f"{r['display_name']}: {r.get('format')}"
             + (f", stored shape {'x'.join(map(str, r['shape']))}" if r.get("shape") else "")]
    classes = r.get("classes", [])
    if r.get("splits"):
        width = max(6, *(len(c) for c in classes[:12]))
        lines.append(f"  {'split':<6} {'images':>7}  " + " ".join(f"{c:>{width}}" for c in classes[:12])
                     + (" ..." if len(classes) > 12 else ""))
        for split, s in r["splits"].items():
            lines.append(f"  {split:<6} {s['count']:>7}  "
                         + " ".join(f"{s['counts'].get(c, 0):>{width}}" for c in classes[:12]))
    lines.append(f"classes ({len(classes)}): {', '.join(classes[:30])}" + (" ..." if len(classes) > 30 else ""))
    if r.get("sizes"):
        lines.append("sizes (height x width): " + ", ".join(f"{s['height']}x{s['width']} ({s['count']})" for s in r["sizes"])
                     + (f" and {r['sizes_more']} more" if r.get("sizes_more") else "")
                     + "; channels: " + ", ".join(f"{n} with {c}" for c, n in r.get("channels", {}).items()))
    if r.get("label_column"):
        lc = r["label_column"]
        lines.append(f"label column: {lc.get('column')} {lc.get('name') or ''} ({lc.get('evidence') or lc.get('by')})")
    for c in r.get("label_candidates", []):
        lines.append(f"  could be the label: column {c['column']} {c.get('name') or ''} ({c.get('evidence')})")
    lines += [f"warning [{w['code']}]: {w['message']}" for w in r.get("warnings", [])]
    if r.get("error"):
        lines.append(f"an import would be refused: {r['error']}")
    lines.append("dry run: nothing registered")
    return "\n".join(lines)


@app.command()
def cancel(run: str = typer.Argument(..., help="A run id (run-...)."), workspace: Optional[Path] = WorkspaceOpt,
           db_url: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """Cancel a run: a queued one at once, one running in a workbench worker at its next step."""
    from .ops.faces import cancel as cancel_run

    ws = open_workspace(workspace, db_url)
    rec = guarded(lambda: cancel_run(ws, run), as_json)
    emit(rec, as_json, f"run {rec['id']}: {rec['status']}" + (" (cancelling)" if rec["status"] == "running" else ""))
