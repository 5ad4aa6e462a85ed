"""The workspace: a folder (artifacts/, tmp/, cache/) plus a registry database (SQLite file or PostgreSQL).

Records come back as plain JSON-able dicts (datetimes as ISO 8601 strings). Every id that comes in is checked
(`ids.check_id`) before it is used in a query or a path.
"""
from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, delete, insert, select, update

from . import files as _files
from .db import make_engine, migrate
from .ids import NotFound, check_id, new_id
from .models import ModelsMixin
from .records import RecordsMixin
from .runs import RunsMixin
from .tables import datasets, evaluations, models, utcnow

DB_ENV = "GRAFT_DB_URL"


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def parse_time(value: Any, field: str) -> datetime:
    """A datetime from a record (imports keep their original times); default now."""
    if value is None:
        return utcnow()
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{field}: expected an ISO 8601 time, found {value!r:.60}") from None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValueError(f"{field}: expected a time with a time zone, found {value!r:.60}")
    return value


class Workspace(ModelsMixin, RunsMixin, RecordsMixin):
    """`Workspace(root, db_url=None)`: opens (creating, migrating) the workspace and sweeps leftovers.

    The database is `db_url`, else $GRAFT_DB_URL, else `root/registry.db` (SQLite, WAL). Several processes
    (server and workers) may open the same workspace at once.
    """

    def __init__(self, root: str | Path, db_url: str | None = None):
        self.root = Path(root).absolute()
        self.artifacts, self.tmp, self.cache = self.root / "artifacts", self.root / "tmp", self.root / "cache"
        for folder in (self.root, self.artifacts, self.tmp, self.cache):
            folder.mkdir(parents=True, exist_ok=True)
        self.db_url = db_url or os.environ.get(DB_ENV) or f"sqlite:///{self.root / 'registry.db'}"
        self.engine = make_engine(self.db_url)
        self._pid = os.getpid()
        try:
            migrate(self.engine)
            _files.sweep(self.tmp)
            self.mark_stale_runs()
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

    def artifact_dir(self, id: str) -> Path:
        """artifacts/<id>/ for a well-formed id (the caller checks that the record exists)."""
        return self.artifacts / check_id(id, "artifact", ("mdl", "fnd", "ds", "ev"))

    def _artifact_file(self, kind: str, id: str, name: str) -> Path:
        try:
            _files.check_file_name(name)
        except ValueError:
            raise NotFound(f"file {name!r:.80} of {kind}", id) from None
        path = self.artifact_dir(id) / name
        if not path.is_file():
            raise NotFound(f"file {name!r} of {kind}", id)
        return path

    @property
    def cache_dir(self) -> Path:
        return self.cache

    def run_dir(self, id: str) -> Path:
        """runs/<id>/ (created on demand): a run's checkpoints and log."""
        path = self.root / "runs" / check_id(id, "run")
        path.mkdir(parents=True, exist_ok=True)
        return path

    @contextmanager
    def scratch(self, prefix: str = "scratch") -> Iterator[Path]:
        """A private temporary folder under tmp/, removed afterwards. Anything else put in tmp/ is swept."""
        with _files.scratch_dir(self.tmp, prefix) as path:
            yield path

    def sweep_tmp(self) -> list[str]:
        return _files.sweep(self.tmp)

    def orphan_artifacts(self) -> list[str]:
        """Folders in artifacts/ that no record lists (left by a crash between rename and insert)."""
        with self._read() as conn:
            known = {r[0] for t in (models, datasets, evaluations) for r in conn.execute(select(t.c.id))}
        return sorted(p.name for p in self.artifacts.iterdir() if p.name not in known)

    def _publish(self, id: str, files: Mapping[str, bytes | Path], table: Table, values: dict[str, Any]) -> None:
        def commit() -> None:
            with self._write() as conn:
                conn.execute(insert(table).values(values))
        _files.publish(self.tmp, self.artifacts, id, files, commit)

    # ------------------------------------------------------------ database helpers

    def _fork_check(self) -> None:
        # pooled connections must not cross a fork: a child opens its own
        if os.getpid() != self._pid:
            self.engine.dispose(close=False)
            self._pid = os.getpid()

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        self._fork_check()
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        self._fork_check()
        with self.engine.connect() as conn:
            conn = conn.execution_options(graft_write=True)
            with conn.begin():
                yield conn

    @staticmethod
    def _record(row: Any) -> dict[str, Any]:
        record = {k: _jsonable(v) for k, v in row._mapping.items()}
        extra = record.pop("extra", None) or {}
        return {**extra, **record}

    def _get(self, table: Table, kind: str, id: str, prefixes: tuple[str, ...] | None = None) -> dict[str, Any]:
        key = check_id(id, kind, prefixes)
        with self._read() as conn:
            row = conn.execute(select(table).where(table.c.id == key)).first()
        if row is None:
            raise NotFound(kind, id)
        return self._record(row)

    def _list(self, table: Table, *where: Any, limit: int | None = None) -> list[dict[str, Any]]:
        query = select(table).where(*where).order_by(table.c.created_at.desc(), table.c.id)
        if limit is not None:
            query = query.limit(limit)
        with self._read() as conn:
            return [self._record(r) for r in conn.execute(query)]

    def _update(self, table: Table, kind: str, id: str, values: dict[str, Any],
                prefixes: tuple[str, ...] | None = None) -> dict[str, Any]:
        key = check_id(id, kind, prefixes)
        with self._write() as conn:
            if conn.execute(update(table).where(table.c.id == key).values(values)).rowcount == 0:
                raise NotFound(kind, id)
        return self._get(table, kind, key, prefixes)

    def _delete(self, table: Table, kind: str, id: str) -> None:
        key = check_id(id, kind)
        with self._write() as conn:
            if conn.execute(delete(table).where(table.c.id == key)).rowcount == 0:
                raise NotFound(kind, id)

    @staticmethod
    def _columns(table: Table, record: Mapping[str, Any], what: str, skip: tuple[str, ...] = ()) -> dict[str, Any]:
        """The record's values for `table`, refusing unknown fields (a typo must not vanish silently)."""
        known = set(table.c.keys()) - set(skip)
        unknown = sorted(set(record) - known)
        if unknown:
            raise ValueError(f"{what} record: unknown field(s) {', '.join(unknown)} "
                             f"(expected some of {', '.join(sorted(known))})")
        return dict(record)
