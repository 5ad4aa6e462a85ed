"""`graft datasets edit` (a data set's new version), `graft retrain` (fix and retrain from an evaluation) and
`graft compare` (two evaluations side by side). Registered on the main Typer app (imported at the end of
graft.cli); heavy imports stay inside the commands."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .cli import DbOpt, JsonOpt, WorkspaceOpt, app, datasets_app, emit, guarded, open_workspace
from .cli_contract import option
from .contracts.edits import DatasetEditRequest as Edit, RetrainRequest as Retrain

RelabelOpt = typer.Option(None, "--relabel", metavar="INDEX=LABEL", help="Relabel a row: 12=7 or 12=cat; repeat "
                          "it, or separate pairs with commas.")
ExcludeOpt = typer.Option(None, "--exclude", metavar="INDEX,...", help="Rows to leave out: 40,41; repeatable.")


def relabels_of(values: list[str] | None) -> list[dict]:
    out = []
    for text in values or []:
        for pair in filter(None, (p.strip() for p in text.split(","))):
            index, sep, label = pair.partition("=")
            if not sep or not index.strip().isdigit() or not label.strip():
                raise ValueError(f"--relabel: expected INDEX=LABEL such as 12=7, found {pair!r:.40}")
            out.append({"index": int(index), "label": label.strip()})
    return out


def rows_of(values: list[str] | None) -> list[int]:
    out = []
    for text in values or []:
        for part in filter(None, (p.strip() for p in text.split(","))):
            if not part.lstrip("-").isdigit():
                raise ValueError(f"--exclude: expected whole numbers such as 40,41, found {part!r:.40}")
            out.append(int(part))
    return out


@datasets_app.command("edit")
def datasets_edit(dataset: str = typer.Argument(..., help="A built-in name or an imported id (ds-...)."),
                  split: str = option(Edit, "split"), relabel: Optional[list[str]] = RelabelOpt,
                  exclude: Optional[list[str]] = ExcludeOpt, name: Optional[str] = option(Edit, "name"),
                  workspace: Optional[Path] = WorkspaceOpt, db_url: Optional[str] = DbOpt,
                  as_json: bool = JsonOpt):
    """Make a new version of a data set with rows relabelled and left out (the data set itself is not changed);
    prints the new id. Rows are those `graft view` shows for the data set's split."""
    from .ops.edits import edit_dataset

    ws = open_workspace(workspace, db_url)
    rec = guarded(lambda: edit_dataset(ws, dataset, split, relabels_of(relabel), rows_of(exclude), name), as_json)
    e = rec.get("edits") or {}
    emit(rec, as_json, f"registered data set {rec['id']} ({rec['name']}), a version of {rec.get('parent')}: "
                       f"{e.get('relabeled', 0)} relabelled, {e.get('excluded', 0)} left out of {e.get('split')}; "
                       + ", ".join(f"{k} {v}" for k, v in rec["sizes"].items()))


@app.command()
def retrain(evaluation: str = typer.Argument(..., help="An evaluation id (ev-...) on the model's training data."),
            relabel: Optional[list[str]] = RelabelOpt, exclude: Optional[list[str]] = ExcludeOpt,
            name: Optional[str] = option(Retrain, "name"), epochs: Optional[int] = option(Retrain, "epochs"),
            workspace: Optional[Path] = WorkspaceOpt, db_url: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """Fix and retrain: relabel or leave out samples of an evaluation (its indices), train the same network on
    the new data version, and evaluate the new model on the same samples."""
    from .ops.compare import compare_evaluations, format_comparison
    from .ops.retrain import retrain as run

    ws = open_workspace(workspace, db_url)
    out = guarded(lambda: run(ws, evaluation, relabels_of(relabel), rows_of(exclude), name=name, epochs=epochs,
                              progress_bar=not as_json), as_json)
    text = (f"data set {out['dataset']['id']} ({out['dataset']['name']})\nmodel {out['model']['id']} "
            f"({out['model']['name']})\nevaluation {out['evaluation']['id']}\n\n"
            + format_comparison(compare_evaluations(ws, out["previous"]["id"], out["evaluation"]["id"])))
    emit(out, as_json, text)


@app.command()
def compare(a: str = typer.Argument(..., help="The first evaluation (ev-...)."),
            b: str = typer.Argument(..., help="The second evaluation (ev-...)."),
            workspace: Optional[Path] = WorkspaceOpt, db_url: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """Two evaluations side by side: total, hit, accuracy, and the samples fixed or broken."""
    from .ops.compare import compare_evaluations, format_comparison

    ws = open_workspace(workspace, db_url)
    c = guarded(lambda: compare_evaluations(ws, a, b), as_json)
    emit(c, as_json, format_comparison(c))
