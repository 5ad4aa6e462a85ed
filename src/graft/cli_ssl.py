"""`graft pretrain` (a foundation from unlabeled images) and `graft report transfer` (what a foundation buys).

Registered on the main Typer app (imported at the end of graft.cli); heavy imports stay inside the commands.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .cli import DbOpt, JsonOpt, WorkspaceOpt, app, emit, guarded, open_workspace, read_document

report_app = typer.Typer(help="Reports: what a foundation buys over training from scratch.", no_args_is_help=True)
app.add_typer(report_app, name="report")


@app.command()
def pretrain(network: Path = typer.Option(..., "--network", help="Encoder network YAML/JSON file."),
             objective: str = typer.Option("simclr", help="autoencoder, denoising or simclr."),
             data: str = typer.Option("mnist", help="Data set name or id (its labels are not used)."),
             epochs: int = 5, lr: float = 2e-3, batch_size: int = 256, seed: int = 0,
             temperature: float = typer.Option(0.2, help="simclr: NT-Xent temperature."),
             limit: Optional[int] = typer.Option(None, min=1, help="Use only the first N images."),
             name: Optional[str] = None, workspace: Optional[Path] = WorkspaceOpt, db_url: Optional[str] = DbOpt,
             as_json: bool = JsonOpt):
    """Train an encoder without labels and register it as a foundation."""
    from .ops.pretrain import pretrain_foundation

    ws = open_workspace(workspace, db_url)
    hp = {"epochs": epochs, "lr": lr, "batch_size": batch_size, "seed": seed, "temperature": temperature}

    def on_epoch(row: dict) -> None:
        if not as_json:
            typer.secho(f"epoch {row['epoch']}/{epochs}: loss {row['loss']:.4f} ({row['seconds']:.1f} s)",
                        err=True, fg="cyan")

    ref = {"dataset": data, "transforms": [{"limit": limit}]} if limit else data
    rec = guarded(lambda: pretrain_foundation(ws, read_document(network), ref, objective, hp, name=name,
                                              on_epoch=on_epoch), as_json)
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
def report_transfer(foundation: str = typer.Option(..., help="Foundation id (fnd-...)."),
                    target: str = typer.Option("mnist", help="Target data set name or id."),
                    budgets: str = typer.Option("1,10,100,all", help="Labels per class, comma-separated."),
                    head: str = typer.Option("mlp", help="linear or mlp."),
                    epochs: str = typer.Option("auto", help="Epochs per training, or auto (>= 300 steps)."),
                    seed: int = 0, png: Optional[Path] = typer.Option(None, help="Also write the plot here."),
                    unlabeled: Optional[str] = typer.Option(None, help="Also train each head with this data set's "
                                                            "images, labels propagated (their labels unread)."),
                    workspace: Optional[Path] = WorkspaceOpt, db_url: Optional[str] = DbOpt,
                    as_json: bool = JsonOpt):
    """Per label budget: a head on the frozen foundation against the same network from scratch."""
    from .ops.report import report_png, transfer_report

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
