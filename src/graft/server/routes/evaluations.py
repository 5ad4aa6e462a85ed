"""Evaluations: queue one (a worker runs it), read its summary and its per-sample predictions."""
from __future__ import annotations

import csv
import io
import json
from functools import lru_cache
from types import SimpleNamespace
from typing import Literal, Optional

from fastapi import APIRouter, Depends, Path as PathParam, Query, Request
from fastapi.responses import Response

from ...data.dataset import require_dataset
from ...data.render import image_png
from ...ops import view_rows
from ...ops.data_refs import load_split
from ...ops.evaluate import require_classifier
from ...store.ids import NotFound
from ..cache import EVALUATION_TABLES, ids_of, json_body, json_response, reads_of
from ..deps import error_responses, jobs_of, user_errors, ws_of
from ..errors import ApiError
from ..schemas import EvaluationRecord, EvaluationRequest, Page, Run, iso, run_out

router = APIRouter(tags=["evaluations"])


LIST_DROPS = ("predictions", "per_class", "confusion", "classes")   # a list shows figures; one record has the tables


def evaluation_out(rec: dict, listed: bool = False) -> dict:
    summary = rec.get("summary") or {}
    drop = LIST_DROPS if listed else ("predictions",)
    return {**{k: v for k, v in summary.items() if k not in drop}, "id": rec["id"],
            "model_id": rec.get("model_id"), "data": rec.get("data"), "name": summary.get("model_name", ""),
            "created_at": iso(rec.get("created_at"))}


@router.get("/evaluations", response_model=list[EvaluationRecord])
def list_evaluations(request: Request, model: Optional[str] = Query(None, max_length=64),
                     ws=Depends(ws_of)) -> list[dict] | Response:
    if model is None:
        return json_response(reads_of(request).memo.get(
            "evaluations", lambda: ids_of(ws, *EVALUATION_TABLES),
            lambda: json_body(list[EvaluationRecord], [evaluation_out(r, listed=True) for r in ws.list_evaluations()])))
    try:
        records = ws.list_evaluations(model_id=model)
    except NotFound:  # filtering by a model that is not there finds nothing
        records = []
    return [evaluation_out(r, listed=True) for r in records]


@router.post("/evaluations", response_model=Run, status_code=202, responses=error_responses(404, 422))
def start_evaluation(body: EvaluationRequest, ws=Depends(ws_of), jobs=Depends(jobs_of)) -> dict:
    """Queue the evaluation; the run's `evaluation_id` names the result once it is done."""
    model = ws.get_model(body.model)
    with user_errors():
        require_classifier(model, output=body.output)
    data = body.data if isinstance(body.data, str) else body.data.model_dump(exclude_none=True)
    with user_errors():
        require_dataset(data, ws.root)
    request = {"model": model["id"], "data": data, "split": body.split,
               **({"output": body.output} if body.output is not None else {})}
    return run_out(jobs.submit("evaluate", request, name=f"evaluate {model['name']}"))


@router.get("/evaluations/{id}", response_model=EvaluationRecord, responses=error_responses(404))
def get_evaluation(id: str, ws=Depends(ws_of)) -> dict:
    return evaluation_out(ws.get_evaluation(id))


SampleOrder = Literal["index", "confidence", "-confidence"]


def _page(ws, id: str, offset: int, limit: int, label: Optional[int], pred: Optional[int], wrong: bool = False,
          sort: str = "index") -> dict:
    ws.get_evaluation(id)
    with user_errors():  # one evaluation is at most a test set (10k rows): slicing the whole list is cheap
        everything = view_rows(ws, {"evaluation": id}, 0, 10**9, label=label, pred=pred, wrong=wrong)
    ordered = everything["rows"]
    if sort != "index":   # a stable sort: equal confidences keep the data set's order
        ordered = sorted(ordered, key=lambda r: r["confidence"], reverse=sort == "-confidence")
    rows = ordered[offset:offset + limit]
    total = everything["total"]
    return {"rows": rows, "offset": offset, "limit": limit, "total": total, "eof": offset + len(rows) >= total}


@router.get("/evaluations/{id}/samples", response_model=Page, responses=error_responses(404))
def samples(id: str, offset: int = Query(0, ge=0), limit: int = Query(50, ge=1, le=1000),
            label: Optional[int] = Query(None, ge=0), pred: Optional[int] = Query(None, ge=0),
            wrong: bool = Query(False, description="only the mistakes (prediction is not the label)"),
            sort: SampleOrder = Query("index", description="index (the data's order), confidence (least sure "
                                      "first) or -confidence (most sure first)"),
            ws=Depends(ws_of)) -> dict:
    return _page(ws, id, offset, limit, label, pred, wrong, sort)


@router.get("/evaluations/{id}/samples.csv", response_class=Response, responses={
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}}, **error_responses(404)})
def samples_csv(id: str, ws=Depends(ws_of)) -> Response:
    ws.get_evaluation(id)
    with user_errors():
        page = view_rows(ws, {"evaluation": id}, 0, 10**9)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=page["columns"], extrasaction="ignore")
    writer.writeheader()
    writer.writerows(page["rows"])
    return Response(out.getvalue(), media_type="text/csv",
                    headers={"content-disposition": f'attachment; filename="{id}-samples.csv"'})


@lru_cache(maxsize=4)
def _evaluated_images(root: str, ref_json: str):
    """The data set an evaluation ran on, in its order (transforms applied), kept for the next page of thumbnails."""
    ref = json.loads(ref_json)
    return load_split(SimpleNamespace(root=root), ref, ref.get("split") or "test")  # it needs only .root


@router.get("/evaluations/{id}/images/{index}.png", response_class=Response,
            responses={200: {"content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}},
                       **error_responses(404, 422)})
def sample_image(id: str, index: int = PathParam(ge=0), scale: int = Query(1, ge=1, le=16),
                 ws=Depends(ws_of)) -> Response:
    """Sample `index` of the data an evaluation ran on (the per-sample table's `index`)."""
    rec = ws.get_evaluation(id)
    with user_errors():
        ds = _evaluated_images(str(ws.root), json.dumps(rec.get("data") or {}, sort_keys=True))
    if index >= len(ds.images):
        raise ApiError(404, f"evaluation {id} ran on {len(ds.images)} images; index {index} is past the end")
    seen = ds.prepare(ds.images[index:index + 1])[0]   # as the network saw it: at its input size
    return Response(image_png(seen, scale=scale), media_type="image/png",
                    headers={"cache-control": "max-age=3600"})
