"""The seed workflow is written once: the packaged file (graft/workflows/, in the wheel) is what `graft ui
--load-example` stores and GET /api/examples/mnist_transfer serves; examples/ holds the same bytes for `graft run`."""
from pathlib import Path

from fastapi.testclient import TestClient

from graft.server.app import create_app
from graft.spec.io import load_document
from graft.workflow import parse_workflow

ROOT = Path(__file__).resolve().parents[2]
PACKAGED = ROOT / "src/graft/workflows/mnist_transfer.yaml"


def test_the_example_file_is_the_packaged_file_byte_for_byte():
    assert (ROOT / "examples/mnist_transfer.yaml").read_bytes() == PACKAGED.read_bytes(), \
        "examples/mnist_transfer.yaml drifted from src/graft/workflows/mnist_transfer.yaml: copy the packaged one"


def test_the_api_serves_the_packaged_seed_as_text_and_parsed(tmp_path):
    with TestClient(create_app(tmp_path / "ws", port=8000), base_url="http://127.0.0.1:8000") as client:
        r = client.get("/api/examples/mnist_transfer")
        assert r.status_code == 200
        body = r.json()
        assert body["yaml"] == PACKAGED.read_text(encoding="utf-8")
        assert body["document"] == load_document(body["yaml"])
        assert [s.name for s in parse_workflow(body["document"]).steps] == ["base", "foundation", "head", "test", "view"]
        missing = client.get("/api/examples/nope")
        assert missing.status_code == 404 and "mnist_transfer" in missing.json()["detail"]["message"]
