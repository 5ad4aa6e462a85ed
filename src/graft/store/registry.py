"""The database half of a workspace, shared by the repositories: connections and the plain row operations.

Records come back as plain JSON-able dicts (datetimes as ISO 8601 strings, `extra` fields at the top level).
Every id that comes in is checked (`ids.check_id`) before it is used in a query or a path.
"""
from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, insert, select, update

from ..contracts.errors import DiskFull, is_disk_full
from . import files as _files
from .ids import NotFound, check_id
from .layout import Layout
from .tables import utcnow


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


class Registry:
    def __init__(self, engine: Engine, layout: Layout):
        self.engine, self.layout = engine, layout
        self._pid = os.getpid()

    def _fork_check(self) -> None:
        # pooled connections must not cross a fork: a child opens its own
        if os.getpid() != self._pid:
            self.engine.dispose(close=False)
            self._pid = os.getpid()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        self._fork_check()
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        self._fork_check()
        try:
            with self.engine.connect() as conn:
                conn = conn.execution_options(graft_write=True)
                with conn.begin():
                    yield conn
        except Exception as err:
            if is_disk_full(err) and not isinstance(err, DiskFull):
                raise DiskFull("the registry database", "nothing was changed") from err
            raise

    @staticmethod
    def record(row: Any) -> dict[str, Any]:
        record = {k: _jsonable(v) for k, v in row._mapping.items()}
        extra = record.pop("extra", None) or {}
        return {**extra, **record}

    def get(self, table: Table, kind: str, id: str, prefixes: tuple[str, ...] | None = None) -> dict[str, Any]:
        key = check_id(id, kind, prefixes)
        with self.read() as conn:
            row = conn.execute(select(table).where(table.c.id == key)).first()
        if row is None:
            raise NotFound(kind, id)
        return self.record(row)

    def list(self, table: Table, *where: Any, limit: int | None = None) -> list[dict[str, Any]]:
        query = select(table).where(*where).order_by(table.c.created_at.desc(), table.c.id)
        if limit is not None:
            query = query.limit(limit)
        with self.read() as conn:
            return [self.record(r) for r in conn.execute(query)]

    def update(self, table: Table, kind: str, id: str, values: dict[str, Any],
               prefixes: tuple[str, ...] | None = None) -> dict[str, Any]:
        key = check_id(id, kind, prefixes)
        with self.write() as conn:
            if conn.execute(update(table).where(table.c.id == key).values(values)).rowcount == 0:
                raise NotFound(kind, id)
        return self.get(table, kind, key, prefixes)

    def delete(self, table: Table, kind: str, id: str) -> None:
        key = check_id(id, kind)
        with self.write() as conn:
            if conn.execute(delete(table).where(table.c.id == key)).rowcount == 0:
                raise NotFound(kind, id)

    def publish(self, id: str, files: Mapping[str, bytes | Path], table: Table, values: dict[str, Any]) -> None:
        """Register last: the files into artifacts/<id>/ (files.publish), then the row in one transaction."""
        def commit() -> None:
            with self.write() as conn:
                conn.execute(insert(table).values(values))
        _files.publish(self.layout.tmp, self.layout.artifacts, id, files, commit)

    @staticmethod
    def columns(table: Table, record: Mapping[str, Any], what: str, skip: tuple[str, ...] = ()) -> dict[str, Any]:
        """The record's values for `table`, refusing unknown fields (a typo must not vanish silently)."""
        known = set(table.c.keys()) - set(skip)
        unknown = sorted(set(record) - known)
        if unknown:
            raise ValueError(f"{what} record: unknown field(s) {', '.join(unknown)} "
                             f"(expected some of {', '.join(sorted(known))})")
        return dict(record)
