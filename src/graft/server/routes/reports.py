"""Self-supervised pretraining and transfer reports: both are queued runs (kinds "pretrain" and "report") that a
worker process carries out with graft.ops; finished reports are read from the workspace's reports folder."""
from __future__ import annotations

from typing import Literal, Union

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from ...data.dataset import require_dataset
from ...ops.networks import prepare_network
from ...ops.report import REPORT_ID, list_reports, load_report, report_png, reports_dir
from ...contracts.synergy import SynergyRecord
from ...spec.graph import slice_network
from ..deps import error_responses, jobs_of, user_errors, ws_of
from ..errors import ApiError, not_found
from ..schemas import PretrainRequest, Report, ReportRequest, ReportSummary, Run, run_out

router = APIRouter(tags=["reports"])


def checked_data(value, ws) -> dict | str:
    """A request's data reference as it is queued, once its data set is known to be there (else 404/422)."""
    data = value if isinstance(value, str) else value.model_dump(exclude_none=True)
    with user_errors():
        require_dataset(data, ws.root)
    return data


def report_foundation(ws, model_id: str) -> dict:
    """The foundation a report starts from: 404 when there is no such model, 422 when it is not a foundation."""
    foundation = ws.get_model(model_id)
    if foundation.get("kind") != "foundation":
        raise ApiError(422, f"foundation: {foundation['id']} is a {foundation.get('kind')}, not a foundation "
                            "(slice one off it in Models first)",
                       [{"code": "not_a_foundation", "message": "pick a foundation (fnd-...)", "field": "foundation",
                         "expected": "foundation", "found": foundation.get("kind")}])
    return foundation


@router.post("/pretrain", response_model=Run, status_code=202, responses=error_responses(404, 422))
def start_pretrain(body: PretrainRequest, ws=Depends(ws_of), jobs=Depends(jobs_of)) -> dict:
    """Check the encoder (cut at `end` when given) and the data now, then queue the pretraining; the run's
    `model_id` names the new foundation once it is done."""
    with user_errors():
        spec, _ = prepare_network(ws, body.network)
        if body.end is not None:
            spec = slice_network(spec, end=body.end, name=spec.name)
    foundations = [n.id for n in spec.nodes if n.type == "Foundation"]
    if foundations:
        raise ApiError(422, f"node {foundations[0]}: pretraining takes a plain encoder, found a Foundation node",
                       [{"code": "foundation_in_encoder", "message": "pretrain a network without Foundation nodes",
                         "node": foundations[0], "expected": "no Foundation node", "found": "Foundation"}])
    data = checked_data(body.data, ws)
    name = body.name or f"{spec.name}-{body.objective}"
    request = {"network": spec.model_dump(mode="json", exclude_none=True), "data": data,
               "objective": body.objective, "hparams": body.hparams.model_dump(), "name": name,
               "description": body.description}
    return run_out(jobs.submit("pretrain", request, name=name))


@router.post("/reports", response_model=Run, status_code=202, responses=error_responses(404, 422))
def start_report(body: ReportRequest, ws=Depends(ws_of), jobs=Depends(jobs_of)) -> dict:
    """Queue a transfer report; the run's `report_id` names it once it is done."""
    foundation = report_foundation(ws, body.foundation)
    seen = [str(b) for b in body.budgets]
    if len(set(seen)) != len(seen):
        raise ApiError(422, f"budgets: each budget once, found {', '.join(seen)}",
                       [{"code": "duplicate_budget", "message": "each budget once", "field": "budgets",
                         "found": seen}])
    target = checked_data(body.target, ws)
    request = {"foundation": foundation["id"], "target": target, "budgets": list(body.budgets),
               "head": body.head, "epochs": body.epochs, "seed": body.seed}
    if body.unlabeled is not None:
        request["unlabeled"] = checked_data(body.unlabeled, ws)
    label = target if isinstance(target, str) else target["dataset"]
    return run_out(jobs.submit("report", request, name=f"report {foundation['name']} → {label}"))


@router.get("/reports", response_model=list[ReportSummary])
def get_reports(ws=Depends(ws_of)) -> list[dict]:
    """Newest first."""
    return sorted(list_reports(ws), key=lambda r: str(r.get("created_at") or ""), reverse=True)


@router.get("/reports/{id}", response_model=Union[Report, SynergyRecord], responses=error_responses(404))
def get_report(id: str, ws=Depends(ws_of)) -> dict:
    with user_errors():  # load_report checks the id's form before it touches the disk: KeyError -> 404
        return load_report(ws, id)


@router.get("/reports/{id}/plot.png", response_class=Response, responses={
    200: {"content": {"image/png": {}}, "description": "accuracy by label budget, foundation against scratch"},
    **error_responses(404)})
def get_report_plot(id: str, theme: Literal["light", "dark"] = Query("light", description="the workbench theme "
                                                                      "to draw it for (background and text)"),
                    ws=Depends(ws_of)) -> Response:
    if not REPORT_ID.fullmatch(id):
        raise not_found("report", id[:80])
    path = reports_dir(ws) / f"{id}.png"
    try:
        if theme != "light":   # the stored plot is the light one; the others are drawn from the record
            raise FileNotFoundError
        png = path.read_bytes()
    except FileNotFoundError:  # the JSON is the record; a plot lost or never written is drawn again from it
        with user_errors():
            png = report_png(load_report(ws, id), theme=theme)
    return Response(png, media_type="image/png", headers={"cache-control": "private, max-age=3600"})
