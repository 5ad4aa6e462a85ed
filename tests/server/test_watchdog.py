"""A worker stuck in one long call that never reaches a stop check is still stopped within 2 s of a cancel, and
its run says why (server.worker.Watchdog)."""
import os
import signal
import subprocess
import sys
import textwrap
import time

from graft.store import Workspace

STUCK = """
    import os, sys, time
    from graft.store import Workspace
    from graft.server.worker import Progress, guard
    ws = Workspace(sys.argv[1])
    run = ws.create_run("evaluate", {}, status="running")
    p = Progress(ws, run["id"])
    guard(ws, run["id"], p)
    print(run["id"], flush=True)
    time.sleep(120)   # one long call: the token is set, but nothing checks it
    print("never", flush=True)
"""


def test_a_stuck_worker_is_stopped_within_2_s_and_its_run_says_why(tmp_path):
    ws = Workspace(tmp_path / "ws")
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(STUCK), str(ws.root)], stdout=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        run_id = proc.stdout.readline().strip()
        assert run_id.startswith("run-"), run_id
        sent = time.monotonic()
        os.kill(proc.pid, signal.SIGUSR1)
        proc.wait(timeout=30)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert took < 2.0, took
    run = ws.get_run(run_id)
    assert run["status"] == "cancelled" and "did not reach a stop check" in run["error"]
    assert "never" not in proc.stdout.read()
