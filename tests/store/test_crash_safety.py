"""Register last, sweeping leftovers, stale runs and several processes on one registry."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from sqlalchemy import text, update

from graft.store import Workspace
from graft.store.registry import Registry
from graft.store.tables import runs

SPEC = {"input": {"shape": [4]}, "nodes": []}


def run_python(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], capture_output=True, text=True,
                          timeout=120)


def integrity_ok(ws: Workspace) -> None:
    if ws.engine.dialect.name == "sqlite":
        with ws.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"


CRASH = """
    import os, sys
    from graft.store import Workspace
    ws = Workspace(sys.argv[1], db_url=sys.argv[2] or None)
    def crash(*args, **kwargs):
        os._exit(3)
    if sys.argv[3] == "before-rename":
        import graft.store.files as files
        files.os.replace = crash
    else:
        from graft.store.registry import Registry
        Registry.write = crash
    ws.register_model({"name": "doomed", "spec": {"nodes": []}}, {"weights.safetensors": b"x" * 4096})
"""


def test_crash_before_rename_leaves_only_tmp_garbage_that_is_swept(ws, db_url):
    done = run_python(CRASH, str(ws.root), db_url or "", "before-rename")
    assert done.returncode == 3, done.stderr
    leftovers = list(ws.tmp.iterdir())
    assert len(leftovers) == 1 and (leftovers[0] / "weights.safetensors").exists()
    assert ws.list_models() == [] and not list(ws.artifacts.iterdir())
    ws.close()
    with Workspace(ws.root, db_url=db_url) as again:
        assert not list(again.tmp.iterdir())
        assert again.list_models() == []
        integrity_ok(again)


def test_crash_between_rename_and_insert_lists_nothing(ws, db_url):
    done = run_python(CRASH, str(ws.root), db_url or "", "before-insert")
    assert done.returncode == 3, done.stderr
    ws.close()
    with Workspace(ws.root, db_url=db_url) as again:
        assert again.list_models() == []
        orphans = again.orphan_artifacts()
        assert len(orphans) == 1 and orphans[0].startswith("mdl-")
        integrity_ok(again)


def test_failed_insert_removes_the_folder(ws, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database went away")
    monkeypatch.setattr(Registry, "write", broken)
    with pytest.raises(RuntimeError, match="went away"):
        ws.register_model({"name": "m", "spec": SPEC}, {"weights.safetensors": b"w"})
    monkeypatch.undo()
    assert not list(ws.artifacts.iterdir()) and not list(ws.tmp.iterdir())
    assert ws.list_models() == []


def test_sweep_spares_folders_a_live_process_is_writing(ws, db_url):
    (ws.tmp / "stray.part").write_bytes(b"left by a dead upload")
    (ws.tmp / "stray-dir").mkdir()
    with ws.scratch("upload") as scratch:
        (scratch / "part").write_bytes(b"in progress")
        with Workspace(ws.root, db_url=db_url):  # another opener sweeps tmp/
            pass
        assert (scratch / "part").read_bytes() == b"in progress"
        assert sorted(p.name for p in ws.tmp.iterdir()) == [scratch.name]
    assert not scratch.exists()


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stale_runs_are_marked_interrupted(ws, db_url):
    gone = ws.create_run("train", {}, pid=dead_pid())
    running_gone = ws.create_run("train", {}, status="running", pid=dead_pid())
    mine = ws.create_run("train", {})
    reused = ws.create_run("train", {}, status="running")
    elsewhere = ws.create_run("train", {}, status="running", pid=dead_pid())
    finished = ws.create_run("train", {}, pid=dead_pid())
    ws.update_run(finished["id"], status="done")
    with ws.engine.begin() as conn:  # same pid, another process start time: the pid was reused
        conn.execute(update(runs).where(runs.c.id == reused["id"]).values(proc_start="1"))
        conn.execute(update(runs).where(runs.c.id == elsewhere["id"]).values(host="another-machine"))
    ws.close()
    with Workspace(ws.root, db_url=db_url) as again:
        status = {r["id"]: r["status"] for r in again.list_runs()}
        # a queued run of a dead server stays queued: the next server runs it
        assert status == {gone["id"]: "queued", running_gone["id"]: "interrupted", mine["id"]: "queued",
                          reused["id"]: "interrupted", elsewhere["id"]: "running", finished["id"]: "done"}
        record = again.get_run(running_gone["id"])
        assert f"pid {running_gone['pid']}" in record["error"] and record["finished_at"]
        assert again.mark_stale_runs() == []


def test_a_worker_that_exited_unreaped_counts_as_gone(ws):
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    run = ws.create_run("train", {})
    ws.update_run(run["id"], status="running", pid=zombie.pid)
    try:
        for _ in range(200):  # until it has exited (and is a zombie: we have not waited for it)
            with open(f"/proc/{zombie.pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    break
            subprocess.run(["sleep", "0.05"])
        assert ws.mark_stale_runs() == [run["id"]]
    finally:
        zombie.wait()


WRITER = """
    import sys
    from graft.store import Workspace
    ws = Workspace(sys.argv[1], db_url=sys.argv[2] or None)
    run = ws.create_run("train", {"writer": sys.argv[3]})
    for i in range(15):
        ws.update_run(run["id"], status="running", progress={"step": i})
        ws.register_model({"name": f"{sys.argv[3]}-{i}", "spec": {"nodes": []}, "run_id": run["id"]},
                          {"weights.safetensors": bytes(256)})
    ws.update_run(run["id"], status="done")
"""


def test_several_processes_share_one_registry(ws, db_url):
    procs = [subprocess.Popen([sys.executable, "-c", textwrap.dedent(WRITER), str(ws.root), db_url or "", name],
                              stderr=subprocess.PIPE, text=True) for name in ("a", "b", "c")]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], errors
    assert len(ws.list_models()) == 45
    assert [r["status"] for r in ws.list_runs()] == ["done"] * 3
    integrity_ok(ws)


def test_sqlite_pragmas(tmp_path):
    ws = Workspace(tmp_path)
    with ws.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 10_000
    assert os.path.exists(ws.root / "registry.db")
    ws.close()
