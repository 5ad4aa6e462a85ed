"""Runs (training and other jobs): queued -> running -> done | failed | cancelled | interrupted.

A run records the process that owns it: the one that queued it (the server) until a worker sets its own pid.
`mark_stale_runs` turns running runs whose owner process is gone into `interrupted` (resumable); queued runs
stay queued whoever queued them, so that the next server to start carries them out. The owner is
identified by host, pid and the process's start time, so a pid reused after a restart does not keep a dead
run alive. Runs owned by another host are left alone (only that host can tell).
"""
from __future__ import annotations

import os
import socket
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import func, select, update

from .ids import check_id, new_id
from .registry import Registry, parse_time
from .tables import runs, utcnow

STATUSES = ("queued", "running", "done", "failed", "cancelled", "interrupted")
ACTIVE = ("queued", "running")
FINISHED = ("done", "failed", "cancelled", "interrupted")
UPDATABLE = {"status", "name", "progress", "history", "error", "model_id", "pid", "seed", "workflow_hash",
             "checkpoint", "started_at", "finished_at"}


def _proc_stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (state first), or None without /proc."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            text = f.read()
    except OSError:
        return None
    return text[text.rfind(")") + 2:].split()


def process_start(pid: int) -> str | None:
    fields = _proc_stat(pid)
    return fields[19] if fields and len(fields) > 19 else None


def process_alive(pid: int, start: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    fields = _proc_stat(pid)
    if fields is None:
        return not os.path.isdir("/proc")  # no /proc (macOS): kill() is all we can know; else it just exited
    if fields[0] in ("Z", "X"):  # exited, not yet reaped
        return False
    return start is None or (len(fields) > 19 and fields[19] == start)


def _check_status(status: Any) -> str:
    if status not in STATUSES:
        raise ValueError(f"run status must be one of {', '.join(STATUSES)}, found {status!r:.40}")
    return status


def _check_checkpoint(path: Any) -> str | None:
    if path is None:
        return None
    p = PurePosixPath(path) if isinstance(path, str) else None
    if p is None or p.is_absolute() or ".." in p.parts or "\\" in path or not p.parts:
        raise ValueError(f"run checkpoint must be a path relative to the workspace, found {path!r:.80}")
    return str(p)


class Runs:
    """`ws.runs`: the runs table (the job queue and progress channel) and each run's folder."""

    def __init__(self, db: Registry):
        self.db, self.layout = db, db.layout

    def create(self, kind: str, request: dict, *, name: str = "", status: str = "queued",
                   seed: int | None = None, workflow_hash: str | None = None, pid: int | None = None) -> dict:
        """Queue a run owned by `pid` (default: this process)."""
        if not isinstance(kind, str) or not kind:
            raise ValueError(f"run kind must be a non-empty string, found {kind!r:.40}")
        if not isinstance(request, dict):
            raise ValueError(f"run request must be an object, found {type(request).__name__}")
        id, now, pid = new_id("run"), utcnow(), os.getpid() if pid is None else pid
        values = dict(id=id, kind=kind, name=name, status=_check_status(status), request=request, seed=seed,
                      workflow_hash=workflow_hash, created_at=now, updated_at=now, **self._owner(pid))
        if status == "running":
            values["started_at"] = now
        with self.db.write() as conn:
            conn.execute(runs.insert().values(values))
        return self.get(id)

    @staticmethod
    def _owner(pid: int) -> dict[str, Any]:
        if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
            raise ValueError(f"run pid must be a positive integer, found {pid!r:.40}")
        return {"pid": pid, "host": socket.gethostname(), "proc_start": process_start(pid)}

    def update(self, id: str, **fields: Any) -> dict:
        """Change some fields of a run. Setting status fills started_at (running) or finished_at (finished)
        unless given; setting pid records this host and that process's start time."""
        unknown = sorted(set(fields) - UPDATABLE)
        if unknown:
            raise ValueError(f"run fields {', '.join(unknown)} cannot be updated "
                             f"(expected some of {', '.join(sorted(UPDATABLE))})")
        values = dict(fields, updated_at=utcnow())
        for field in ("started_at", "finished_at"):
            if fields.get(field) is not None:
                values[field] = parse_time(fields[field], f"run {field}")
        if "status" in fields:
            status = _check_status(fields["status"])
            if status == "running" and "started_at" not in fields:
                values["started_at"] = func.coalesce(runs.c.started_at, values["updated_at"])
            if status in FINISHED and "finished_at" not in fields:
                values["finished_at"] = values["updated_at"]
        if "pid" in fields:
            values.update(self._owner(fields["pid"]) if fields["pid"] is not None
                          else {"host": None, "proc_start": None})
        if "checkpoint" in fields:
            values["checkpoint"] = _check_checkpoint(fields["checkpoint"])
        if fields.get("model_id") is not None:
            check_id(fields["model_id"], "model", ("mdl", "fnd"))
        return self.db.update(runs, "run", id, values)

    def get(self, id: str) -> dict:
        return self.db.get(runs, "run", id)

    def list(self, status: str | None = None, kind: str | None = None,
                  limit: int | None = None) -> list[dict]:
        where = []
        if status is not None:
            where.append(runs.c.status == _check_status(status))
        if kind is not None:
            where.append(runs.c.kind == kind)
        return self.db.list(runs, *where, limit=limit)

    def dir(self, id: str) -> Path:
        """runs/<id>/ (created on demand): a run's checkpoints and log."""
        return self.layout.run_dir(id)

    def checkpoints(self, id: str) -> Path:
        return self.layout.checkpoints(id)

    def mark_stale(self) -> list[str]:
        """Mark running runs of this host whose owner process is gone as interrupted; return their ids.
        Queued runs are left for the next server's dispatcher (a server killed with runs queued loses none)."""
        host = socket.gethostname()
        with self.db.read() as conn:
            active = conn.execute(select(runs.c.id, runs.c.pid, runs.c.host, runs.c.proc_start)
                                  .where(runs.c.status == "running")).all()
        stale = [r for r in active
                 if r.pid is None or (r.host == host and not process_alive(r.pid, r.proc_start))]
        marked = []
        for r in stale:
            now = utcnow()
            who = f"the process (pid {r.pid}) that owned it is gone" if r.pid else "no process owned it"
            with self.db.write() as conn:
                # the status guard keeps a run that finished meanwhile as it is
                done = conn.execute(update(runs).where(runs.c.id == r.id, runs.c.status == "running")
                                    .values(status="interrupted", error=f"interrupted: {who}",
                                            finished_at=now, updated_at=now)).rowcount
            if done:
                marked.append(r.id)
        return marked
