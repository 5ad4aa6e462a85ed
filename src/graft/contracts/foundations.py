"""The foundations catalogue: each foundation, the models grafted on it with their tasks and test figures, and
whether each still runs on the foundation's exact weights."""
from __future__ import annotations

from typing import Any, Optional

from pydantic import BaseModel, Field

from .base import Record, Strict


class FoundationsRequest(Strict):
    foundation: Optional[str] = Field(default=None, min_length=1, max_length=64,
                                      description="only this foundation (fnd-...); default: every one")


class FoundationEvaluation(BaseModel):
    id: str
    data: dict[str, Any] = {}
    split: Optional[str] = None
    accuracy: Optional[float] = None
    total: Optional[int] = None
    output: Optional[str] = Field(default=None, description="the head evaluated, for a model with several")
    created_at: Optional[str] = None


class FoundationUse(Record):
    """A model with a Foundation node that references the foundation."""
    node: str = Field(description="the model's Foundation node")
    frozen: bool = Field(description="the node was grafted frozen")
    exact: Optional[bool] = Field(description="its foundation part hashes the same as the foundation's weights "
                                  "(false: fine-tuned or swapped; null: a hash is unknown)")
    found_sha256: Optional[str] = None
    task: Optional[dict[str, Any]] = Field(default=None, description="the data the model was trained on")
    tasks: list[dict[str, Any]] = Field(default=[], description="a model with several heads: per head its name, "
                                        "output, data and newest test accuracy")
    accuracy: Optional[float] = Field(default=None, description="its newest evaluation on a test split")
    evaluations: list[FoundationEvaluation] = []


class FoundationEntry(Record):
    params: Optional[int] = None
    weights_sha256: Optional[str] = Field(default=None, description="the foundation's own weights hash")
    made_by: str = Field(description="sliced, pretrained or imported")
    parent_id: Optional[str] = None
    dataset: Optional[dict[str, Any]] = None
    models: list[FoundationUse] = []
    exact: int = Field(description="models that run on its exact weights")
    changed: int = Field(description="models whose foundation part differs (fine-tuned)")
