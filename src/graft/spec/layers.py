"""The layer registry: every layer type graft knows, each one small class.

A layer class declares its parameters (a pydantic model, extra fields forbidden), how many inputs it takes,
how its output shape follows from its input shapes (pure Python), how many parameters it has, and how to build
the torch module (torch is imported only inside build()). Adding a layer type means adding one class here and
listing it in REGISTRY; the palette, the validator and the compiler all read REGISTRY.

Shapes never include the batch dimension: MNIST images are (1, 28, 28).
"""
from __future__ import annotations

import math
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from .issues import ShapeError

Shape = tuple[int, ...]


def _not_bool(v: Any) -> Any:
    # lax mode would read `kernel_size: true` as 1
    if isinstance(v, bool):
        raise ValueError("a number, not true/false")
    return v


PosInt = Annotated[int, Field(ge=1), BeforeValidator(_not_bool)]
NonNegInt = Annotated[int, Field(ge=0), BeforeValidator(_not_bool)]


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False, allow_inf_nan=False)


class NoParams(Params):
    pass


class Layer:
    type: ClassVar[str]
    category: ClassVar[str] = "other"
    doc: ClassVar[str] = ""
    Params: ClassVar[type[Params]] = NoParams
    min_inputs: ClassVar[int] = 1
    max_inputs: ClassVar[int | None] = 1   # None: any number >= min_inputs

    @classmethod
    def parse(cls, params: dict[str, Any] | None) -> Params:
        """Validated parameters (raises pydantic.ValidationError)."""
        return cls.Params.model_validate(params or {})

    @classmethod
    def infer(cls, p: Any, inputs: list[Shape]) -> Shape:
        """Output shape for these input shapes; raise ShapeError on a mismatch."""
        return inputs[0]

    @classmethod
    def param_count(cls, p: Any, inputs: list[Shape]) -> int:
        return 0

    @classmethod
    def build(cls, p: Any, inputs: list[Shape]):
        """The torch module computing this layer (imports torch lazily)."""
        raise NotImplementedError

    @classmethod
    def schema(cls) -> dict[str, Any]:
        return {"type": cls.type, "category": cls.category, "doc": cls.doc,
                "min_inputs": cls.min_inputs, "max_inputs": cls.max_inputs,
                "params": cls.Params.model_json_schema()}


def expect_rank(shape: Shape, ranks: tuple[int, ...], port: int = 0, what: str = "") -> None:
    if len(shape) not in ranks:
        want = " or ".join(f"rank {r}" for r in ranks)
        raise ShapeError(f"expects a {want} input{what}", port=port,
                         expected=want, found=list(shape))


def conv_out(size: int, kernel: int, stride: int, padding: int, dilation: int = 1) -> int:
    return math.floor((size + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1


def __getattr__(name: str):
    # REGISTRY lives in spec.registry (it imports the layer modules, which import this one)
    if name == "REGISTRY":
        from .registry import REGISTRY
        return REGISTRY
    raise AttributeError(name)
