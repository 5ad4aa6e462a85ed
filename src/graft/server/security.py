"""Who may talk to the server: a Host-header check (DNS rebinding), an Origin check on writes (cross-site
forms), and an optional access token (Bearer header or the graft_token cookie set by visiting /?token=...).

A pure ASGI middleware so that it also guards the Server-Sent Events stream without buffering it.
"""
from __future__ import annotations

import hmac
import ipaddress
import json
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlencode, urlsplit

COOKIE = "graft_token"
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def split_host(value: str) -> tuple[str, int | None]:
    """'127.0.0.1:8000' -> ('127.0.0.1', 8000); '[::1]:80' -> ('::1', 80); malformed -> ('', None)."""
    try:
        parts = urlsplit(f"//{value}")
        return (parts.hostname or "").lower(), parts.port
    except ValueError:
        return "", None


class Guard:
    def __init__(self, app, host: str, port: int, token: str | None):
        self.app, self.port, self.token = app, port, token
        self.hosts = set(LOOPBACK_NAMES)
        if host not in ("0.0.0.0", "::", ""):
            self.hosts.add(host.lower().strip("[]"))
        else:  # bound to every address: its own names are not known; the token is what protects it
            self.hosts = None

    def host_ok(self, value: str) -> bool:
        name, port = split_host(value)
        if not name:
            return False
        if port is not None and self.port and port != self.port:
            return False
        return self.hosts is None or name in self.hosts

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if not self.host_ok(headers.get("host", "")):
            return await reply(send, 421, f"host {headers.get('host', '')!r} is not this server; open it as "
                                          f"http://127.0.0.1:{self.port}/")
        origin = headers.get("origin")
        if scope.get("method", "GET") not in SAFE_METHODS and origin and origin != "null" \
                and not self.host_ok(urlsplit(origin).netloc):
            return await reply(send, 403, f"cross-site request from origin {origin!r} refused")
        if self.token is not None:
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            offered = query.get("token", [None])[0]
            if offered is not None and not scope["path"].startswith("/api/") and self.matches(offered):
                return await set_cookie_and_redirect(send, scope, self.token)
            if not self.authorised(headers):
                return await reply(send, 401, "an access token is required: open the URL printed by "
                                              "`graft ui` (it ends in ?token=...) or send Authorization: Bearer")
        return await self.app(scope, receive, send)

    def matches(self, offered: str) -> bool:
        return hmac.compare_digest(offered.encode(), self.token.encode())

    def authorised(self, headers: dict[str, str]) -> bool:
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer ") and self.matches(auth[7:].strip()):
            return True
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:  # a malformed cookie header is simply no token
            return False
        return COOKIE in cookie and self.matches(cookie[COOKIE].value)


async def reply(send, status: int, message: str) -> None:
    payload = json.dumps({"detail": {"message": message, "issues": []}}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})


async def set_cookie_and_redirect(send, scope, token: str) -> None:
    query = {k: v for k, v in parse_qs(scope.get("query_string", b"").decode("latin-1")).items() if k != "token"}
    location = scope["path"] + (f"?{urlencode(query, doseq=True)}" if query else "")
    cookie = f"{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict"
    await send({"type": "http.response.start", "status": 303,
                "headers": [(b"location", location.encode()), (b"set-cookie", cookie.encode()),
                            (b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})
