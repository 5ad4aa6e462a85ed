"""The built front end (src/graft/web, made by `make web`): hashed files under /assets, index.html for every
other non-API path so that the single-page app's own routes survive a reload."""
from __future__ import annotations

from pathlib import Path

import re

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Match

from .errors import ApiError

WEB_DIR = Path(__file__).resolve().parent.parent / "web"

NOT_BUILT = """<!doctype html><html><head><meta charset="utf-8"><title>graft</title></head>
<body style="font-family:sans-serif;max-width:40em;margin:4em auto">
<h1>graft: the web front end is not built</h1>
<p>The API is running (<a href="/api/health">/api/health</a>, <a href="/docs">/docs</a>), but
<code>src/graft/web/index.html</code> is missing. Build it with <code>make web</code>
(needs Node.js: it runs <code>npm ci &amp;&amp; npm run build</code> in <code>frontend/</code>) and reload.</p>
</body></html>"""


def inside(root: Path, relative: str) -> Path | None:
    """The file `relative` names under `root`, or None if it is not a file there (including ../ escapes)."""
    try:
        base = root.resolve()
        target = (base / relative).resolve()
    except (OSError, ValueError):
        return None
    if not target.is_relative_to(base) or not target.is_file():
        return None
    return target


def other_methods(request: Request) -> list[str]:
    """The methods of the API routes whose path matches this request's, read from the OpenAPI document."""
    if not any(r.matches(request.scope)[0] == Match.PARTIAL for r in request.app.router.routes):
        return []
    path = request.url.path
    methods: set[str] = set()
    for template, ops in request.app.openapi().get("paths", {}).items():
        if re.fullmatch(re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template)), path):
            methods.update(m.upper() for m in ops)
    return sorted(methods)


def router(web_dir: Path = WEB_DIR) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/{path:path}")
    def page(path: str, request: Request) -> Response:
        if path == "api" or path.startswith("api/"):
            allowed = other_methods(request)
            if allowed:  # this catch-all hides the 405 Starlette gives for a path that exists with other methods
                raise HTTPException(405, {"message": f"{request.method} is not allowed on /{path} (use "
                                                     f"{', '.join(allowed)})", "issues": []},
                                    headers={"Allow": ", ".join(allowed)})
            raise ApiError(404, f"no API route {request.method} /{path}")
        index = web_dir / "index.html"
        if path:
            found = inside(web_dir, path)
            if found is not None:
                cache = "public, max-age=31536000, immutable" if path.startswith("assets/") else "no-cache"
                return FileResponse(found, headers={"cache-control": cache})
            if path.startswith("assets/"):
                raise ApiError(404, f"no asset {path!r}")
        if index.is_file():
            return FileResponse(index, headers={"cache-control": "no-cache"})
        return HTMLResponse(NOT_BUILT, status_code=200)

    return r
