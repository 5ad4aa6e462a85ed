"""Shared pieces of the route modules: the workspace of this app, and turning ops' errors into API errors."""
from __future__ import annotations

from contextlib import contextmanager

from fastapi import Request

from ..data.errors import DataError
from ..spec.issues import SpecError
from ..store.ids import NotFound
from .errors import ApiError


def ws_of(request: Request):
    return request.app.state.ws


def jobs_of(request: Request):
    return request.app.state.jobs


@contextmanager
def user_errors():
    """ops raise ValueError/KeyError for requests that cannot be carried out: those are the user's 4xx."""
    try:
        yield
    except (SpecError, DataError, NotFound):
        raise
    except KeyError as err:
        raise ApiError(404, str(err.args[0]) if err.args else "not found") from None
    except ValueError as err:
        raise ApiError(422, str(err)) from None



def error_responses(*codes: int) -> dict:
    from .schemas import ErrorBody

    return {c: {"model": ErrorBody} for c in codes}
