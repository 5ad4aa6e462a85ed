"""Sharing a model: download it (.graft package, ONNX, Python source), import a .graft, its card and lineage."""
from __future__ import annotations

import io
import re
import zipfile
from typing import Literal

from anyio import to_thread
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from ...ops import package
from ...ops.lineage import lineage as model_lineage
from ..deps import error_responses, user_errors, ws_of
from ..errors import ApiError
from ..schemas import LineageRecord, ModelRecord, iso
from ..uploads import receive_upload

router = APIRouter(tags=["models"])

MEDIA = {"graft": "application/zip", "onnx": "application/octet-stream", "python": "application/zip"}
# sorted, so that the OpenAPI document (and the client generated from it) comes out the same every time
BINARY = {"content": {m: {"schema": {"type": "string", "format": "binary"}} for m in sorted(set(MEDIA.values()))}}


def file_stem(record: dict) -> str:
    """A download name from the model's name: letters, digits, dot, dash, underscore only."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", record["name"]).strip("-.")[:80] or record["id"]


def _export(ws, record: dict, fmt: str) -> tuple[bytes, str]:
    from ...ops.export_onnx import export_onnx
    from ...ops.export_python import export_python

    stem = file_stem(record)
    if fmt == "graft":
        return package.export_package(ws, record["id"]), f"{stem}.graft"
    with ws.scratch("export") as folder:
        if fmt == "onnx":
            export_onnx(ws, record["id"], folder / "model.onnx")
            return (folder / "model.onnx").read_bytes(), f"{stem}.onnx"
        export_python(ws, record["id"], folder / "model.py")
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name in ("model.py", "model.safetensors"):
                zf.write(folder / name, f"{stem}/{name}")
        return out.getvalue(), f"{stem}-python.zip"


@router.get("/models/{id}/export", response_class=Response, responses={200: BINARY, **error_responses(404, 422)})
def export(id: str, format: Literal["graft", "onnx", "python"] = Query("graft"), ws=Depends(ws_of)) -> Response:
    """Download the model: `graft` (package to import elsewhere), `onnx`, or `python` (model.py + weights, zipped)."""
    record = ws.get_model(id)
    with user_errors():
        data, filename = _export(ws, record, format)
    return Response(data, media_type=MEDIA[format],
                    headers={"content-disposition": f'attachment; filename="{filename}"'})


@router.post("/models/import", response_model=ModelRecord, status_code=201, responses=error_responses(400, 413, 422),
             openapi_extra={"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                 "type": "object", "required": ["file"], "properties": {
                     "file": {"type": "string", "format": "binary"}, "name": {"type": "string"}}}}}}})
async def import_model(request: Request, ws=Depends(ws_of)) -> dict:
    """Register the model of an uploaded `.graft` package (field `file`; optional `name`) as a new model."""
    from .models import model_out

    async with receive_upload(request, ws, request.app.state.max_upload_bytes) as upload:
        f = upload.file("file")
        name = (upload.fields.get("name") or "").strip()[:200] or None
        named = f.path.rename(f.path.with_name(f.filename))  # errors then name the user's file, not a temp name
        with user_errors():
            rec = await to_thread.run_sync(package.import_package, ws, named, name)
    return model_out(rec)


IMPORT_WEIGHTS_FORM = {"type": "object", "required": ["file", "spec", "name"], "properties": {
    "file": {"type": "string", "format": "binary"}, "spec": {"type": "string", "description": "the network "
    "document (JSON or YAML) the weights belong to"}, "name": {"type": "string"},
    "kind": {"type": "string", "enum": ["foundation", "model"]}, "allow_missing": {"type": "boolean"}}}


@router.post("/models/import-weights", response_model=ModelRecord, status_code=201,
             responses=error_responses(400, 413, 422),
             openapi_extra={"requestBody": {"required": True, "content": {"multipart/form-data": {
                 "schema": IMPORT_WEIGHTS_FORM}}}})
async def import_weights(request: Request, ws=Depends(ws_of)) -> dict:
    """Bring your own foundation: an uploaded state dict (`file`: .safetensors or .pt/.pth) matched to the
    network `spec` by tensor name and shape, registered as `name`."""
    from ...ops.import_weights import import_weights as match_and_register
    from ...spec.io import load_document
    from .models import model_out

    async with receive_upload(request, ws, request.app.state.max_upload_bytes) as upload:
        f = upload.file("file")
        fields = upload.fields
        if not (fields.get("name") or "").strip():
            raise ApiError(422, "name: expected a name for the imported model")
        named = f.path.rename(f.path.with_name(f.filename))
        with user_errors():
            spec = load_document(fields.get("spec") or "")
            rec, _ = await to_thread.run_sync(lambda: match_and_register(
                ws, named, spec, fields["name"].strip()[:200], kind=fields.get("kind") or "foundation",
                allow_missing=(fields.get("allow_missing") or "").lower() in ("1", "true", "yes")))
    return model_out(rec)


IMPORT_MODEL_FORM = {"type": "object", "required": ["file", "name"], "properties": {
    "file": {"type": "string", "format": "binary", "description": "an ONNX file (.onnx)"},
    "name": {"type": "string"},
    "input_shape": {"type": "string", "description": "C,H,W (such as 3,224,224) when the file's input size is "
                    "dynamic"}}}


@router.post("/models/import-model", response_model=ModelRecord, status_code=201,
             responses=error_responses(400, 413, 422),
             openapi_extra={"requestBody": {"required": True, "content": {"multipart/form-data": {
                 "schema": IMPORT_MODEL_FORM}}}})
async def import_pretrained(request: Request, ws=Depends(ws_of)) -> dict:
    """A pretrained network from an uploaded ONNX file (`file`), registered as the model `name`; a file whose
    input size is dynamic needs `input_shape` (C,H,W). Refused with nothing registered: unsupported ops (the
    node, its op type and the supported ones are named), corrupt files, external data outside the file."""
    from ...ops.faces import import_model as register
    from ...ops.import_model import parse_shape
    from .models import model_out

    async with receive_upload(request, ws, request.app.state.max_upload_bytes) as upload:
        f = upload.file("file")
        name = (upload.fields.get("name") or "").strip()[:200]
        if not name:
            raise ApiError(422, "name: expected a name for the imported model",
                           [{"code": "invalid_request", "message": "expected a name", "field": "name"}])
        named = f.path.rename(f.path.with_name(f.filename))   # keeps the user's suffix: .onnx is what is read
        try:
            shape = parse_shape((upload.fields.get("input_shape") or "").strip() or None)
            rec = await to_thread.run_sync(lambda: register(ws, named, name, input_shape=shape,
                                                            filename=f.filename))
        except ValueError as err:   # ImportFailed included: the message names the file, the node, the op
            field = "input_shape" if str(err).startswith("input_shape") else "file"
            raise ApiError(422, str(err), [{"code": "import_failed", "message": str(err), "field": field,
                                            "found": f.filename}]) from None
    return model_out(rec)


def lineage_graph(ws, id: str) -> dict:
    from .models import model_out

    found = model_lineage(ws, id)
    summaries = [found["model"], *found["ancestors"], *found["descendants"], *found["used_by"]]
    records = {s["id"]: s for s in summaries}
    tested = ws.evaluations.latest_test_accuracy()
    outs = {i: model_out(ws.get_model(i), tested=tested) for i in records}
    nodes = [{**dated(s), "accuracy": outs[i]["accuracy"], "accuracy_source": outs[i]["accuracy_source"]}
             for i, s in records.items()]
    edges = []
    for r in records.values():
        if r.get("parent_id") in records:
            edges.append({"source": r["parent_id"], "target": r["id"],
                          "relation": "sliced" if r["kind"] == "foundation" else "grafted"})
        for f in r.get("foundation_ids") or []:
            if f in records and f != r.get("parent_id"):
                edges.append({"source": f, "target": r["id"], "relation": "grafted"})
    plain = {k: v for k, v in found.items() if k not in ("model", "ancestors", "descendants", "used_by")}
    groups = {k: [dated(s) for s in found[k]] for k in ("ancestors", "descendants", "used_by")}
    return {"nodes": nodes, "edges": edges, "model": nodes[0], **groups, **plain}


def dated(summary: dict) -> dict:
    return {**summary, "created_at": iso(summary.get("created_at"))}


@router.get("/models/{id}/lineage", response_model=LineageRecord, responses=error_responses(404))
def lineage(id: str, ws=Depends(ws_of)) -> dict:
    """Where the model came from and what was made from it, as a graph; `foundation_checks` says for each
    Foundation node whether the foundation's weights are unchanged (a frozen graft must keep them)."""
    ws.get_model(id)
    return lineage_graph(ws, id)


@router.get("/models/{id}/card", response_class=Response,
            responses={200: {"content": {"text/markdown": {"schema": {"type": "string"}}}}, **error_responses(404)})
def card(id: str, ws=Depends(ws_of)) -> Response:
    """The model card (what a colleague may see about it, never its data) as Markdown."""
    ws.get_model(id)
    with user_errors():
        text = package.card_markdown(package.model_card(ws, id))
    return Response(text, media_type="text/markdown; charset=utf-8")
