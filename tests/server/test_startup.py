"""`graft ui` answers fast: the server process must not import torch at start-up."""
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_first_request_answers_within_3_s_and_no_torch(tmp_path):
    port = free_port()
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "graft.server", "--workspace", str(tmp_path), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=0.5)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read()
                assert time.monotonic() - started < 10, "server did not answer within 10 s"
                time.sleep(0.05)
        elapsed = time.monotonic() - started
        assert health.status_code == 200
        busy = os.getloadavg()[0] > (os.cpu_count() or 1)
        if elapsed >= 3.0 and busy:
            pytest.skip(f"first answer after {elapsed:.2f} s, but the machine is overloaded (load "
                        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs): the 3 s budget cannot be judged")
        assert elapsed < 3.0, f"first answer after {elapsed:.2f} s"
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
    assert f"http://127.0.0.1:{port}/" in out


def test_server_modules_do_not_import_torch():
    code = "import sys, graft.server.app, graft.server.openapi; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() \
        == "False"
