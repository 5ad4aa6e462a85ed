"""The shared pieces of every contract: strict requests, open records, and the small field types."""
from __future__ import annotations

import copy
from typing import Annotated, Any, Literal, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

Split = Literal["train", "val", "test"]
Optimizer = Literal["adam", "adamw", "sgd"]
Precision = Literal["auto", "bf16", "fp32"]   # auto: bfloat16 autocast on CUDA, and on CPUs where it measured faster (engine.calibrate)
Device = Literal["auto", "cpu", "cuda"]
SEED_MAX = 2**32 - 1


class Strict(BaseModel):
    """A request: unknown fields are refused; strict, so `false` is not a seed and "1" not an epoch."""
    model_config = ConfigDict(extra="forbid", strict=True)


class Record(BaseModel):
    """A record the registry returns; the fields are known (an unknown one is dropped from the response)."""
    id: str
    name: str = ""
    created_at: Optional[str] = None


class OpenRecord(Record):
    """A record whose document is open (a model's provenance, an evaluation's summary): extras pass through."""
    model_config = ConfigDict(extra="allow")


def _not_blank(value: str) -> str:
    # the registry refuses a name of white space only (str.strip's idea of it, which no JSON-schema pattern
    # matches exactly): refused here, it is a 422 naming the field, not an error from the store
    if value and not value.strip():
        raise ValueError("a name needs a character that is not white space")
    return value


Name = Annotated[str, AfterValidator(_not_blank)]


def name_field(**kw: Any) -> Any:
    return Field(default=None, max_length=200, **kw)


def seed_field(**kw: Any) -> Any:
    return Field(default=0, ge=0, le=SEED_MAX, **kw)


def field_of(model: type[BaseModel], name: str) -> Any:
    """The field `name` of a contract, to declare it again in a face's model with the same default and limits."""
    return copy.copy(model.model_fields[name])
