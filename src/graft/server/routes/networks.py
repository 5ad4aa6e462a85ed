"""Network documents: live analysis for the designer, and saved drawings."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Response

from ...ops.networks import network_document, resolve_foundations
from ...spec.analyze import analyze
from ...spec.issues import Issue
from ..deps import error_responses, user_errors, ws_of
from ..schemas import Analysis, NetworkSave, SavedNetwork, iso

router = APIRouter(tags=["networks"])


@router.post("/networks/analyze", response_model=Analysis, responses=error_responses(422))
def analyze_network(doc: dict[str, Any] = Body(..., description="a network document, or {template: NAME}"),
                    ws=Depends(ws_of)) -> dict:
    """Shapes, parameter counts and every issue of a document; never fails on a bad document."""
    with user_errors():
        doc = network_document(doc)
    try:
        doc = resolve_foundations(ws, doc)
    except KeyError as err:  # a Foundation ref that is not in the registry is one more issue of the drawing
        result = analyze(doc).to_dict()
        result["ok"] = False
        result["issues"].append(Issue("unknown_foundation", str(err.args[0]) if err.args else str(err),
                                      field="params.ref").to_dict())
        return result
    return analyze(doc).to_dict()


def saved_out(rec: dict) -> dict:
    return {"id": rec["id"], "name": rec["name"], "network": rec.get("spec") or rec.get("network") or {},
            "created_at": iso(rec.get("created_at")), "updated_at": iso(rec.get("updated_at"))}


@router.get("/networks", response_model=list[SavedNetwork])
def list_networks(ws=Depends(ws_of)) -> list[dict]:
    return [saved_out(r) for r in ws.list_networks()]


@router.post("/networks", response_model=SavedNetwork, status_code=201, responses=error_responses(422))
def save_network(body: NetworkSave, ws=Depends(ws_of)) -> dict:
    return saved_out(ws.create_network(body.name, body.network))


@router.get("/networks/{id}", response_model=SavedNetwork, responses=error_responses(404))
def get_network(id: str, ws=Depends(ws_of)) -> dict:
    return saved_out(ws.get_network(id))


@router.put("/networks/{id}", response_model=SavedNetwork, responses=error_responses(404, 422))
def put_network(id: str, body: NetworkSave, ws=Depends(ws_of)) -> dict:
    return saved_out(ws.update_network(id, name=body.name, spec=body.network))


@router.delete("/networks/{id}", status_code=204, responses=error_responses(404))
def delete_network(id: str, ws=Depends(ws_of)) -> Response:
    ws.delete_network(id)
    return Response(status_code=204)
