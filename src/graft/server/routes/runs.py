"""Runs: queue a training run, follow it, cancel it, resume it. Work happens in worker processes
(graft.server.jobs)."""
from __future__ import annotations

from typing import Optional

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from ...data.dataset import require_dataset
from ...ops.data_refs import check_normalisation
from ...ops.networks import prepare_network
from ...ops.train_tasks import check_request
from ..cache import json_list, json_response, reads_of
from ..deps import error_responses, jobs_of, user_errors, ws_of
from ...contracts.records import RunStatus
from ..schemas import Run, TrainRequest, run_out

router = APIRouter(tags=["runs"])


@router.get("/runs", response_model=list[Run], responses=error_responses(422))
def list_runs(request: Request, status: Optional[RunStatus] = None,
              limit: int = Query(200, ge=1, le=10000)) -> Response:
    """Newest first; `status` keeps only the runs in it."""
    return json_response(json_list([e.body for _, e in reads_of(request).runs.listing(status, limit)]))


@router.post("/runs", response_model=Run, status_code=202, responses=error_responses(404, 422))
def start_run(body: TrainRequest, ws=Depends(ws_of), jobs=Depends(jobs_of)) -> dict:
    """Check the network and the data reference now (422 with every issue), then queue the training."""
    data = body.data if isinstance(body.data, str) else body.data.model_dump(exclude_none=True)
    with user_errors():
        spec, _ = prepare_network(ws, body.network)
        require_dataset(data, ws.root)
        check_normalisation(data, spec.input.shape)
    request = {"network": body.network, "data": data, "hparams": body.hparams.model_dump(),
               "name": body.name, "description": body.description}
    if body.tasks is not None:
        request["tasks"] = [t.model_dump(exclude_none=True) for t in body.tasks]
        with user_errors():
            check_request(ws, body.network, request["tasks"])
            for task in request["tasks"]:
                require_dataset(task["data"], ws.root)
                check_normalisation(task["data"], spec.input.shape)
    if body.semi_supervised is not None:
        semi = body.semi_supervised.model_dump(exclude_none=True)
        with user_errors():
            require_dataset(semi["unlabeled"], ws.root)
        request["semi_supervised"] = semi
    return run_out(jobs.submit("train", request, name=body.name or spec.name))


@router.get("/runs/{id}", response_model=Run, responses=error_responses(404))
def get_run(id: str, request: Request, ws=Depends(ws_of)) -> dict | Response:
    entry = reads_of(request).runs.one(id)
    if entry is None:   # not listed: the registry's own answer (404), or the run if it came meanwhile
        return run_out(ws.get_run(id))
    return json_response(entry.body)


@router.post("/runs/{id}/cancel", response_model=Run, responses=error_responses(404))
def cancel_run(id: str, jobs=Depends(jobs_of)) -> dict:
    """Queued: cancelled at once. Running: the worker stops at its next step and records 'cancelled'."""
    return run_out(jobs.cancel(id))


@router.post("/runs/{id}/resume", response_model=Run, status_code=202, responses=error_responses(404, 422))
def resume_run(id: str, jobs=Depends(jobs_of)) -> dict:
    """An interrupted (or failed, cancelled) training run is queued again; its worker goes on from the last
    checkpoint. 422 when the run is not a training run or is still active."""
    with user_errors():
        return run_out(jobs.resume(id))
