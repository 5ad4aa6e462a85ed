"""Many threads reading at once (the server's request threads) reuse the registry's connections instead of
opening a new SQLite connection, with its pragmas, for each read."""
import threading

from sqlalchemy import event

from graft.store import Workspace
from graft.store.db import SQLITE_POOL


def test_concurrent_reads_reuse_the_pooled_connections(tmp_path):
    ws = Workspace(tmp_path / "ws")
    run = ws.create_run("train", {"network": {}}, name="r")
    opened = []
    event.listen(ws.engine, "connect", lambda *_: opened.append(1))
    barrier = threading.Barrier(SQLITE_POOL)
    errors = []

    def reader():
        try:
            with ws.db.read() as conn:   # hold the connection until all readers hold one: SQLITE_POOL at once
                barrier.wait(20)
                conn.exec_driver_sql("SELECT 1").all()
            for _ in range(5):
                assert ws.get_run(run["id"])["name"] == "r"
        except Exception as err:   # noqa: BLE001 - reported by the test below
            errors.append(repr(err))

    def wave():
        threads = [threading.Thread(target=reader) for _ in range(SQLITE_POOL)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    wave()
    first = len(opened)
    wave()
    try:
        assert not errors, errors[:3]
        assert first <= SQLITE_POOL and len(opened) == first   # the second wave opened none
    finally:
        ws.close()
