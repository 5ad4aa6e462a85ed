"""Data references: what `data:` may be in a request or a workflow step."""
from __future__ import annotations

from typing import Any, Literal, Optional, Union

from pydantic import Field

from .base import Split, Strict

BUILTIN_DEFAULT = "mnist"


class DataRef(Strict):
    """A data set (built-in name or imported id) with optional transforms, a validation share and a split."""
    dataset: str = Field(min_length=1, max_length=200, examples=["mnist"])
    transforms: list[dict[str, Any]] = Field(default_factory=list, max_length=50, examples=[[{"limit": 1000}]],
                                             description="limit, per_class, ... (data.transforms)")
    val_fraction: Optional[float] = Field(default=None, ge=0, lt=1)
    split: Optional[Split] = None
    convert: Optional[Literal["rgb", "gray"]] = Field(
        default=None, description="channel conversion to the network's input, only when asked: rgb copies a "
                                  "grey channel to three, gray takes the luminance of colour images")


Data = Union[DataRef, str]   # "mnist" is short for {dataset: mnist}


def plain(data: Any) -> Any:
    """A data reference as the ops take it: a name stays a name, a DataRef becomes its non-empty fields."""
    return data.model_dump(exclude_none=True) if isinstance(data, DataRef) else data
