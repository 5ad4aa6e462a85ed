"""The synergy report: tasks on one foundation, each trained alone and all trained together with the same
budget, and what joint training did to each task's test accuracy (and to the time it took)."""
from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, Field

from .base import Record, Strict, seed_field
from .data import Data
from .hparams import Head

TASK_NAME = r"^[A-Za-z][A-Za-z0-9_]{0,31}$"    # a task's head nodes are named <task>_<node>


class SynergyTask(Strict):
    name: str = Field(pattern=TASK_NAME, description="the task's name; its head's nodes are <name>_...")
    data: Data = Field(description="the task's data set with its transforms (relabel, keep_classes, ...); its "
                                   "test split is the test set")
    per_class: Optional[int] = Field(default=None, ge=1, le=1_000_000,
                                     description="labelled training samples per class (drawn with `seed`); "
                                                 "default: every training sample")
    head: Head = "mlp"
    weight: float = Field(1.0, gt=0, le=1000, description="the task's loss weight when trained together")


class SynergyRequest(Strict):
    """Each task trained alone on the foundation, then all together (one network, one head per task), with
    the same epochs over each task's data, the same seed and the same foundation training."""
    foundation: str = Field(min_length=1, max_length=64, description="a foundation id (fnd-...)")
    tasks: list[SynergyTask] = Field(min_length=2, max_length=8)
    epochs: int = Field(10, ge=1, le=1000, description="epochs over each task's data, alone and together")
    foundation_training: Literal["finetune", "frozen"] = Field(
        "finetune", description="finetune: the foundation trains (at lr x foundation_lr_multiplier), so tasks "
        "can help or hurt each other through it; frozen: only heads train, and together equals alone")
    foundation_lr_multiplier: float = Field(0.1, ge=0, le=10)
    task_mixing: Literal["alternate", "proportional"] = Field("alternate", description="the order of the tasks' "
                                                              "batches when they train together")
    lr: float = Field(1e-3, gt=0, le=10)
    batch_size: int = Field(64, ge=1, le=65536)
    seed: int = seed_field()
    threads: Optional[int] = Field(None, ge=1, le=1024, description="CPU threads for every training and test of "
                                   "the report; default: torch's (one per core). 1 on a CPU that other work shares: "
                                   "two threads on two busy cores wait on each other (measured 6x slower a step)")


class SynergyFit(BaseModel):
    model_config = {"extra": "allow"}
    accuracy: float
    hit: int
    model_id: Optional[str] = None
    evaluation_id: Optional[str] = None


class SynergyRow(BaseModel):
    name: str
    data: dict[str, Any]
    classes: list[str] = []
    train_size: int
    test_size: int
    alone: SynergyFit
    together: SynergyFit
    difference: float = Field(description="together minus alone (accuracy, 0..1): negative when joint "
                                          "training hurt the task")
    alone_seconds: float


class SynergyRecord(Record):
    kind: Literal["synergy"] = "synergy"
    foundation_id: str
    foundation_name: str = ""
    target: dict[str, Any] = Field(default={}, description="what the report lists as its target: the tasks")
    rows: list[SynergyRow]
    epochs: int
    hparams: dict[str, Any] = {}
    alone_seconds: float = Field(description="the alone trainings, one after another")
    together_seconds: float
    together_model_id: Optional[str] = None
    mean_difference: float
    machine: dict[str, Any] = {}


