"""`graft embed MODEL`: a 2-D map of what a model or foundation sees on a data set (registered on graft.cli's app)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .cli import DbOpt, JsonOpt, WorkspaceOpt, app, emit, guarded, open_workspace
from .cli_contract import option
from .contracts.requests import EmbedRequest as Embed


@app.command()
def embed(model: str = typer.Argument(..., help="A model or foundation id (mdl-/fnd-...)."),
          data: str = option(Embed, "data", "--dataset", "--data"),
          split: Optional[str] = option(Embed, "split"),
          limit: int = option(Embed, "limit"), method: str = option(Embed, "method"),
          seed: int = option(Embed, "seed"),
          png: Optional[Path] = typer.Option(None, help="Also write the map as a picture here."),
          workspace: Optional[Path] = WorkspaceOpt, db_url: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """A 2-D map (PCA or t-SNE) of a model's features on a data set, stored: asking again reopens it."""
    from .ops.embed import embedding_png
    from .ops.faces import embed as embed_op

    ws = open_workspace(workspace, db_url)

    def go():
        doc = embed_op(ws, model, data, split=split, limit=limit, method=method, seed=seed)
        if png:
            png.write_bytes(embedding_png(doc))
        return doc

    doc = guarded(go, as_json)
    line = (f"embedding {doc['id']}: {doc['method'].upper()} of {doc['n']} of {doc['total']} images of "
            f"{doc['data'].get('dataset')} ({doc['data'].get('split')}), {doc['model_name']}'s {doc['feature']} "
            f"({doc['feature_dim']} values); features {doc['seconds'].get('features', 0):.2f} s, projection "
            f"{doc['seconds'].get('projection', 0):.2f} s")
    if doc.get("preds") is not None:
        right = sum(p == y for p, y in zip(doc["preds"], doc["labels"]))
        line += f"\nright {right} of {doc['n']} ({right / doc['n']:.2%})"
    emit(doc, as_json, line + (f"\nwrote {png}" if png else ""))
