"""Request and response bodies of the HTTP API: what the OpenAPI document (and the typed client generated from
it) promises. Registry records keep their extra fields (extra="allow") so new columns reach the client."""
from __future__ import annotations

from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field

from ..contracts import requests as contract
from ..contracts.base import Name as NameStr, Split, Strict  # noqa: F401
from ..contracts.data import Data, DataRef  # noqa: F401
from ..contracts.hparams import PretrainHparams, SemiSupervised, TrainHparams  # noqa: F401
from ..contracts.records import (  # noqa: F401  (the records the routes return)
    CutPoint, DatasetInspection, DatasetRecord, EvaluationRecord, FoundationCheck, FoundationRecord, LineageEdge,
    LineageNode, LineageRecord, ModelRecord, Record, ReportRecord as Report, ReportSummary, RunRecord as Run,
)

Name = Field(default=None, max_length=200)


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Issue(Open):
    code: str
    message: str
    node: Optional[str] = None
    port: Optional[int] = None
    field: Optional[str] = None
    expected: Any = None
    found: Any = None
    severity: str = "error"


class ErrorDetail(BaseModel):
    message: str
    issues: list[Issue] = []


class ErrorBody(BaseModel):
    detail: ErrorDetail


class Health(BaseModel):
    ok: bool
    version: str
    workers: int
    running: list[str]
    token_required: bool


class LayerSchema(Open):
    type: str
    category: str
    doc: str
    min_inputs: int
    max_inputs: Optional[int]
    params: dict[str, Any]


class Template(BaseModel):
    name: str
    description: str = ""
    network: dict[str, Any]


class Analysis(Open):
    ok: bool
    issues: list[Issue]
    shapes: dict[str, list[int]]
    params: dict[str, int]
    total_params: int
    output_shape: Optional[list[int]]
    order: list[str]


class Hparams(TrainHparams):
    # open: engine-only knobs (threads, channels_last, ...) pass on to engine.train, which names unknown ones
    model_config = ConfigDict(extra="allow", strict=True)


class TrainRequest(contract.TrainRequest):
    hparams: Hparams = Field(default_factory=Hparams)


class SliceRequest(contract.SliceOptions):
    """The body of POST /models/{id}/slice (the model is the path's)."""


PretrainRequest, ReportRequest, EvaluationRequest = contract.PretrainRequest, contract.ReportRequest, \
    contract.EvaluateRequest


class NetworkSave(Strict):
    name: NameStr = Field(min_length=1, max_length=200)
    network: dict[str, Any]


class SavedNetwork(Open):
    id: str
    name: str
    network: dict[str, Any]


class WorkflowSave(Strict):
    yaml: str = Field(min_length=1, max_length=1_000_000, description="the workflow document (YAML or JSON)")
    name: Optional[NameStr] = Name


class WorkflowRunRequest(Strict):
    step: Optional[str] = Field(default=None, max_length=64)
    force: bool = False


class Workflow(Open):
    id: str
    name: str
    yaml: str
    document: dict[str, Any]
    created_at: Optional[str] = None
    updated_at: Optional[str] = None
    last_run: Optional[Run] = None


class ModelDetail(ModelRecord):
    spec: dict[str, Any]
    analysis: Analysis
    cut_points: list[CutPoint] = []


class Page(BaseModel):
    rows: list[dict[str, Any]]
    offset: int
    limit: int
    total: int
    eof: bool


def iso(value: Any) -> Optional[str]:
    return value.isoformat() if hasattr(value, "isoformat") else (None if value is None else str(value))


def run_out(r: dict) -> dict:
    """A runs-table row as the API shows it: progress flattened to a fraction plus its details."""
    p = r.get("progress") or {}
    result = p.get("result") or {}
    return {
        "id": r["id"], "kind": r["kind"], "name": r.get("name") or "", "status": r["status"],
        "progress": float(min(1.0, max(0.0, p.get("fraction") or 0.0))), "eta": p.get("eta"),
        "epoch": p.get("epoch"), "epochs": p.get("epochs"), "step": p.get("step"),
        "steps_total": p.get("steps") if isinstance(p.get("steps"), int) else None,
        "loss": p.get("loss"), "history": r.get("history") or [], "curve": p.get("curve") or [],
        "model_id": r.get("model_id") or result.get("model_id"), "evaluation_id": result.get("evaluation_id"),
        "steps": p.get("workflow_steps") or {}, "result": result or None,
        "stage": p.get("stage") if isinstance(p.get("stage"), str) else None, "report_id": result.get("report_id"),
        "error": r.get("error"), "request": r.get("request") or {},
        "created_at": iso(r.get("created_at")), "started_at": iso(r.get("started_at")),
        "finished_at": iso(r.get("finished_at")),
    }
