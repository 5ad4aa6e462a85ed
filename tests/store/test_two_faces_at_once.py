"""Two processes on one workspace at once: a server (`graft ui`) answering 20 concurrent HTTP registrations while
a Python process registers 20 of its own. Both end with all 40, the database intact, and no user ever sees
"database is locked" (SQLite, and the same against PostgreSQL)."""
from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from graft.ops import train_model

from test_crash_safety import integrity_ok

EACH = 20
PYTHON_FACE = """
    import sys
    import graft
    from graft.store import Workspace
    ws = Workspace(sys.argv[1], db_url=sys.argv[2] or None)
    graft.slice    # imported: both start registering together
    print("ready", flush=True)
    sys.stdin.readline()
    for i in range(int(sys.argv[4])):
        graft.slice(ws, sys.argv[3], end="flatten", name=f"python-{i}")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_a_server_and_a_python_process_each_register_20_at_once(ws, db_url, tiny_cnn):
    base = train_model(ws, tiny_cnn, {"dataset": "mnist", "transforms": [{"limit": 100}]},
                       {"epochs": 1, "batch_size": 50}, name="base", progress_bar=False)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "graft.cli", "ui", "--workspace", str(ws.root), "--port",
                               str(port), *(["--db-url", db_url] if db_url else [])],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        other = subprocess.Popen([sys.executable, "-c", textwrap.dedent(PYTHON_FACE), str(ws.root), db_url or "",
                                  base["id"], str(EACH)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True)
        assert other.stdout.readline().strip() == "ready", other.stderr.read()
        other.stdin.write("go\n")
        other.stdin.flush()

        def over_http(i: int) -> httpx.Response:
            return httpx.post(f"{url}/api/models/{base['id']}/slice", json={"end": "flatten", "name": f"http-{i}"},
                              timeout=120)
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(over_http, range(EACH)))
        _, err = other.communicate(timeout=300)
    finally:
        server.terminate()
        log, _ = server.communicate(timeout=30)
    assert [a.status_code for a in answers] == [201] * EACH, [a.text for a in answers if a.status_code != 201]
    assert other.returncode == 0, err
    for text in (err, log, *(a.text for a in answers)):
        assert "locked" not in text.lower()
    names = sorted(m["name"] for m in ws.list_models())
    assert names == sorted(["base", *(f"http-{i}" for i in range(EACH)), *(f"python-{i}" for i in range(EACH))])
    integrity_ok(ws)
