"""`graft pretrain` (a foundation from unlabeled images) and `graft report transfer` (what a foundation buys).

Registered on the main Typer app (imported at the end of graft.cli); heavy imports stay inside the commands.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .cli import DbOpt, JsonOpt, WorkspaceOpt, app, emit, guarded, open_workspace, read_document
from .cli_contract import default_of, from_cli, option, options_of
from .contracts.hparams import PretrainHparams
from .contracts.requests import PretrainRequest, ReportRequest as Report

report_app = typer.Typer(help="Reports: what a foundation buys over training from scratch.", no_args_is_help=True)
app.add_typer(report_app, name="report")


@app.command()
@options_of(PretrainHparams)
def pretrain(network: Path = typer.Option(..., "--network", help="Encoder network YAML/JSON file."),
             end: Optional[str] = option(PretrainRequest, "end"),
             objective: str = option(PretrainRequest, "objective"),
             data: str = option(PretrainRequest, "data", help="Data set name or id (its labels are not used)."),
             limit: Optional[int] = typer.Option(None, min=1, help="Use only the first N images."),
             name: Optional[str] = option(PretrainRequest, "name"),
             description: str = option(PretrainRequest, "description"), workspace: Optional[Path] = WorkspaceOpt,
             db_url: Optional[str] = DbOpt, as_json: bool = JsonOpt, **hparams):
    """Train an encoder without labels and register it as a foundation."""
    from .cli_progress import epoch_printer
    from .ops.faces import pretrain as pretrain_foundation

    ws = open_workspace(workspace, db_url)
    hp = from_cli(hparams)
    epochs = hp["epochs"]

    on_epoch = epoch_printer(epochs, quiet=as_json)

    ref = {"dataset": data, "transforms": [{"limit": limit}]} if limit else data
    rec = guarded(lambda: pretrain_foundation(ws, read_document(network), end, objective, ref, hp, name=name,
                                              description=description, on_epoch=on_epoch,
                                              progress_bar=not as_json), as_json)
    emit(rec, as_json, f"registered foundation {rec['id']} ({rec['name']}), {objective} loss "
                       f"{rec['metrics']['pretrain_loss']:.4f}, sha256 {rec['block_sha256']['foundation'][:16]}")


def parse_budgets(text: str) -> list:
    out = []
    for part in text.split(","):
        part = part.strip()
        if part == "all":
            out.append("all")
        elif part.isdigit() and int(part) > 0:
            out.append(int(part))
        else:
            raise ValueError(f"--budgets: expected whole numbers >= 1 or 'all', separated by commas; found {part!r}")
    return out


@report_app.command("transfer")
def report_transfer(foundation: str = option(Report, "foundation", help="Foundation id (fnd-...)."),
                    target: str = option(Report, "target", help="Target data set name or id."),
                    budgets: str = typer.Option(",".join(map(str, default_of(Report.model_fields["budgets"]))),
                                                help="Labels per class, comma-separated."),
                    head: str = option(Report, "head"),
                    epochs: str = typer.Option(str(Report.model_fields["epochs"].default),
                                               help="Epochs per training, or auto (>= 300 steps)."),
                    seed: int = option(Report, "seed"),
                    png: Optional[Path] = typer.Option(None, help="Also write the plot here."),
                    unlabeled: Optional[str] = typer.Option(None, help="Also train each head with this data set's "
                                                            "images, labels propagated (their labels unread)."),
                    workspace: Optional[Path] = WorkspaceOpt, db_url: Optional[str] = DbOpt,
                    as_json: bool = JsonOpt):
    """Per label budget: a head on the frozen foundation against the same network from scratch."""
    from .ops.faces import transfer_report
    from .ops.report import report_png

    ws = open_workspace(workspace, db_url)

    def go():
        n_epochs = epochs if epochs == "auto" else int(epochs)
        rep = transfer_report(ws, foundation, target, parse_budgets(budgets), head=head, epochs=n_epochs, seed=seed,
                              unlabeled=unlabeled)
        if png:
            png.write_bytes(report_png(rep))
        return rep

    rep = guarded(go, as_json)
    lines = [f"report {rep['id']}: {rep['foundation_name']} -> {rep['target']['dataset']} "
             f"(test: {rep['test_size']} samples)",
             f"{'labels/class':>12} {'train':>6} {'epochs':>6} {'foundation':>10} {'scratch':>8} {'gain':>7} "
             f"{'f. s':>7} {'s. s':>7}" + (f" {'+unlabeled':>10}" if unlabeled else "")]
    for r in rep["rows"]:
        lines.append(f"{r['budget']!s:>12} {r['train_size']:>6} {r['epochs']:>6} {r['foundation']['accuracy']:>10.4f} "
                     f"{r['scratch']['accuracy']:>8.4f} {r['gain']:>+7.4f} {r['foundation']['train_seconds']:>7.1f} "
                     f"{r['scratch']['train_seconds']:>7.1f}"
                     + (f" {r['semi_supervised']['accuracy']:>10.4f}" if r.get("semi_supervised") else ""))
    emit(rep, as_json, "\n".join(lines))
