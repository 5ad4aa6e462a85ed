"""A user with Python and no Node.js installs the built wheel and runs `graft ui`: the workbench is inside."""
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_wheel_ships_the_workbench_and_serves_it_without_node(tmp_path):
    if not (ROOT / "src/graft/web/index.html").is_file():
        pytest.fail("the front end is not built: run `make web` (make test does it)")
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist),
                    str(ROOT)], check=True, capture_output=True)
    wheel = next(dist.glob("graft-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "graft/web/index.html" in names
    assert any(n.startswith("graft/web/assets/") and n.endswith(".js") for n in names)
    assert "graft/data/builtin/mnist/train-images-idx3-ubyte.gz" in names
    assert "graft/workflows/mnist_transfer.yaml" in names
    assert any(n.startswith("graft/store/migrations/versions/") for n in names)

    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    # no node or npm on PATH, run from outside the repository, graft imported from the installed wheel
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(target), "HOME": str(tmp_path), "OMP_NUM_THREADS": "1"}
    where = subprocess.run([sys.executable, "-c", "import graft; print(graft.__file__)"], env=env, cwd=tmp_path,
                           capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(target))
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "graft", "ui", "--workspace", str(tmp_path / "ws"),
                               "--port", str(port), "--load-example"], env=env, cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        page = None
        for _ in range(200):
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read().decode()
                break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()
                time.sleep(0.1)
        assert page is not None and '<div id="root">' in page
        asset = page.split('src="', 1)[1].split('"', 1)[0]
        url = urllib.parse.urljoin(f"http://127.0.0.1:{port}/", asset)
        assert urllib.request.urlopen(url, timeout=5).status == 200
        workflows = urllib.request.urlopen(f"http://127.0.0.1:{port}/api/workflows", timeout=5).read().decode()
        assert "mnist-transfer" in workflows
    finally:
        server.terminate()
        server.wait(timeout=10)
