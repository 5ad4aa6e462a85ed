"""Health, the layer registry and the built-in network templates."""
from __future__ import annotations

from fastapi import APIRouter, Request

from ... import __version__
from ...spec.registry import REGISTRY
from ...spec.templates import TEMPLATES, get_template
from ..deps import error_responses
from ..errors import ApiError
from ..schemas import Health, LayerSchema, Template

router = APIRouter(tags=["meta"])


@router.get("/health", response_model=Health)
def health(request: Request) -> dict:
    state = request.app.state
    return {"ok": True, "version": __version__, "workers": state.jobs.workers, "running": state.jobs.running(),
            "token_required": state.token_required}


@router.get("/layers", response_model=list[LayerSchema])
def layers() -> list[dict]:
    return [cls.schema() for cls in REGISTRY.values()]


def _template(name: str) -> dict:
    doc = get_template(name)
    return {"name": name, "description": doc.get("description", ""), "network": doc}


@router.get("/templates", response_model=list[Template])
def templates() -> list[dict]:
    return [_template(name) for name in TEMPLATES]


@router.get("/templates/{name}", response_model=Template, responses=error_responses(404))
def template(name: str) -> dict:
    if name not in TEMPLATES:
        raise ApiError(404, f"there is no built-in network {name!r:.80}; there are {sorted(TEMPLATES)}")
    return _template(name)
