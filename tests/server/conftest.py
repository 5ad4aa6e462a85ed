import pytest
from fastapi.testclient import TestClient

from graft.server.app import create_app

BASE = "http://127.0.0.1:8000"


@pytest.fixture
def app(tmp_path):
    return create_app(tmp_path / "ws", port=8000, max_upload_mb=1)


@pytest.fixture
def client(app):
    # raise_server_exceptions: a 500 (a bug) fails the test with its traceback
    with TestClient(app, base_url=BASE) as c:
        yield c


def _detail(resp):
    body = resp.json()
    assert set(body) == {"detail"}, body
    assert isinstance(body["detail"]["message"], str) and body["detail"]["message"]
    return body["detail"]


@pytest.fixture(name="detail")
def detail_fixture():
    """detail(resp): the {"message", "issues"} of an error response, checking its shape."""
    return _detail
