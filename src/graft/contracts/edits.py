"""Closing the loop from a mistake: edit a data set into a new version, retrain a model on it, compare two
evaluations. The requests of graft.ops.edits (CLI `graft datasets edit`, `graft retrain`, `graft compare`)."""
from __future__ import annotations

from typing import Optional, Union

from pydantic import Field

from .base import Split, Name, Strict, name_field

Label = Union[int, str]
MAX_EDITS = 100_000


class Relabel(Strict):
    index: int = Field(ge=0, le=2**31 - 1, description="the row (data set) or sample (evaluation) to relabel")
    label: Label = Field(description="the right class: its name, or its number")


class DatasetEditRequest(Strict):
    """A new version of a data set: `split` with rows relabelled and rows left out. The parent is not changed;
    the new one records it and the edits."""
    dataset: str = Field(min_length=1, max_length=200, description="a built-in name or an imported id (ds-...)")
    split: Split = Field(default="train", description="the split the row indices are of")
    relabel: list[Relabel] = Field(default_factory=list, max_length=MAX_EDITS)
    exclude: list[int] = Field(default_factory=list, max_length=MAX_EDITS, description="rows to leave out")
    name: Optional[Name] = name_field(description="default: the parent's name + ' (edited)'")


class RetrainRequest(Strict):
    """From an evaluation of a model: edit the data it ran on (indices are the evaluation's samples), train the
    same network with the same hyperparameters and frozen foundations on the new version, and evaluate the
    new model on the same samples."""
    evaluation: str = Field(min_length=1, max_length=64, description="an evaluation id (ev-...)")
    relabel: list[Relabel] = Field(default_factory=list, max_length=MAX_EDITS)
    exclude: list[int] = Field(default_factory=list, max_length=MAX_EDITS, description="samples to leave out")
    name: Optional[Name] = name_field(description="the new model's name; default: the old one's + ' (fixed)'")
    epochs: Optional[int] = Field(default=None, ge=1, le=1000, description="default: the model's own")


class CompareRequest(Strict):
    """Two evaluations side by side: figures, per class, and the samples whose prediction changed."""
    a: str = Field(min_length=1, max_length=64, description="the first evaluation (ev-...), e.g. the old model's")
    b: str = Field(min_length=1, max_length=64, description="the second evaluation (ev-...)")
