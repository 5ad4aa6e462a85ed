"""Reading and writing documents: YAML (safe subset, no aliases) and JSON only. Loading never runs code."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from .issues import Issue, SpecError

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024


class DocumentError(SpecError):
    """The text is not a readable document (syntax, size, aliases, non-mapping root)."""


class _Loader(yaml.SafeLoader):
    """safe_load without aliases (no billion-laughs) and without types JSON cannot hold (dates, sets, binary)."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed", event.start_mark)
        return super().compose_node(parent, index)


_Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def _refuse(loader, node):
    raise yaml.constructor.ConstructorError(None, None, f"the tag {node.tag} is not allowed", node.start_mark)


for _tag in ("timestamp", "binary", "set", "omap", "pairs"):
    _Loader.add_constructor(f"tag:yaml.org,2002:{_tag}", _refuse)


def _error(problem: str, source: str, found: Any = None, expected: Any = None) -> DocumentError:
    return DocumentError([Issue("parse_error", problem, field=source, expected=expected, found=found)])


def load_document(text_or_path: str | bytes | os.PathLike, source: str = "document") -> dict[str, Any]:
    """Parse YAML or JSON text (a str is always text; pass a Path to read a file) into a mapping.

    Raises DocumentError (a SpecError) naming the source, line and column."""
    if isinstance(text_or_path, os.PathLike):
        path = Path(text_or_path)
        source = str(path)
        try:
            size = path.stat().st_size
            if size > MAX_DOCUMENT_BYTES:
                raise _error("the document is too large", source, f"{size} bytes", f"at most {MAX_DOCUMENT_BYTES}")
            text_or_path = path.read_bytes()
        except OSError as exc:
            raise _error(f"cannot read the file: {exc.strerror or exc}", source) from exc
    data = text_or_path
    if not isinstance(data, (str, bytes)):
        raise _error("expected document text", source, type(data).__name__, "str, bytes or a path")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise _error("the document is too large", source, f"{len(data)} bytes", f"at most {MAX_DOCUMENT_BYTES}")
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _error("the document is not UTF-8 text", source, f"byte {exc.start}", "UTF-8") from exc
    try:
        doc = _parse(data)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise _error(f"invalid YAML{where}: {exc.problem or exc.context}", source) from exc
    except yaml.YAMLError as exc:
        raise _error(f"invalid YAML: {exc}", source) from exc
    except json.JSONDecodeError as exc:
        raise _error(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", source) from exc
    except RecursionError as exc:
        raise _error("the document is nested too deeply", source) from exc
    if not isinstance(doc, dict):
        raise _error("the document must be a mapping (key: value pairs) at the top", source,
                     type(doc).__name__, "mapping")
    return doc


def _parse(text: str) -> Any:
    stripped = text.lstrip()
    if stripped.startswith("{"):   # JSON: the stdlib parser is far faster than PyYAML's
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            pass                   # maybe YAML flow style; let PyYAML give the error
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader


def to_data(obj: Any) -> Any:
    """Plain JSON data for a document given as a pydantic model (specs) or already as data."""
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json", exclude_none=True)
    return obj


class _Dumper(yaml.SafeDumper):
    pass


def _represent_list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    flat = all(x is None or isinstance(x, (str, int, float, bool)) for x in data)   # shapes, inputs: one line
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flat)


_Dumper.add_representer(list, _represent_list)


def dump_yaml(obj: Any) -> str:
    """YAML text; keys keep their order (a spec's fields in declaration order), so diffs stay small."""
    return yaml.dump(to_data(obj), Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False,
                     width=120)


def dump_json(obj: Any, indent: int | None = 2, sort_keys: bool = False) -> str:
    return json.dumps(to_data(obj), indent=indent, sort_keys=sort_keys, ensure_ascii=False, allow_nan=False)
