"""What the registry returns: models and foundations, runs, data sets, evaluations, reports, lineage.

These are the shapes the HTTP API promises (its response models) and that ops return as dicts.
"""
from __future__ import annotations

from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, Field

from .base import OpenRecord, Record

RunStatus = Literal["queued", "running", "done", "failed", "cancelled", "interrupted"]


class ModelRecord(OpenRecord):
    """A model or a foundation. Open: provenance without a column (slice, imported, pretraining, ...) comes
    back as top-level fields."""
    kind: Literal["model", "foundation"]
    description: str = ""
    spec: Optional[dict[str, Any]] = Field(default=None, description="the network document (in full records)")
    parent_id: Optional[str] = None
    foundation_ids: list[str] = []
    dataset: Optional[dict[str, Any]] = None
    data_fingerprint: Optional[str] = None
    data_stats: Optional[dict[str, Any]] = None
    hparams: Optional[dict[str, Any]] = None
    metrics: dict[str, Any] = {}
    accuracy: Optional[float] = Field(default=None, description="test accuracy of the newest evaluation on a test "
                                      "split, else validation accuracy, else the training epoch mean")
    accuracy_source: Optional[Literal["test", "validation", "train"]] = Field(
        default=None, description="which of the three `accuracy` is")
    versions: Optional[dict[str, str]] = None
    block_sha256: Optional[dict[str, str]] = None
    weights_sha256: Optional[str] = None
    params: Optional[int] = None
    input_shape: Optional[list[int]] = None
    output_shape: Optional[list[int]] = None
    run_id: Optional[str] = None
    slice: Optional[dict[str, Any]] = None
    imported: Optional[dict[str, Any]] = None
    pretraining: Optional[dict[str, Any]] = None
    semi_supervised: Optional[dict[str, Any]] = None
    outputs: Optional[list[str]] = Field(default=None, description="several heads: the output node ids")
    output_shapes: Optional[dict[str, Optional[list[int]]]] = None
    tasks: Optional[list[dict[str, Any]]] = Field(default=None, description="several heads: {name, output, data, "
                                                  "weight, classes} per output")


class CutPoint(BaseModel):
    """A suggested place to slice a foundation off: keep `node` and everything it depends on."""
    node: str
    label: str = Field(description='"before the classifier", "end of stage 1", ...')
    kind: Literal["classifier", "stage"]
    shape: Optional[list[int]] = Field(default=None, description="the foundation's output shape, batch left out")
    params: int = Field(description="parameters the foundation keeps")


class FoundationRecord(ModelRecord):
    """A foundation: a reusable block (sliced off a model, pretrained, or imported)."""
    kind: Literal["foundation"] = "foundation"


class RunRecord(Record):
    """A run as the API shows it: progress flattened to a fraction plus its details."""
    kind: str
    status: RunStatus
    progress: float = Field(ge=0, le=1)
    eta: Optional[float] = None
    epoch: Optional[int] = None
    epochs: Optional[int] = None
    step: Optional[int] = None
    steps_total: Optional[int] = None
    loss: Optional[float] = None
    history: list[dict[str, Any]] = []
    curve: list[dict[str, Any]] = Field(default=[], description="live points within epochs: epoch (fractional), "
                                        "loss and accuracy so far in that epoch; at most a few hundred")
    model_id: Optional[str] = None
    evaluation_id: Optional[str] = None
    report_id: Optional[str] = None
    steps: dict[str, Any] = Field(default={}, description="a workflow run: each step's status")
    result: Optional[dict[str, Any]] = None
    stage: Optional[str] = Field(default=None, description="what a multi-part run (a report) is doing now")
    error: Optional[str] = None
    request: dict[str, Any] = {}
    started_at: Optional[str] = None
    finished_at: Optional[str] = None


class DatasetRecord(Record):
    """A built-in data set (id = its name) or an imported one (id ds-...)."""
    builtin: bool
    kind: Optional[str] = Field(default=None, description="imported: the importer (folder, csv, npz, idx)")
    title: Optional[str] = None
    description: str = ""
    classes: list[str] = []
    sizes: dict[str, Optional[int]] = {}
    shape: Optional[list[int]] = None
    fingerprint: Optional[str] = None
    stats: Optional[dict[str, Any]] = None
    source: Union[str, dict[str, Any], None] = None
    license: Optional[str] = None
    available: Optional[bool] = Field(default=None, description="built-in: its files are here")
    mean: Optional[float] = Field(default=None, description="one data set: the training split's pixel mean")
    std: Optional[float] = None
    class_counts: Optional[dict[str, int]] = None
    preprocessing: list[dict[str, Any]] = Field(default=[], description="imported: what was done to the "
                                                "images (resize, to_rgb)")
    label_column: Optional[dict[str, Any]] = Field(default=None, description="CSV: the label's column and why")
    split_from: Optional[str] = Field(default=None, description="where the test split came from: data (its "
                                      "own), test_fraction (carved off train) or none")
    warnings: list[str] = []
    parent: Optional[str] = Field(default=None, description="an edited version: the data set it was made from")
    edits: Optional[dict[str, Any]] = Field(default=None, description="an edited version: split, relabeled and "
                                            "excluded (counts); the rows are in its edits.json")


class DatasetInspection(BaseModel):
    """What importing a file would give (a dry run): nothing is registered."""
    display_name: str
    format: Optional[str] = None
    classes: list[str] = []
    splits: dict[str, dict[str, Any]] = Field(default={}, description="per split: count and per-class counts")
    sizes: list[dict[str, int]] = Field(default=[], description="image sizes, commonest first: height, width, "
                                        "count")
    sizes_more: int = 0
    channels: dict[str, int] = {}
    shape: Optional[list[int]] = Field(default=None, description="the stored [C, H, W], when it is known")
    has_test: bool = False
    label_column: Optional[dict[str, Any]] = None
    label_candidates: list[dict[str, Any]] = []
    preprocessing: list[dict[str, Any]] = []
    samples: dict[str, Any] = Field(default={}, description="format and items: split, label, class, image")
    warnings: list[dict[str, str]] = Field(default=[], description="code and message")
    error: Optional[str] = Field(default=None, description="why an import with these options would be refused")


class EvaluationRecord(OpenRecord):
    """An evaluation: its summary's figures at the top level. Open: a summary may carry more figures."""
    model_id: Optional[str] = None
    data: Optional[dict[str, Any]] = None
    model_name: Optional[str] = None
    total: Optional[int] = None
    hit: Optional[int] = None
    accuracy: Optional[float] = None
    per_class: list[dict[str, Any]] = []
    confusion: list[list[int]] = []
    classes: list[str] = []
    scratch_accuracy: Optional[float] = None
    output: Optional[str] = Field(default=None, description="the head evaluated, of a model with several")


class Fit(BaseModel):
    """One training inside a report: a head on the foundation, or the network from scratch (open: a fit says
    more, e.g. train_loss, feature_cache, and a semi-supervised one its epochs and unlabeled_size)."""
    model_config = {"extra": "allow"}
    accuracy: float
    hit: int
    train_seconds: float
    trainable_params: Optional[int] = None


class ReportRow(BaseModel):
    budget: Union[int, str]
    train_size: int
    epochs: int
    foundation: Fit
    scratch: Fit
    gain: float
    semi_supervised: Optional[Fit] = None


class ReportSummary(Record):
    kind: str = "transfer"
    foundation_id: str
    foundation_name: str = ""
    target: dict[str, Any]


class ReportRecord(ReportSummary):
    """A transfer report: per label budget, a head on the frozen foundation against the network from scratch."""
    test: dict[str, Any]
    test_size: int
    rows: list[ReportRow]
    head: list[dict[str, Any]] = []
    hparams: dict[str, Any] = {}
    unlabeled: Optional[dict[str, Any]] = None
    machine: dict[str, Any] = {}


class LineageHead(BaseModel):
    """One head of a model with several: its output node, its task's data set and training accuracy."""
    name: str
    output: str
    data: Optional[str] = None
    accuracy: Optional[float] = Field(default=None, description="the last epoch's training accuracy")


class LineageNode(BaseModel):
    id: str
    name: str
    kind: str
    parent_id: Optional[str] = None
    foundation_ids: list[str] = []
    weights_sha256: Optional[str] = None
    created_at: Optional[str] = None
    accuracy: Optional[float] = None
    accuracy_source: Optional[Literal["test", "validation", "train"]] = None
    heads: list[LineageHead] = Field(default_factory=list, description="several heads: one per output")


class LineageEdge(BaseModel):
    source: str
    target: str
    relation: Literal["sliced", "grafted"]


class FoundationCheck(BaseModel):
    descendant: str
    node: str
    foundation_id: Optional[str]
    frozen: bool
    expected_sha256: Optional[str]
    found_sha256: Optional[str]
    unchanged: Optional[bool] = Field(description="null when either hash is unknown (e.g. an imported model)")


class LineageRecord(BaseModel):
    """The graph (nodes, edges), ops.lineage's groups, and for every Foundation node whether its weights held."""
    nodes: list[LineageNode]
    edges: list[LineageEdge]
    model: LineageNode
    ancestors: list[LineageNode]
    descendants: list[LineageNode]
    used_by: list[LineageNode]
    foundation_checks: list[FoundationCheck]
    imported_from: Optional[str] = None


class EmbeddingSummary(Record):
    """A stored 2-D map of a model's features on a data set (without its points)."""
    kind: str = "embedding"
    model_id: str
    model_name: str = ""
    data: dict[str, Any]
    method: Literal["pca", "tsne"]
    seed: int = 0
    limit: int
    n: int
    feature: str = Field(description="output (a foundation's, flattened) or input of <node> (a classifier's last "
                                     "Linear layer)")
    feature_dim: int


class EmbeddingRecord(EmbeddingSummary):
    """The map: point i is image indices[i] of the data, at points[i], with labels[i] (and a classifier's preds[i])."""
    model_kind: Optional[str] = None
    classifier: bool
    total: int = Field(description="images in the split the points were sampled from")
    classes: list[str]
    explained: Optional[list[float]] = Field(default=None, description="PCA: the variance share of each axis")
    points: list[list[float]]
    labels: list[int]
    preds: Optional[list[int]] = None
    indices: list[int]
    seconds: dict[str, float] = {}
