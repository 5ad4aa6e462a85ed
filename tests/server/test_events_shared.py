"""The live-event streams share one registry snapshot: every tab still sees each change, with the record the API
returns, and a change made after a snapshot reaches the streams on the next one."""
import asyncio
import json
import threading
import time

from fastapi.testclient import TestClient

from graft.server.app import create_app
from graft.server.events import SharedSnapshot, snapshot_texts
from graft.store import Workspace

BASE = "http://127.0.0.1:8000"


def _await(coroutine):
    """Run a coroutine on its own loop in its own thread: a session's Playwright sync API keeps an event loop
    running on the main thread, where run_until_complete would refuse."""
    out = {}
    worker = threading.Thread(target=lambda: out.update(value=asyncio.run(coroutine)))
    worker.start()
    worker.join()
    return out["value"]


def test_a_fresh_snapshot_is_shared_and_an_old_one_is_read_again(tmp_path):
    ws = Workspace(tmp_path / "ws")
    run = ws.create_run("train", {"network": {}}, name="first")
    try:
        kept = SharedSnapshot(ws, max_age=3600)
        a, b = _await(kept.get()), _await(kept.get())
        assert a is b and kept.reads == 1                      # the second asker got the same snapshot
        assert a == snapshot_texts(ws)
        assert json.loads(a[run["id"]][1])["name"] == "first"

        ws.runs.update(run["id"], name="second")
        always = SharedSnapshot(ws, max_age=0)                 # older than max_age at once: read again each time
        assert json.loads(_await(always.get())[run["id"]][1])["name"] == "second"
        ws.runs.update(run["id"], name="third")
        assert json.loads(_await(always.get())[run["id"]][1])["name"] == "third"
        assert always.reads == 2
    finally:
        ws.close()


def _follow(client, rid, want_names, got, limit_s=60):
    """Read one event stream until events for `rid` carried each of `want_names` (bounded by limit_s)."""
    deadline = time.monotonic() + limit_s
    with client.stream("GET", "/api/events") as events:
        for line in events.iter_lines():
            if line.startswith("data: "):
                run = json.loads(line[6:])
                if run["id"] == rid:
                    got.append(run)
                    if [r["name"] for r in got][-len(want_names):] == want_names:
                        return
            if time.monotonic() > deadline:
                return


def test_several_streams_each_see_every_change_with_the_records_the_api_returns(tmp_path):
    app = create_app(tmp_path / "ws", port=8000)
    with TestClient(app, base_url=BASE) as c:
        app.state.jobs.stop(terminate=False)   # nothing is dispatched: the run stays queued, changed only by us
        rid = c.post("/api/runs", json={"network": {"template": "mlp"}, "name": "before"}).json()["id"]
        seen = [[] for _ in range(3)]
        readers = [threading.Thread(target=_follow, args=(c, rid, ["before", "after"], got)) for got in seen]
        for r in readers:
            r.start()
        deadline = time.monotonic() + 60   # every stream has reported the queued run before it changes
        while not all(seen) and time.monotonic() < deadline:
            time.sleep(0.05)
        app.state.ws.runs.update(rid, name="after")
        for r in readers:
            r.join(70)
        final = c.get(f"/api/runs/{rid}").json()
    for got in seen:
        assert [r["name"] for r in got][0] == "before" and got[-1]["name"] == "after", got
        assert got[-1] == final                # the stream's record is the API's, field for field
    assert app.state.run_snapshot.reads >= 2   # the change was read after the first snapshot
