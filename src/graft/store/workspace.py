"""The workspace: a folder (store.layout) plus a registry database (SQLite file or PostgreSQL), and its typed
repositories, each owning its table and its files:

    ws.models        models and foundations, their files and lineage      (store.models)
    ws.runs          runs: the job queue, progress, each run's folder     (store.runs)
    ws.datasets      imported data sets                                   (store.datasets)
    ws.evaluations   evaluations and their per-sample predictions         (store.evaluations)
    ws.reports       transfer reports (JSON and plot)                     (store.reports)
    ws.embeddings    2-D maps of a model's features on a data set         (store.embeddings)
    ws.layout        where every file goes                                (store.layout)

Workflows, saved networks and the step cache are methods of the workspace itself (store.records). The older
flat names (`ws.get_model`, `ws.create_run`, ...) remain as one-line aliases of the repositories' methods:
the server routes, the CLI and the tests call them in many places.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import select

from . import files as _files
from .datasets import Datasets
from .db import make_engine, migrate
from .evaluations import Evaluations
from .ids import new_id
from .layout import Layout
from .models import Models
from .records import RecordsMixin
from .registry import Registry, parse_time  # noqa: F401  (parse_time: imported from here by older callers)
from .embeddings import Embeddings
from .reports import Reports
from .runs import Runs
from .tables import datasets, evaluations, models

DB_ENV = "GRAFT_DB_URL"


def _alias(repo: str, method: str) -> Any:
    def call(self: Workspace, *args: Any, **kwargs: Any) -> Any:
        return getattr(getattr(self, repo), method)(*args, **kwargs)
    call.__doc__ = f"The same as ws.{repo}.{method}."
    return call


class Workspace(RecordsMixin):
    """`Workspace(root, db_url=None)`: opens (creating, migrating) the workspace and sweeps leftovers.

    The database is `db_url`, else $GRAFT_DB_URL, else `root/registry.db` (SQLite, WAL). Several processes
    (server and workers) may open the same workspace at once.
    """

    def __init__(self, root: str | Path, db_url: str | None = None):
        self.layout = Layout(root)
        self.layout.make()
        self.root, self.artifacts, self.tmp, self.cache = (self.layout.root, self.layout.artifacts,
                                                           self.layout.tmp, self.layout.cache)
        self.db_url = db_url or os.environ.get(DB_ENV) or f"sqlite:///{self.layout.registry_db}"
        self.engine = make_engine(self.db_url)
        self.db = Registry(self.engine, self.layout)
        self.runs = Runs(self.db)
        self.models = Models(self.db, self.runs.get)
        self.datasets = Datasets(self.db)
        self.evaluations = Evaluations(self.db, self.models.get)
        self.reports = Reports(self.layout)
        self.embeddings = Embeddings(self.layout)
        try:
            migrate(self.engine)
            _files.sweep(self.tmp)
            self.runs.mark_stale()
        except BaseException:
            self.engine.dispose()
            raise

    # ------------------------------------------------------------ lifecycle

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r}, db={self.engine.url.render_as_string(hide_password=True)!r})"

    @staticmethod
    def new_id(prefix: str) -> str:
        return new_id(prefix)

    # ------------------------------------------------------------ files

    @property
    def cache_dir(self) -> Path:
        return self.cache

    def artifact_dir(self, id: str) -> Path:
        """artifacts/<id>/ for a well-formed id (the caller checks that the record exists)."""
        return self.layout.artifact_dir(id)

    @contextmanager
    def scratch(self, prefix: str = "scratch") -> Iterator[Path]:
        """A private temporary folder under tmp/, removed afterwards. Anything else put in tmp/ is swept."""
        with _files.scratch_dir(self.tmp, prefix) as path:
            yield path

    def sweep_tmp(self) -> list[str]:
        return _files.sweep(self.tmp)

    def orphan_artifacts(self) -> list[str]:
        """Folders in artifacts/ that no record lists (left by a crash between rename and insert)."""
        with self.db.read() as conn:
            known = {r[0] for t in (models, datasets, evaluations) for r in conn.execute(select(t.c.id))}
        return sorted(p.name for p in self.artifacts.iterdir() if p.name not in known)

    # ------------------------------------------------------------ the older flat names
    register_model, get_model, list_models = _alias("models", "register"), _alias("models", "get"), \
        _alias("models", "list")
    model_dir, model_path = _alias("models", "dir"), _alias("models", "path")
    children, used_by = _alias("models", "children"), _alias("models", "used_by")
    ancestors, descendants = _alias("models", "ancestors"), _alias("models", "descendants")
    create_run, update_run, get_run = _alias("runs", "create"), _alias("runs", "update"), _alias("runs", "get")
    list_runs, mark_stale_runs, run_dir = _alias("runs", "list"), _alias("runs", "mark_stale"), _alias("runs", "dir")
    add_dataset, get_dataset, list_datasets = _alias("datasets", "add"), _alias("datasets", "get"), \
        _alias("datasets", "list")
    dataset_dir, dataset_path = _alias("datasets", "dir"), _alias("datasets", "path")
    add_evaluation, get_evaluation = _alias("evaluations", "add"), _alias("evaluations", "get")
    list_evaluations, evaluation_path = _alias("evaluations", "list"), _alias("evaluations", "path")
    load_predictions = _alias("evaluations", "predictions")
