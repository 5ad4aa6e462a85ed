"""Every error the API returns is JSON: {"detail": {"message": ..., "issues": [...]}}.

User errors (bad documents, unknown ids, unusable data) are 4xx with a message a person can act on; a 500 means
a bug in graft, is logged with its traceback, and still answers JSON.
"""
from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..contracts.errors import DISK_FULL, disk_full_message, is_disk_full
from ..data.errors import DataError
from ..spec.issues import SpecError
from ..spec.schema_issues import plain_error

log = logging.getLogger("graft.server")


class ApiError(HTTPException):
    def __init__(self, status: int, message: str, issues: list[dict] | None = None):
        super().__init__(status, {"message": message, "issues": issues or []})


def not_found(what: str, ident: str) -> ApiError:
    return ApiError(404, f"no {what} with id {ident!r}")


def body(status: int, message: str, issues: list[dict] | None = None) -> JSONResponse:
    return JSONResponse({"detail": {"message": message, "issues": issues or []}}, status_code=status)


def _validation_issues(errors: list[dict[str, Any]]) -> list[dict]:
    issues = []
    for e in errors:
        loc = [str(p) for p in e.get("loc", ())]
        message, expected = plain_error(e) if "type" in e else (e.get("msg", "invalid value"), None)
        issues.append({"code": "invalid_request", "message": message,
                       "field": ".".join(loc), "expected": expected,
                       "found": _short(e.get("input"))})
    return issues


def _short(value: Any) -> Any:
    text = repr(value)
    return value if len(text) <= 200 and isinstance(value, (str, int, float, bool, type(None))) else text[:200]


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, err: StarletteHTTPException):
        detail = err.detail if isinstance(err.detail, dict) else {"message": str(err.detail), "issues": []}
        return JSONResponse({"detail": detail}, status_code=err.status_code, headers=err.headers)

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, err: RequestValidationError):
        issues = _validation_issues(list(err.errors()))
        first = issues[0] if issues else {"field": "request", "message": "invalid"}
        return body(422, f"invalid request: {first['field']}: {first['message']}", issues)

    @app.exception_handler(SpecError)
    async def spec_error(request: Request, err: SpecError):
        return body(422, f"the document has {len(err.issues)} issue(s): {err}", [i.to_dict() for i in err.issues])

    @app.exception_handler(DataError)
    async def data_error(request: Request, err: DataError):
        return body(422, str(err), [{"code": "data_error", "message": err.problem, "field": err.file,
                                     **({"found": err.row} if err.row is not None else {})}])

    @app.exception_handler(OSError)
    async def os_error(request: Request, err: OSError):
        if not is_disk_full(err):
            raise err   # any other OSError is a bug: the 500 below, with its traceback
        # 507 Insufficient Storage: the request was fine, the disk is not
        log.error("%s %s: %s", request.method, request.url.path, disk_full_message(err))
        return body(507, disk_full_message(err), [{"code": "disk_full", "message": DISK_FULL}])

    @app.exception_handler(Exception)
    async def bug(request: Request, err: Exception):
        log.exception("internal error on %s %s", request.method, request.url.path)
        return body(500, f"internal error ({type(err).__name__}); see the server log")
