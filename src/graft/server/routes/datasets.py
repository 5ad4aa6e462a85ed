"""Data sets: built-ins by name, imported ones by id; their rows and images; importing an upload."""
from __future__ import annotations

from functools import lru_cache, partial
from typing import Optional

from anyio import to_thread
from fastapi import APIRouter, Depends, Path as PathParam, Query, Request
from fastapi.responses import JSONResponse, Response

from ...data import BUILTINS, DataError, list_builtin, load_dataset
from ...data.render import image_png
from ...ops.datasets import import_dataset
from ..cache import DATASET_TABLES, ids_of, json_body, json_response, reads_of
from ..deps import error_responses, ws_of
from ..errors import ApiError
from ..schemas import DatasetInspection, DatasetRecord, Page, Split, iso
from ..uploads import receive_upload

router = APIRouter(tags=["datasets"])


def builtin_out(b: dict) -> dict:
    return {**b, "id": b["name"], "builtin": True}


def stored_out(rec: dict) -> dict:
    return {**{k: iso(v) if k.endswith("_at") else v for k, v in rec.items()}, "builtin": False}


def lookup(ws, id: str) -> dict:
    if id in BUILTINS:
        return next(builtin_out(b) for b in list_builtin() if b["name"] == id)
    return stored_out(ws.get_dataset(id))


@lru_cache(maxsize=8)
def _load(root: str, id: str, split: str):
    return load_dataset({"dataset": id}, split, workspace_root=root)


def loaded(ws, id: str, split: str):
    lookup(ws, id)
    try:
        return _load(str(ws.root), id, split)
    except DataError as err:
        raise ApiError(404 if "split" in err.file else 422, str(err)) from None


@router.get("/datasets", response_model=list[DatasetRecord])
def list_datasets(request: Request, ws=Depends(ws_of)) -> Response:
    builtins = [builtin_out(b) for b in list_builtin()]   # their files may come and go: looked at every time
    return json_response(reads_of(request).memo.get(
        "datasets", lambda: ids_of(ws, *DATASET_TABLES),
        lambda: json_body(list[DatasetRecord], builtins + [stored_out(r) for r in ws.list_datasets()]),
        also=tuple((b["id"], b["available"]) for b in builtins)))


@router.get("/datasets/{id}", response_model=DatasetRecord, responses=error_responses(404))
def get_dataset(id: str, ws=Depends(ws_of)) -> dict:
    """The record plus the training split's pixel mean/std (scaled to [0, 1]) and per-class counts."""
    rec = lookup(ws, id)
    try:
        ds = _load(str(ws.root), id, "train")
    except DataError:
        return rec  # a data set without a training split still has its record
    return {**rec, "mean": round(ds.mean, 4), "std": round(ds.std, 4), "class_counts": ds.counts()}


@router.get("/datasets/{id}/samples", response_model=Page, responses=error_responses(404, 422))
def samples(id: str, split: Split = "test", offset: int = Query(0, ge=0), limit: int = Query(50, ge=1, le=1000),
            label: Optional[int] = Query(None, ge=0), ws=Depends(ws_of)) -> dict:
    ds = loaded(ws, id, split)
    indices = range(len(ds.labels)) if label is None else [int(i) for i in (ds.labels == label).nonzero()[0]]
    chosen = list(indices[offset:offset + limit])
    rows = [{"index": i, "label": int(ds.labels[i]), "class": ds.classes[int(ds.labels[i])]
             if int(ds.labels[i]) < len(ds.classes) else str(int(ds.labels[i])),
             "image_url": f"/api/datasets/{id}/images/{i}.png?split={split}"} for i in chosen]
    total = len(indices)
    return {"rows": rows, "offset": offset, "limit": limit, "total": total, "eof": offset + len(rows) >= total}


@router.get("/datasets/{id}/images/{index}.png", response_class=Response,
            responses={200: {"content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}},
                       **error_responses(404)})
def image(id: str, index: int = PathParam(ge=0), split: Split = "test", scale: int = Query(1, ge=1, le=16),
          ws=Depends(ws_of)) -> Response:
    ds = loaded(ws, id, split)
    if index >= len(ds.labels):
        raise ApiError(404, f"data set {id} ({split}) has {len(ds.labels)} images; index {index} is past the end")
    return Response(image_png(ds.images[index], scale=scale), media_type="image/png",
                    headers={"cache-control": "max-age=3600"})


FORM = {"file": {"type": "string", "format": "binary"}, "name": {"type": "string"}, "kind": {"type": "string"},
        "test_fraction": {"type": "number"}, "label_column": {"type": "string", "description": "an index or a "
                                                                "header name"},
        "resize": {"type": "string", "description": "H,W"}}


def upload_body(*extra: str) -> dict:
    props = {**FORM, **{k: {"type": "boolean"} for k in extra}}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"], "properties": props}}}}}


def form_options(fields: dict[str, str]) -> dict:
    """The upload's text fields as import_dataset takes them (empty means the contract's default)."""
    try:
        fraction = float(fields.get("test_fraction") or 0.0)
    except ValueError:
        raise ApiError(422, f"test_fraction must be a number, found {fields['test_fraction']!r:.40}") from None
    return {"name": fields.get("name") or None, "kind": fields.get("kind") or None, "test_fraction": fraction,
            "label_column": fields.get("label_column") or None, "resize": fields.get("resize") or None}


async def from_upload(request: Request, ws, dry_run: bool) -> dict:
    async with receive_upload(request, ws, request.app.state.max_upload_bytes) as upload:
        f = upload.file("file")
        dry_run = dry_run or upload.fields.get("dry_run", "").lower() in ("1", "true", "on", "yes")
        return await to_thread.run_sync(partial(import_dataset, ws, f.path, **form_options(upload.fields),
                                                dry_run=dry_run, filename=f.filename))


@router.post("/datasets/import", response_model=DatasetRecord, status_code=201,
             responses={**error_responses(400, 413, 422), 200: {"model": DatasetInspection,
                                                                "description": "dry_run: what it would find"}},
             openapi_extra=upload_body("dry_run"))
async def import_upload(request: Request, ws=Depends(ws_of)):
    """A zip of class folders, a CSV, an NPZ or IDX files as a multipart upload (field `file`); with dry_run,
    what it would find (as /datasets/inspect) and nothing registered."""
    rec = await from_upload(request, ws, False)
    if "display_name" in rec:
        return JSONResponse(DatasetInspection.model_validate(rec).model_dump(mode="json"))
    return stored_out(rec)


@router.post("/datasets/inspect", response_model=DatasetInspection, responses=error_responses(400, 413, 422),
             openapi_extra=upload_body())
async def inspect_upload(request: Request, ws=Depends(ws_of)) -> dict:
    """Look before you import: the upload's format, splits, classes and counts, sizes, first images and
    warnings (mixed sizes, one class, imbalance, train/test overlap); nothing is registered."""
    return await from_upload(request, ws, True)
