"""Data references: what `data:` may be in a request or a workflow step."""
from __future__ import annotations

from typing import Annotated, Any, Literal, Optional, Union

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
    resize: Optional[list[Annotated[int, Field(ge=1, le=4096)]]] = Field(
        default=None, min_length=2, max_length=2, examples=[[32, 32]],
        description="[H, W] the images are fitted to at train time (and the model keeps it: evaluation, exports)")
    fit: Optional[Literal["crop", "pad"]] = Field(
        default=None, description="how resize fits: crop (the default: scale the shorter side, cut the centre) "
                                  "or pad (scale the longer side, letterbox with black)")
    mean: Optional[list[float]] = Field(default=None, min_length=1, max_length=4, examples=[[0.485, 0.456, 0.406]],
                                        description="per-channel mean of pixels scaled to [0, 1], with std: "
                                                    "replaces the data's own statistics")
    std: Optional[list[Annotated[float, Field(gt=0)]]] = Field(default=None, min_length=1, max_length=4, examples=[[0.229, 0.224, 0.225]])


Data = Union[DataRef, str]   # "mnist" is short for {dataset: mnist}


def plain(data: Any) -> Any:
    """A data reference as the ops take it: a name stays a name, a DataRef becomes its non-empty fields."""
    return data.model_dump(exclude_none=True) if isinstance(data, DataRef) else data
