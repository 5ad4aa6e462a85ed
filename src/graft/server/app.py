"""The FastAPI application: /api/* (one router per resource), /api/events (SSE), and the built front end."""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from .. import __version__
from ..store import Workspace
from ..store.ids import NotFound
from . import events, spa
from .cache import ReadCache
from .errors import body, install_handlers
from .jobs import JobRunner
from .routes import (datasets, edits, embeddings, evaluations, examples, foundations, meta, models, networks, reports,
                     runs, synergy, workflows)
from .security import Guard, is_loopback

log = logging.getLogger("graft.server")


def create_app(workspace_root: str | Path, token: str | None = None, host: str = "127.0.0.1", port: int = 8000,
               max_upload_mb: int = 200, workers: int = 1, db_url: str | None = None,
               web_dir: Path | None = None) -> FastAPI:
    if token is None and not is_loopback(host):
        raise ValueError(f"refusing to serve on {host} without an access token (set --token or GRAFT_TOKEN)")
    ws = Workspace(workspace_root, db_url=db_url)  # opening marks runs left 'running' by a dead server
    jobs = JobRunner(ws, workers=workers)
    reads = ReadCache(ws)   # the frequent reads' answers while the registry is unchanged (cache.py)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        interrupted = ws.mark_stale_runs()
        if interrupted:
            log.warning("marked %d run(s) left by a stopped server as interrupted", len(interrupted))
        jobs.start()
        try:
            yield
        finally:
            jobs.stop(terminate=True)
            reads.close()

    app = FastAPI(title="graft", version=__version__, lifespan=lifespan,
                  description="Draw a network, train it, keep a part as a foundation, graft new layers on it.")
    app.state.ws, app.state.jobs, app.state.reads = ws, jobs, reads
    app.state.token_required = token is not None
    app.state.max_upload_bytes = int(max_upload_mb) << 20
    install_handlers(app)

    @app.exception_handler(NotFound)
    async def not_found(request, err: NotFound):
        return body(404, str(err))

    for module in (meta, networks, datasets, runs, models, foundations, edits, evaluations, workflows, examples, synergy,
                   reports, embeddings):
        app.include_router(module.router, prefix="/api")
    app.include_router(events.router(), prefix="/api")
    app.include_router(spa.router(web_dir or spa.WEB_DIR))
    app.add_middleware(Guard, host=host, port=port, token=token)
    app.openapi = lambda: document_errors(app)
    return app


ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}


def document_errors(app: FastAPI) -> dict:
    """Describe the errors as they really are: {"detail": {message, issues}} for 422 (not FastAPI's list),
    400 for a body that does not parse, 404 wherever a path names a record."""
    if app.openapi_schema:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi

    from .schemas import ErrorBody

    doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}").pop("$defs", {}))
    schemas["ErrorBody"] = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    for path, ops in doc.get("paths", {}).items():
        for op in ops.values():
            responses = op.setdefault("responses", {})
            codes = ["422"] + (["400"] if "requestBody" in op else []) + (["404"] if "{" in path else [])
            for code in codes:
                responses[code] = {"description": responses.get(code, {}).get("description", "Error"),
                                   "content": {"application/json": {"schema": ERROR_REF}}}
    app.openapi_schema = doc
    return doc
