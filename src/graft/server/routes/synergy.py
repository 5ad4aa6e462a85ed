"""Synergy reports: tasks on one foundation, alone and together; queued as a run (kind "synergy") that a worker
carries out with graft.ops.synergy. The finished report is read like any other (routes/reports.py)."""
from __future__ import annotations

from fastapi import APIRouter, Depends

from ...contracts.synergy import SynergyRequest
from ..deps import error_responses, jobs_of, ws_of
from ..errors import ApiError
from ..schemas import Run, run_out
from .reports import _data

router = APIRouter(tags=["reports"])


@router.post("/reports/synergy", response_model=Run, status_code=202, responses=error_responses(404, 422))
def start_synergy(body: SynergyRequest, ws=Depends(ws_of), jobs=Depends(jobs_of)) -> dict:
    """Check the foundation and each task's data now, then queue the report; the run's `report_id` names it."""
    foundation = ws.get_model(body.foundation)
    if foundation.get("kind") != "foundation":
        raise ApiError(422, f"foundation: {foundation['id']} is a {foundation.get('kind')}, not a foundation "
                            "(slice one off it in Models first)",
                       [{"code": "not_a_foundation", "message": "pick a foundation (fnd-...)", "field": "foundation",
                         "expected": "foundation", "found": foundation.get("kind")}])
    names = [t.name for t in body.tasks]
    for i, name in enumerate(names):
        if names.index(name) != i:
            raise ApiError(422, f"tasks.{i}.name: expected distinct task names, found {name!r} twice",
                           [{"code": "duplicate_task", "message": "each task name once", "field": f"tasks.{i}.name",
                             "found": name}])
    request = body.model_dump()
    request["foundation"] = foundation["id"]
    request["tasks"] = [{**t.model_dump(), "data": _data(t.data, ws)} for t in body.tasks]
    return run_out(jobs.submit("synergy", request, name=f"synergy {foundation['name']}: {', '.join(names)}"))
