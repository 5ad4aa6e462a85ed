"""`graft datasets import` as a user runs it, and the same upload over HTTP: dry run, label column, resize, and
messages that name the user's file."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from PIL import Image

import graft
from graft.data import load_dataset

SIZES = [(40, 30), (50, 50), (32, 48)]   # width, height: photos as they come


def label_last_csv(path, rows: int = 60) -> None:
    """No header; 16 pixel columns, then the label (3 classes)."""
    rng = np.random.default_rng(0)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        for i in range(rows):
            writer.writerow([*rng.integers(0, 256, 16), i % 3])


def photo_zip_bytes(n: int = 12) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for i in range(n):
            img = Image.new("RGB", SIZES[i % 3], (i * 20, 100, 200 - i * 10))
            png = io.BytesIO()
            img.save(png, "PNG")
            z.writestr(f"{('cat', 'dog')[i % 2]}/{i}.png", png.getvalue())
    return buf.getvalue()


def graft_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "graft.cli", *args], capture_output=True, text=True, timeout=120)


def test_dry_run_finds_the_label_last_and_registers_nothing(tmp_path):
    label_last_csv(tmp_path / "digits.csv")
    ws = str(tmp_path / "ws")
    text = graft_cli("datasets", "import", str(tmp_path / "digits.csv"), "--dry-run", "--workspace", ws)
    assert text.returncode == 0, text.stderr
    assert "csv" in text.stdout and "label column: 16" in text.stdout and "nothing registered" in text.stdout
    assert "train" in text.stdout and "classes (3): 0, 1, 2" in text.stdout
    dry = json.loads(graft_cli("datasets", "import", str(tmp_path / "digits.csv"), "--dry-run", "--json",
                               "--workspace", ws).stdout)
    assert dry["format"] == "csv" and dry["classes"] == ["0", "1", "2"] and dry["label_column"]["column"] == 16
    assert dry["splits"]["train"]["count"] == 60 and dry["shape"] == [1, 4, 4]
    listed = json.loads(graft_cli("datasets", "list", "--workspace", ws, "--json").stdout)
    assert not any(str(r.get("id", "")).startswith("ds-") for r in listed)


def test_import_a_label_last_csv_with_a_test_fraction(tmp_path):
    label_last_csv(tmp_path / "digits.csv")
    done = graft_cli("datasets", "import", str(tmp_path / "digits.csv"), "--name", "digits", "--label-column", "16",
                     "--test-fraction", "0.25", "--workspace", str(tmp_path / "ws"), "--json")
    assert done.returncode == 0, done.stderr
    rec = json.loads(done.stdout)
    assert rec["id"].startswith("ds-") and rec["classes"] == ["0", "1", "2"]
    assert rec["sizes"] == {"train": 45, "test": 15} and rec["split_from"] == "test_fraction"
    assert rec["label_column"]["column"] == 16


def test_mixed_sizes_are_refused_naming_them_then_import_resized(tmp_path):
    (tmp_path / "photos.zip").write_bytes(photo_zip_bytes())
    ws = tmp_path / "ws"
    refused = graft_cli("datasets", "import", str(tmp_path / "photos.zip"), "--workspace", str(ws))
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "photos.zip" in refused.stderr and "--resize" in refused.stderr
    assert all(f"{h}x{w}" in refused.stderr for w, h in SIZES), refused.stderr   # height x width
    done = graft_cli("datasets", "import", str(tmp_path / "photos.zip"), "--resize", "32,32", "--workspace",
                     str(ws), "--json")
    assert done.returncode == 0, done.stderr
    rec = json.loads(done.stdout)
    assert rec["shape"] == [3, 32, 32] and rec["classes"] == ["cat", "dog"] and rec["sizes"] == {"train": 12}
    assert rec["preprocessing"][0]["resize"] == [32, 32]
    ds = load_dataset({"dataset": rec["id"]}, "train", workspace_root=ws)
    assert tuple(ds.images.shape[1:]) == (3, 32, 32) and len(ds.labels) == 12


def test_python_dry_run_and_import_resized(tmp_path):
    (tmp_path / "photos.zip").write_bytes(photo_zip_bytes())
    ws = graft.Workspace(tmp_path / "ws")
    try:
        dry = graft.import_dataset(ws, tmp_path / "photos.zip", dry_run=True)
        assert "mixed_sizes" in {w["code"] for w in dry["warnings"]} and ws.list_datasets() == []
        rec = graft.import_dataset(ws, tmp_path / "photos.zip", name="photos", resize=[32, 32])
        assert rec["shape"] == [3, 32, 32] and ws.get_dataset(rec["id"])["preprocessing"] == rec["preprocessing"]
    finally:
        ws.close()


@pytest.fixture
def client(tmp_path):
    from fastapi.testclient import TestClient

    from graft.server.app import create_app

    with TestClient(create_app(tmp_path / "ws", port=8000), base_url="http://127.0.0.1:8000") as c:
        yield c


def test_http_inspect_then_import_resized(client):
    files = {"file": ("holiday photos.zip", photo_zip_bytes())}
    seen = client.post("/api/datasets/inspect", files=files)
    assert seen.status_code == 200, seen.text
    report = seen.json()
    assert report["display_name"] == "holiday photos.zip" and report["classes"] == ["cat", "dog"]
    assert "mixed_sizes" in {w["code"] for w in report["warnings"]} and report["error"]
    assert report["samples"]["items"][0]["image"].startswith("data:image/png;base64,")
    assert [d for d in client.get("/api/datasets").json() if not d["builtin"]] == []
    done = client.post("/api/datasets/import", files=files, data={"resize": "32,32", "name": "photos"})
    assert done.status_code == 201, done.text
    assert done.json()["shape"] == [3, 32, 32] and done.json()["preprocessing"][0]["resize"] == [32, 32]
    listed = [d for d in client.get("/api/datasets").json() if not d["builtin"]]
    assert [(d["name"], d["shape"]) for d in listed] == [("photos", [3, 32, 32])]


def test_http_errors_name_the_uploaded_file_not_a_temp_path(client, tmp_path):
    files = {"file": ("holiday photos.zip", photo_zip_bytes())}
    refused = client.post("/api/datasets/import", files=files)
    assert refused.status_code == 422, refused.text
    message = json.dumps(refused.json())
    assert "holiday photos.zip" in message and "tmp" not in message and str(tmp_path) not in message
    with io.StringIO() as text:
        csv.writer(text).writerows([["a", "b"], ["1", "x"]])
        bad = client.post("/api/datasets/inspect", files={"file": ("mine.csv", text.getvalue().encode())})
    assert bad.status_code == 422 and "mine.csv" in bad.text and str(tmp_path) not in bad.text
