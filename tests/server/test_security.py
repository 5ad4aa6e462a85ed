"""Host-header (DNS rebinding), Origin, token and upload-size guards."""
import pytest
from fastapi.testclient import TestClient

from graft.server import check_bind, serve
from graft.server.app import create_app

TOKEN = "s3cret-token-0123456789"


@pytest.mark.parametrize("method,path", [("GET", "/api/health"), ("POST", "/api/networks/analyze"),
                                         ("GET", "/api/events"), ("GET", "/")])
def test_foreign_host_header_is_refused(client, method, path):
    resp = client.request(method, path, headers={"host": "evil.example:8000"}, json={})
    assert resp.status_code == 421 and "evil.example" in resp.json()["detail"]["message"]
    assert client.get("/api/health", headers={"host": "127.0.0.1:9999"}).status_code == 421
    assert client.get("/api/health", headers={"host": "localhost:8000"}).status_code == 200


def test_cross_site_post_is_refused(client):
    resp = client.post("/api/networks", json={"name": "x", "network": {}}, headers={"origin": "https://evil.example"})
    assert resp.status_code == 403
    assert client.post("/api/networks/analyze", json={"template": "mlp"},
                       headers={"origin": "http://127.0.0.1:8000"}).status_code == 200


def test_serving_off_loopback_needs_a_token(tmp_path, capsys):
    assert check_bind("127.0.0.1", None) is None
    assert "token" in check_bind("0.0.0.0", None)
    assert "16 to 256" in check_bind("0.0.0.0", "short")
    with pytest.raises(SystemExit) as exit_:
        serve(tmp_path, host="0.0.0.0", port=8123, token=None)
    assert exit_.value.code == 2 and "without an access token" in capsys.readouterr().err
    with pytest.raises(ValueError):
        create_app(tmp_path, host="0.0.0.0", token=None)


def test_token_via_bearer_or_cookie(tmp_path):
    app = create_app(tmp_path, host="0.0.0.0", port=8000, token=TOKEN)
    with TestClient(app, base_url="http://192.168.1.5:8000") as c:
        assert c.get("/api/health").status_code == 401
        assert c.get("/api/events").status_code == 401
        assert c.get("/api/health", headers={"authorization": "Bearer wrong"}).status_code == 401
        assert c.get("/api/health", headers={"authorization": f"Bearer {TOKEN}"}).status_code == 200
        visit = c.get(f"/?token={TOKEN}", follow_redirects=False)
        assert visit.status_code == 303 and visit.headers["location"] == "/"
        assert "HttpOnly" in visit.headers["set-cookie"]
        assert c.get("/api/health").status_code == 200  # the cookie now rides along


def test_upload_over_the_limit_is_413(client):
    big = b"x" * (2 << 20)  # the fixture's limit is 1 MiB
    resp = client.post("/api/datasets/import", files={"file": ("big.csv", big, "text/csv")})
    assert resp.status_code == 413 and "limit" in resp.json()["detail"]["message"]

    def chunks():  # no Content-Length: counted while streaming
        for _ in range(40):
            yield b"y" * 65536
    resp = client.post("/api/datasets/import", content=chunks(),
                       headers={"content-type": "multipart/form-data; boundary=abc"})
    assert resp.status_code == 413


def test_bad_uploads_are_400_or_422(client):
    assert client.post("/api/datasets/import", json={"a": 1}).status_code == 400
    assert client.post("/api/datasets/import", files={"other": ("a.csv", b"1,2\n", "text/csv")}).status_code == 400
    bad = client.post("/api/datasets/import", files={"file": ("a.csv", b"not,a,dataset\n\x00\x01", "text/csv")})
    assert bad.status_code == 422, bad.text
