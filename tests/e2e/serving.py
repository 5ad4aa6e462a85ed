"""A real graft server on a free port over a workspace: the browser tests' fixtures and the modules that need a
server of their own import it from here (a module named `conftest` is ambiguous beside tests/server's)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "src" / "graft" / "web" / "index.html"
ARTIFACTS = ROOT / "test-artifacts" / "e2e"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(ws: Path):
    """A graft server on a free port over workspace `ws`, until the generator is closed."""
    if not WEB.exists():
        pytest.fail(f"{WEB} is missing: run `make web` first")
    port = free_port()
    log = open(ws.parent / f"{ws.name}-server.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "graft.server", "--workspace", str(ws), "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/health", timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"graft server did not start: {(ws.parent / f'{ws.name}-server.log').read_text()[-2000:]}")
            time.sleep(0.3)
    yield url
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
