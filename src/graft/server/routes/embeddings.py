"""Embedding maps: queue one (a worker computes the features and the projection), list and read the stored
maps, and serve the image behind each point."""
from __future__ import annotations

import json
from typing import Optional

from fastapi import APIRouter, Depends, Path as PathParam, Query
from fastapi.responses import Response

from ...contracts.records import EmbeddingRecord, EmbeddingSummary
from ...contracts.requests import EmbedRequest
from ...data.dataset import parse_ref
from ...data.render import image_png
from ..deps import error_responses, jobs_of, user_errors, ws_of
from ..errors import ApiError
from ..schemas import Run, run_out
from .evaluations import _evaluated_images as images_of   # the same cache of a data reference's images

router = APIRouter(tags=["embeddings"])


@router.post("/embeddings", response_model=Run, status_code=202, responses=error_responses(404, 422))
def start_embedding(body: EmbedRequest, ws=Depends(ws_of), jobs=Depends(jobs_of)) -> dict:
    """Queue the map; the run's `result.embedding_id` names it once it is done (at once when it is stored)."""
    model = ws.get_model(body.model)
    data = body.data if isinstance(body.data, str) else body.data.model_dump(exclude_none=True)
    with user_errors():
        parse_ref(data)
    request = {"model": model["id"], "data": data, "split": body.split, "limit": body.limit,
               "method": body.method, "seed": body.seed}
    return run_out(jobs.submit("embed", request, name=f"{body.method} map of {model['name']}"))


@router.get("/embeddings", response_model=list[EmbeddingSummary])
def list_embeddings(model: Optional[str] = Query(None, max_length=64), ws=Depends(ws_of)) -> list[dict]:
    """Newest first; only one model's with `model`."""
    return ws.embeddings.list(model_id=model)


@router.get("/embeddings/{id}", response_model=EmbeddingRecord, responses=error_responses(404))
def get_embedding(id: str, ws=Depends(ws_of)) -> dict:
    with user_errors():   # the id's form is checked before it touches the disk: KeyError -> 404
        return ws.embeddings.get(id)


@router.get("/embeddings/{id}/images/{point}.png", response_class=Response,
            responses={200: {"content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}},
                       **error_responses(404, 422)})
def point_image(id: str, point: int = PathParam(ge=0), scale: int = Query(1, ge=1, le=16),
                ws=Depends(ws_of)) -> Response:
    """The image behind point `point` of a map (its position in `points`)."""
    with user_errors():
        doc = ws.embeddings.get(id)
    if point >= len(doc["indices"]):
        raise ApiError(404, f"embedding {id} has {len(doc['indices'])} points; point {point} is past the end")
    with user_errors():
        ds = images_of(str(ws.root), json.dumps(doc["data"], sort_keys=True))
    row = doc["indices"][point]
    seen = ds.prepare(ds.images[row:row + 1])[0]   # as the model saw it: at its input size
    return Response(image_png(seen, scale=scale), media_type="image/png",
                    headers={"cache-control": "max-age=3600"})
