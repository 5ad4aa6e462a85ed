"""CLI options made from a contract (graft.contracts): the same names, defaults and help as every other face.

`@options_of(TrainHparams)` gives a command one option per field of the model (`--batch-size`, ...); the values
reach the command as `**fields`. Choices stay text: the operation itself names a bad one (exit 1, not usage 2).
"""
from __future__ import annotations

import inspect
import types
import typing
from typing import Any, Literal, Optional, Union

import typer
from pydantic import BaseModel
from pydantic.fields import FieldInfo

PLAIN = (int, float, str, bool)


def cli_type(annotation: Any) -> Any:
    """The type typer parses a field as: numbers, text and flags as they are; a [lo, hi] pair as two numbers;
    choices, unions and data references as text."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if annotation in PLAIN:
        return annotation
    if origin in (Union, types.UnionType) and type(None) in args:
        inner = [a for a in args if a is not type(None)]
        return Optional[cli_type(inner[0])] if len(inner) == 1 else Optional[str]
    if origin is list and args and args[0] in (int, float):
        return tuple[args[0], args[0]]
    return str


def default_of(info: FieldInfo) -> Any:
    if info.is_required():
        return ...
    value = info.get_default(call_default_factory=True)
    if isinstance(value, list):
        return tuple(value)
    return value


def help_of(info: FieldInfo, annotation: Any) -> str | None:
    text = info.description or ""
    if not text and typing.get_origin(annotation) is Literal:
        text = "one of " + ", ".join(map(str, typing.get_args(annotation)))
    return text + "." if text else None


def option(model: type[BaseModel], name: str, *decls: str, **kw: Any) -> Any:
    """typer.Option for one contract field: its default, its description as help."""
    info = model.model_fields[name]
    kw.setdefault("help", help_of(info, info.annotation))
    return typer.Option(default_of(info), *decls, **kw)


def options_of(model: type[BaseModel], exclude: tuple[str, ...] = ()):
    """Replace the command's **fields with one option per field of `model` (except `exclude`)."""
    def wrap(fn):
        sig = inspect.signature(fn)
        own = [p for p in sig.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
        added = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=option(model, name),
                                   annotation=cli_type(info.annotation))
                 for name, info in model.model_fields.items() if name not in exclude]
        fn.__signature__ = sig.replace(parameters=[*own, *added])
        fn.__annotations__ = {**typing.get_type_hints(fn), **{p.name: p.annotation for p in added}}
        return fn
    return wrap


def from_cli(values: dict[str, Any]) -> dict[str, Any]:
    """Option values as the contract takes them (a pair back to a list)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}


def parse_augment(text: str | None) -> list:
    """`--augment '[{"flip": true}, {"rotate": 10}]'` as the contract's ops (a bad op names the allowed ones)."""
    import json

    from pydantic import ValidationError

    from .contracts.hparams import TrainHparams

    if not text:
        return []
    try:
        ops = json.loads(text)
        return TrainHparams.model_validate({"augment": ops}).model_dump()["augment"]
    except json.JSONDecodeError as err:
        raise ValueError(f"--augment: expected a JSON list such as '[{{\"flip\": true}}]', found {text!r:.60} "
                         f"({err.msg})") from None
    except ValidationError as err:
        e = err.errors()[0]
        where = ".".join(str(p) for p in e["loc"])
        raise ValueError(f"--{where}: {e['msg'].removeprefix('Value error, ')}") from None
