"""The model registry: models and foundations, slicing a foundation off a model (sharing: sharing.py)."""
from __future__ import annotations

from typing import Optional

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from ...ops import slice_model
from ...spec.analyze import analyze
from ...spec.cuts import cut_points
from ..cache import MODEL_TABLES, ids_of, json_body, json_response, reads_of
from ..deps import error_responses, user_errors, ws_of
from ..schemas import FoundationRecord, ModelDetail, ModelRecord, SliceRequest, iso

router = APIRouter(tags=["models"])


def model_out(rec: dict, full: bool = False, tested: dict[str, float] | None = None) -> dict:
    """`tested`: ws.evaluations.latest_test_accuracy(); a model evaluated on a test split shows that accuracy."""
    out = {k: iso(v) if k.endswith("_at") else v for k, v in rec.items() if full or k != "spec"}
    metrics = rec.get("metrics") or {}
    out["metrics"] = metrics if full else {k: v for k, v in metrics.items() if k != "history"}
    out["accuracy"], out["accuracy_source"] = accuracy_of(rec, tested or {})
    return out


def accuracy_of(rec: dict, tested: dict[str, float]) -> tuple[float | None, str | None]:
    """One meaning of a model's accuracy: test when evaluated, else validation, else the training epoch mean."""
    metrics = rec.get("metrics") or {}
    if rec.get("kind") == "foundation":
        return None, None
    if rec.get("id") in tested:
        return tested[rec["id"]], "test"
    if metrics.get("val_accuracy") is not None:
        return metrics["val_accuracy"], "validation"
    if metrics.get("train_accuracy") is not None:
        return metrics["train_accuracy"], "train"
    return None, None


@router.get("/models", response_model=list[ModelRecord])
def list_models(request: Request, kind: Optional[str] = Query(None, pattern="^(model|foundation)$"),
                ws=Depends(ws_of)) -> Response:
    def make() -> bytes:
        tested = ws.evaluations.latest_test_accuracy()
        return json_body(list[ModelRecord], [model_out(r, tested=tested) for r in ws.list_models(kind=kind)])
    return json_response(reads_of(request).memo.get(("models", kind), lambda: ids_of(ws, *MODEL_TABLES), make))


@router.get("/models/{id}", response_model=ModelDetail, responses=error_responses(404))
def get_model(id: str, ws=Depends(ws_of)) -> dict:
    rec = ws.get_model(id)
    analysis = analyze(rec["spec"])
    return {**model_out(rec, full=True, tested=ws.evaluations.latest_test_accuracy()), "analysis": analysis.to_dict(), "cut_points": cut_points(analysis)}


@router.post("/models/{id}/slice", response_model=FoundationRecord, status_code=201,
             responses=error_responses(404, 422))
def slice_(id: str, body: SliceRequest, ws=Depends(ws_of)) -> dict:
    """Keep `nodes`, or the part from `start` to `end`, as a new foundation."""
    ws.get_model(id)
    with user_errors():
        return model_out(slice_model(ws, id, nodes=body.nodes, start=body.start, end=body.end, name=body.name))


# after this module's routes: /models/import must not be read as a model id by a route above
from .sharing import router as sharing_router  # noqa: E402

router.include_router(sharing_router)
