"""Request and response bodies of the HTTP API: what the OpenAPI document (and the typed client generated from
it) promises. Registry records keep their extra fields (extra="allow") so new columns reach the client."""
from __future__ import annotations

from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field

from ..contracts.records import (  # noqa: F401  (the records the routes return)
    DatasetRecord, EvaluationRecord, FoundationCheck, FoundationRecord, LineageEdge, LineageNode, LineageRecord, ModelRecord,
    Record, ReportRecord as Report, ReportSummary, RunRecord as Run,
)

Id = Field(min_length=1, max_length=64)
Name = Field(default=None, max_length=200)
Split = Literal["train", "val", "test"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)  # strict: `false` is not a seed, "1" not an epoch


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


class DataRef(Strict):
    dataset: str = Field(min_length=1, max_length=200, examples=["mnist"])
    transforms: list[dict[str, Any]] = Field(default_factory=list, max_length=50,
                                             examples=[[{"limit": 1000}]])
    val_fraction: Optional[float] = Field(default=None, ge=0, lt=1)
    split: Optional[Split] = None


Data = Union[DataRef, str]


class Hparams(Open):
    model_config = ConfigDict(extra="allow", strict=True)
    epochs: int = Field(default=1, ge=1, le=1000)
    lr: float = Field(default=1e-3, gt=0, le=10)
    batch_size: int = Field(default=128, ge=1, le=65536)
    optimizer: Literal["adam", "adamw", "sgd"] = "adam"
    seed: int = Field(default=0, ge=0, le=2**32 - 1)


class SemiSupervised(Strict):
    """Label propagation: the unlabeled images join training with labels spread from `data`'s over the frozen
    foundation's nearest-neighbour graph. Needs a network whose frozen Foundation alone reads the input."""
    unlabeled: Data = Field(default="mnist", description="images whose labels are never read")
    method: Literal["label_propagation"] = "label_propagation"
    k: int = Field(default=10, ge=1, le=1000)
    alpha: float = Field(default=0.99, gt=0, lt=1)
    gamma: float = Field(default=3.0, gt=0, le=100)
    iterations: int = Field(default=30, ge=1, le=1000)


class TrainRequest(Strict):
    network: dict[str, Any] = Field(description="a network document, or {template: NAME}",
                                    examples=[{"template": "mlp"}])
    data: Data = "mnist"
    hparams: Hparams = Field(default_factory=Hparams)
    semi_supervised: Optional[SemiSupervised] = None
    name: Optional[str] = Name
    description: str = Field(default="", max_length=2000)


class PretrainHparams(Strict):
    """The pretraining knobs the workbench offers; workflows and the CLI reach the rest (engine.objectives)."""
    epochs: int = Field(default=5, ge=1, le=1000)
    lr: float = Field(default=2e-3, gt=0, le=10)
    batch_size: int = Field(default=256, ge=2, le=65536, description="simclr needs at least 2 images a batch")
    optimizer: Literal["adam", "adamw", "sgd"] = "adamw"
    seed: int = Field(default=0, ge=0, le=2**32 - 1)
    temperature: float = Field(default=0.2, gt=0, le=100, description="simclr: NT-Xent temperature")
    noise: float = Field(default=0.5, ge=0, le=10, description="denoising: strength of the corruption")


class PretrainRequest(Strict):
    network: dict[str, Any] = Field(description="the encoder: a network document, or {template: NAME}",
                                    examples=[{"template": "fast-cnn"}])
    end: Optional[str] = Field(default=None, max_length=64, examples=["flatten"],
                               description="keep the network up to this node (drop its classifier layers)")
    objective: Literal["autoencoder", "denoising", "simclr"] = "simclr"
    data: Data = Field(default="mnist", description="images to learn from; their labels are never read")
    hparams: PretrainHparams = Field(default_factory=PretrainHparams)
    name: Optional[str] = Name
    description: str = Field(default="", max_length=2000)


Budget = Union[Annotated[int, Field(ge=1, le=1_000_000)], Literal["all"]]


class ReportRequest(Strict):
    foundation: str = Field(min_length=1, max_length=64, description="a foundation id (fnd-...)")
    target: Data = Field(default="mnist", description="the target task; its test split is the test set")
    budgets: list[Budget] = Field(default_factory=lambda: [1, 10, 100, "all"], min_length=1, max_length=12,
                                  description="labelled samples per class, or 'all'")
    head: Literal["mlp", "linear"] = "mlp"
    epochs: Union[Annotated[int, Field(ge=1, le=1000)], Literal["auto"]] = Field(
        default="auto", description="epochs per training, or auto (at least 300 optimizer steps)")
    seed: int = Field(default=0, ge=0, le=2**32 - 1)
    unlabeled: Optional[Data] = Field(default=None, description="also train each head with these images, "
                                      "labels propagated from the budget's (their own labels are never read)")


class EvaluationRequest(Strict):
    model: str = Id
    data: Data = "mnist"
    split: Optional[Split] = None


class SliceRequest(Strict):
    nodes: Optional[list[str]] = Field(default=None, max_length=1000)
    start: Optional[str] = Field(default=None, max_length=64)
    end: Optional[str] = Field(default=None, max_length=64)
    name: Optional[str] = Name


class NetworkSave(Strict):
    name: str = Field(min_length=1, max_length=200)
    network: dict[str, Any]


class SavedNetwork(Open):
    id: str
    name: str
    network: dict[str, Any]


class WorkflowSave(Strict):
    yaml: str = Field(min_length=1, max_length=1_000_000, description="the workflow document (YAML or JSON)")
    name: Optional[str] = Name


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
