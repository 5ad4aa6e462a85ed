"""Each operation's request: its parameters, their defaults and their limits, the same on every face.

A face may spell a parameter its own way (the CLI flattens `hparams` into options, HTTP takes `model` from
the path and an upload for `path`), but it offers exactly these; tests/test_faces.py checks that.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal, Optional, Union

from pydantic import Field

from .base import Split, Name, Strict, name_field, seed_field
from .data import Data
from .hparams import Head, Objective, PretrainHparams, SemiSupervised, TrainHparams

ModelId = Field(min_length=1, max_length=64, description="a model or foundation id (mdl-/fnd-...)")
Description = Field(default="", max_length=2000)
Budget = Union[Annotated[int, Field(ge=1, le=1_000_000)], Literal["all"]]
ExportFormat = Literal["graft", "onnx", "python"]
InputShape = Optional[list[Annotated[int, Field(ge=1, le=65536)]]]


class TaskSpec(Strict):
    """One head's task: the output (node id) it trains, its data set and its loss weight (cross entropy)."""
    output: str = Field(min_length=1, max_length=64, description="a node id listed in the network's outputs")
    data: Data = "mnist"
    weight: float = Field(1.0, gt=0, le=1000, description="this task's loss is multiplied by it")
    name: Optional[str] = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$",
                                description="default: the output's id")


class TrainRequest(Strict):
    network: dict[str, Any] = Field(description="a network document, or {template: NAME}",
                                    examples=[{"template": "mlp"}])
    data: Data = "mnist"
    tasks: Optional[list[TaskSpec]] = Field(default=None, min_length=1, max_length=32, description=(
        "several heads: one task per network output, each with its own data (then `data` is unused); "
        "default: one task, the network's one output on `data`"))
    hparams: TrainHparams = Field(default_factory=TrainHparams)
    semi_supervised: Optional[SemiSupervised] = None
    name: Optional[Name] = name_field()
    description: str = Description


class PretrainRequest(Strict):
    network: dict[str, Any] = Field(description="the encoder: a network document, or {template: NAME}",
                                    examples=[{"template": "fast-cnn"}])
    end: Optional[str] = Field(default=None, max_length=64, examples=["flatten"],
                               description="keep the network up to this node (drop its classifier layers)")
    objective: Objective = "simclr"
    data: Data = Field(default="mnist", description="images to learn from; their labels are never read")
    hparams: PretrainHparams = Field(default_factory=PretrainHparams)
    name: Optional[Name] = name_field()
    description: str = Description


class SliceOptions(Strict):
    """Keep `nodes`, or the part from `start` to `end`, of a model as a new foundation."""
    nodes: Optional[list[str]] = Field(default=None, max_length=1000, description="node ids to keep")
    start: Optional[str] = Field(default=None, max_length=64, description="keep from this node...")
    end: Optional[str] = Field(default=None, max_length=64, description="...to this node")
    name: Optional[Name] = name_field()


class SliceRequest(SliceOptions):
    model: str = ModelId


class EvaluateRequest(Strict):
    model: str = ModelId
    data: Data = "mnist"
    split: Optional[Split] = Field(default=None, description="default: the data's own split, else test")
    output: Optional[str] = Field(default=None, max_length=64, description="the head to evaluate: one of the "
                                  "model's outputs (node ids); required when it has several")


EMBED_MAX = 5000          # t-SNE is quadratic in memory and slow past this on a CPU; a map of more is unreadable


class EmbedRequest(Strict):
    """A 2-D map of what a model or foundation outputs on a data set (a classifier: its last Linear layer's input)."""
    model: str = ModelId
    data: Data = "mnist"
    split: Optional[Split] = Field(default=None, description="default: the data's own split, else test")
    limit: int = Field(2000, ge=10, le=EMBED_MAX, description=f"images to map (a seeded sample when the split has "
                       f"more), at most {EMBED_MAX}")
    method: Literal["pca", "tsne"] = Field("pca", description="pca (linear, instant) or tsne (neighbourhoods, slower)")
    seed: int = seed_field(description="which images are sampled, and t-SNE's start")


class ReportRequest(Strict):
    """A transfer report: per label budget, a head on the frozen foundation against the network from scratch."""
    foundation: str = Field(min_length=1, max_length=64, description="a foundation id (fnd-...)")
    target: Data = Field(default="mnist", description="the target task; its test split is the test set")
    budgets: list[Budget] = Field(default_factory=lambda: [1, 10, 100, "all"], min_length=1, max_length=12,
                                  description="labelled samples per class, or 'all'")
    head: Head = "mlp"
    epochs: Union[Annotated[int, Field(ge=1, le=1000)], Literal["auto"]] = Field(
        default="auto", description="epochs per training, or auto (at least 300 optimizer steps)")
    seed: int = seed_field()
    unlabeled: Optional[Data] = Field(default=None, description="also train each head with these images, "
                                      "labels propagated from the budget's (their own labels are never read)")


class DatasetImportRequest(Strict):
    """Import a data set file: a zip or folder of class folders, a CSV, an NPZ, IDX files or a Hugging Face
    `datasets` folder (save_to_disk or parquet)."""
    path: str = Field(min_length=1, max_length=4096, description="the file or folder (HTTP: the upload)")
    name: Optional[Name] = name_field(description="default: the file's name without its suffix")
    kind: Optional[str] = Field(default=None, max_length=16,
                                description="idx, npz, csv, zip, folder or hf (a Hugging Face datasets "
                                            "folder or parquet file); default: sniffed from the file")
    test_fraction: float = Field(0.0, ge=0, lt=1, description="carve a deterministic test split off the data")
    label_column: Union[int, str, None] = Field(default=None, description="CSV: the label's column, a 0-based "
                                                "index or a header name; default: detected, with the evidence")
    resize: Union[str, list[int], None] = Field(default=None, description="fit every image to H,W (scale to "
                                                "cover, crop the centre); needed when sizes are mixed")
    dry_run: bool = Field(False, description="only report what the import would find; register nothing")


class PackageImportRequest(Strict):
    path: str = Field(min_length=1, max_length=4096, description="a .graft package (HTTP: the upload)")
    name: Optional[Name] = name_field(description="default: the package's own")


class WeightsImportRequest(Strict):
    """Bring your own foundation: match a state dict's tensors to a network by name and shape."""
    path: str = Field(min_length=1, max_length=4096, description="a .safetensors or .pt/.pth state dict")
    spec: dict[str, Any] = Field(description="the network document the weights belong to")
    name: Name = Field(min_length=1, max_length=200)
    kind: Literal["foundation", "model"] = "foundation"
    allow_missing: bool = Field(False, description="keep fresh weights for tensors the file lacks")


class ModelImportRequest(Strict):
    """Import a pretrained network (an ONNX file, a Hugging Face folder or hf:ORG/NAME) as a graft model: its graph a network document, its weights
    safetensors."""
    path: str = Field(min_length=1, max_length=4096, description=(
        "an ONNX file (.onnx), a Hugging Face model folder (config.json + safetensors) or hf:ORG/NAME[@REVISION] "
        "(HTTP: the upload, an ONNX file)"))
    name: Name = Field(min_length=1, max_length=200, description="the imported model's name")
    input_shape: InputShape = Field(
        default=None, min_length=1, max_length=4, examples=[[3, 224, 224]],
        description="C,H,W when the file's input size is dynamic")


class ExportRequest(Strict):
    model: str = ModelId
    format: Optional[ExportFormat] = Field(default=None, description="graft (package), onnx or python; "
                                           "default: from the output's suffix, else graft")
    output: Optional[str] = Field(default=None, max_length=4096, description="the file to write (HTTP: the "
                                  "response is the file)")


class LineageRequest(Strict):
    model: str = ModelId


class RunsRequest(Strict):
    status: Optional[Literal["queued", "running", "done", "failed", "cancelled", "interrupted"]] = None
    limit: Optional[int] = Field(default=None, ge=1, le=10000, description="newest first, at most this many")


class CancelRequest(Strict):
    run: str = Field(min_length=1, max_length=64, description="a run id (run-...)")


class ResumeRequest(Strict):
    run: str = Field(min_length=1, max_length=64,
                     description="an interrupted, failed or cancelled training run (run-...): it goes on from its "
                                 "last checkpoint")
