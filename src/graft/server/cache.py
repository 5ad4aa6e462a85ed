"""The workbench's frequent reads, answered from what was made for the previous asker while the registry is
unchanged (issue 17, item 5: fifty open tabs must not slow a training sharing the CPU).

Every open tab reads the run it follows, the run list, the models, data sets and evaluations about once a
second, and holds the live-event stream. Made afresh, each answer decodes every row's JSON (a run's live curve
and epoch rows are most of it), validates it against the response model and encodes it again; the bodies here
are the same bytes (the same response models, serialised the way FastAPI does: `json_body`), made once per
change instead of once per request.

What counts as a change, exactly:
- `DataVersion`: SQLite's `PRAGMA data_version`, read on a connection of its own (no other use), differs after
  any other connection commits: this server's pool, a worker, the CLI. While it is the same, nothing in the
  registry changed and no query is made. PostgreSQL has no such counter: there every read asks the cheap
  questions below.
- Runs change only through `ws.runs` (update, mark_stale), which sets `updated_at` every time: a run's
  (updated_at, status) from an index query without the JSON columns says whether its cached record holds, and
  only the changed runs are read again (`RunCache`).
- Models, imported data sets and evaluations are never changed once registered (the store has no update for
  them; dataset.json is written before the row), so their ids say what is there (`Memo` fingerprints). Built-in
  data sets' availability (files on disk) is looked at on every request, as before.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Hashable
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import select

from ..store.ids import NotFound, check_id
from ..store.tables import datasets, evaluations, models, runs
from .schemas import Run, run_out


@lru_cache(maxsize=None)
def _adapter(annotation: Any):
    from pydantic import TypeAdapter

    return TypeAdapter(annotation)


def json_response(body: bytes):
    """A body made by json_body, sent as FastAPI would have sent it (no second validation)."""
    from fastapi.responses import Response

    return Response(content=body, media_type="application/json")


def json_list(items: list[bytes]) -> bytes:
    """The JSON array of bodies made by json_body: what json_body(list[T], ...) makes of their contents."""
    return b"[" + b",".join(items) + b"]"


def json_body(annotation: Any, content: Any) -> bytes:
    """`content` as FastAPI sends it for a route whose response_model is `annotation`: validated, then dumped
    to JSON by pydantic (by alias, nothing excluded)."""
    adapter = _adapter(annotation)
    return adapter.dump_json(adapter.validate_python(content, from_attributes=True), by_alias=True)


class DataVersion:
    """A number that changes whenever the registry does (SQLite), or None where there is none (PostgreSQL)."""

    def __init__(self, ws):
        self.lock = threading.Lock()
        self.conn: sqlite3.Connection | None = None
        if ws.engine.dialect.name == "sqlite" and ws.engine.url.database not in (None, "", ":memory:"):
            self.conn = sqlite3.connect(ws.engine.url.database, check_same_thread=False, isolation_level=None,
                                        timeout=30)

    def get(self) -> int | None:
        if self.conn is None:
            return None
        with self.lock:
            return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def close(self) -> None:
        if self.conn is not None:
            with self.lock:
                self.conn.close()
                self.conn = None


class RunEntry(NamedTuple):
    status: str
    body: bytes    # the Run as GET /api/runs/{id} answers it (and as an item of GET /api/runs)
    text: str      # the Run as the event stream sends it (events.py)


class RunCache:
    """Each run's answer, kept while its (updated_at, status) stays; the index of all runs (newest first, as
    the registry lists them), kept while the data version stays."""

    def __init__(self, ws, version: DataVersion):
        self.ws, self.version = ws, version
        self.lock = threading.Lock()
        self.entries: dict[str, tuple[tuple, RunEntry]] = {}
        self.index: tuple[int | None, list[tuple[str, tuple]], dict[str, tuple]] | None = None

    def _index(self, v: int | None) -> tuple[list[tuple[str, tuple]], dict[str, tuple]]:
        """[(run id, (updated_at, status))] newest first, and the same as a dict; `v`: the data version."""
        with self.lock:
            if v is not None and self.index is not None and self.index[0] == v:
                return self.index[1], self.index[2]
        query = select(runs.c.id, runs.c.updated_at, runs.c.status).order_by(runs.c.created_at.desc(), runs.c.id)
        with self.ws.db.read() as conn:
            rows = [(r.id, (r.updated_at, r.status)) for r in conn.execute(query)]
        keys = dict(rows)
        with self.lock:
            self.index = (v, rows, keys)
            for rid in [rid for rid in self.entries if rid not in keys]:
                del self.entries[rid]
        return rows, keys

    def _entry(self, rid: str, key: tuple) -> RunEntry:
        with self.lock:
            hit = self.entries.get(rid)
        if hit is not None and hit[0] == key:
            return hit[1]
        record = self.ws.get_run(rid)
        out = run_out(record)
        entry = RunEntry(record["status"], json_body(Run, out),
                         json.dumps(out, default=str, separators=(",", ":")))
        with self.lock:
            self.entries[rid] = (_key_of(record), entry)
        return entry

    def listing(self, status: str | None = None, limit: int | None = None) -> list[tuple[str, RunEntry]]:
        """[(run id, entry)] as ws.list_runs(status, limit) orders them."""
        rows, _ = self._index(self.version.get())
        chosen = [(rid, key) for rid, key in rows if status is None or key[1] == status]
        return [(rid, self._entry(rid, key)) for rid, key in chosen[:limit]]

    def one(self, rid: str) -> RunEntry | None:
        """The run's entry, or None when the registry does not list it (the caller reports that as before)."""
        try:
            check_id(rid, "run")
        except NotFound:
            return None
        v = self.version.get()
        if v is not None:   # SQLite: the index, read again only after a change
            key = self._index(v)[1].get(rid)
        else:               # no data version: one row's (updated_at, status)
            with self.ws.db.read() as conn:
                row = conn.execute(select(runs.c.updated_at, runs.c.status).where(runs.c.id == rid)).first()
            key = None if row is None else (row.updated_at, row.status)
        return None if key is None else self._entry(rid, key)

    def texts(self) -> dict[str, tuple[str, str]]:
        """{run id: (status, the record as the event stream sends it)}, every run (events.snapshot_texts)."""
        return {rid: (e.status, e.text) for rid, e in self.listing()}


def _key_of(record: dict) -> tuple:
    updated = record.get("updated_at")
    return (datetime.fromisoformat(updated) if isinstance(updated, str) else updated, record["status"])


def ids_of(ws, *tables) -> tuple:
    """The ids of every row of `tables` (rows of these tables are never changed once written)."""
    with ws.db.read() as conn:
        return tuple(tuple(r[0] for r in conn.execute(select(t.c.id).order_by(t.c.id))) for t in tables)


class Memo:
    """Whole bodies by name, kept while the data version stays or, when it moved (or there is none), while the
    fingerprint (cheap: ids, no JSON) is the same. `also` is compared on every call (state outside the
    registry, such as files on disk)."""

    def __init__(self, version: DataVersion):
        self.version = version
        self.lock = threading.Lock()
        self.bodies: dict[Hashable, tuple[int | None, Hashable, Hashable, bytes]] = {}

    def get(self, name: Hashable, fingerprint: Callable[[], Hashable], make: Callable[[], bytes],
            also: Hashable = None) -> bytes:
        v = self.version.get()
        with self.lock:
            hit = self.bodies.get(name)
        if hit is not None and v is not None and hit[0] == v and hit[2] == also:
            return hit[3]
        fp = fingerprint()
        if hit is not None and hit[1] == fp and hit[2] == also:
            body = hit[3]
        else:
            body = make()
        with self.lock:
            self.bodies[name] = (v, fp, also, body)
        return body


class ReadCache:
    """app.state.reads: the caches of one app."""

    def __init__(self, ws):
        self.version = DataVersion(ws)
        self.runs = RunCache(ws, self.version)
        self.memo = Memo(self.version)

    def close(self) -> None:
        self.version.close()


MODEL_TABLES, DATASET_TABLES, EVALUATION_TABLES = (models, evaluations), (datasets,), (evaluations,)


def reads_of(request) -> ReadCache:
    return request.app.state.reads
