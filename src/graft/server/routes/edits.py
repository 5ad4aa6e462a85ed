"""Closing the loop from a mistake: a data set's new version, fix-and-retrain as a run, two evaluations compared.

Included before the evaluations router, so /evaluations/compare is not read as an evaluation id."""
from __future__ import annotations

from typing import Any, Optional

from anyio import to_thread
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from ...contracts.edits import DatasetEditRequest, Relabel, RetrainRequest
from ...contracts.base import field_of
from ...ops.compare import compare_evaluations
from ...ops.edits import edit_dataset
from ...ops.retrain import plan
from ..deps import error_responses, jobs_of, user_errors, ws_of
from ..schemas import DatasetRecord, Run, Split, Strict, run_out
from .datasets import stored_out

router = APIRouter(tags=["datasets", "evaluations"])


class DatasetEditBody(Strict):
    """DatasetEditRequest less `dataset` (the path's id)."""
    split: Split = field_of(DatasetEditRequest, "split")
    relabel: list[Relabel] = field_of(DatasetEditRequest, "relabel")
    exclude: list[int] = field_of(DatasetEditRequest, "exclude")
    name: Optional[str] = field_of(DatasetEditRequest, "name")


class Comparison(BaseModel):
    """Two evaluations side by side (ops.compare): figures, per class, the samples whose prediction changed."""
    a: dict[str, Any]
    b: dict[str, Any]
    per_class: list[dict[str, Any]]
    matched: int
    fixed: int
    broken: int
    changed: list[dict[str, Any]]
    changed_more: int = 0
    note: Optional[str] = None


@router.post("/datasets/{id}/edit", response_model=DatasetRecord, status_code=201,
             responses=error_responses(404, 422))
async def edit(id: str, body: DatasetEditBody, ws=Depends(ws_of)) -> dict:
    """A new version of data set `id` with rows relabelled and left out; the data set itself is not changed."""
    req = DatasetEditRequest(dataset=id, **body.model_dump(exclude_unset=True))
    with user_errors():
        rec = await to_thread.run_sync(lambda: edit_dataset(ws, req.dataset, req.split,
                                                            [r.model_dump() for r in req.relabel], req.exclude,
                                                            req.name))
    return stored_out(rec)


@router.post("/retrain", response_model=Run, status_code=202, responses=error_responses(404, 422))
async def start_retrain(body: RetrainRequest, ws=Depends(ws_of), jobs=Depends(jobs_of)) -> dict:
    """Queue fix-and-retrain: the run edits the data, trains the same network on it (progress as a training
    run's) and evaluates the new model; its result names the data set, the model and both evaluations."""
    with user_errors():
        _, model, *_ = await to_thread.run_sync(lambda: plan(ws, body.evaluation))
        if not body.relabel and not body.exclude:
            raise ValueError("relabel, exclude: expected at least one sample to relabel or leave out, found none")
    request = body.model_dump(mode="json")
    return run_out(jobs.submit("retrain", request, name=f"fix and retrain {model['name']}"))


@router.get("/evaluations/compare", response_model=Comparison, responses=error_responses(404))
def compare(a: str = Query(min_length=1, max_length=64), b: str = Query(min_length=1, max_length=64),
            ws=Depends(ws_of)) -> dict:
    with user_errors():
        return compare_evaluations(ws, a, b)
