"""What a layer type is: one small class, registered with @register.

A layer class declares its parameters (a pydantic model, extra fields forbidden), how many inputs it takes,
how its output shape follows from its input shapes, how many parameters it has, and the Recipe of its module:
which module kind from the fixed table OPS, with which literal arguments. All of it is pure Python; the engine
turns a recipe into a torch module, and Python export writes the same recipe as source. Adding a layer type
means writing one class decorated with @register; the palette, the validator, the compiler and both exports
read REGISTRY.

Shapes never include the batch dimension: MNIST images are (1, 28, 28).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, TypeVar

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


# the module kinds a recipe may name; engine.recipes and ops.export_python each map every one of them
OPS = frozenset({
    "Conv1d", "Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "Upsample",
    "BatchNorm1d", "BatchNorm2d", "LayerNorm", "Dropout", "ReLU", "LeakyReLU", "GELU", "SiLU", "Sigmoid", "Tanh",
    "Flatten", "Unflatten", "Sequential", "Linear", "Add", "Concat",
    "ReLU6", "Hardswish", "Hardsigmoid", "Mul", "ConstantPad2d", "Permute", "Scale", "LayerNormDim",
}) | frozenset({   # graft's own modules (engine.modules_vit), copied into exported Python
    "PatchTokens", "ClassToken", "PositionEmbedding", "MultiHeadAttention", "LayerScale", "TokenSelect", "TokenMean",
})
_LITERALS = (bool, int, float, str, type(None))


def _check_literal(value: Any, op: str) -> None:
    if isinstance(value, tuple):
        for v in value:
            _check_literal(v, op)
    elif not isinstance(value, (*_LITERALS, Recipe)):
        raise TypeError(f"recipe {op}: {type(value).__name__} is not a literal (use tuples, not lists)")


@dataclass(frozen=True)
class Recipe:
    """A module to build: `op` names a kind in OPS; args and kwargs are literals, tuples of them, or recipes
    (a Sequential's parts)."""
    op: str
    args: tuple = ()
    kwargs: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        if self.op not in OPS:
            raise ValueError(f"recipe op {self.op!r} is not one of {sorted(OPS)}")
        for v in (*self.args, *self.kwargs.values()):
            _check_literal(v, self.op)
        if not all(isinstance(k, str) and k.isidentifier() for k in self.kwargs):
            raise ValueError(f"recipe {self.op}: keyword names must be identifiers, not {list(self.kwargs)}")


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
    def recipe(cls, p: Any, inputs: list[Shape]) -> Recipe:
        """The module computing this layer, for inputs that infer() accepted."""
        raise NotImplementedError(f"layer type {cls.type} has no recipe")

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


def pair(v: int | tuple[int, ...] | list[int]) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


LAYERS: dict[str, type[Layer]] = {}   # filled by @register; spec.registry.REGISTRY is this dict, fully loaded
TYPE_NAME = re.compile(r"[A-Z][A-Za-z0-9]{0,39}")
L = TypeVar("L", bound=type[Layer])


def register(cls: L) -> L:
    """Class decorator: the layer type joins REGISTRY (the palette, the validator, the compiler, the exports)."""
    if not TYPE_NAME.fullmatch(getattr(cls, "type", "")) or cls.type == "Foundation":
        raise ValueError(f"layer type {getattr(cls, 'type', None)!r}: a CamelCase name other than Foundation")
    if cls.type in LAYERS:
        raise ValueError(f"layer type {cls.type!r} is registered already (by {LAYERS[cls.type].__qualname__})")
    LAYERS[cls.type] = cls
    return cls


def unregister(layer_type: str) -> None:
    LAYERS.pop(layer_type, None)


def __getattr__(name: str):
    # REGISTRY lives in spec.registry (it imports the layer modules, which import this one)
    if name == "REGISTRY":
        from .registry import REGISTRY
        return REGISTRY
    raise AttributeError(name)
