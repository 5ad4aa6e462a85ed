"""Models and foundations in the registry, and their lineage.

Lineage has two kinds of edges: `parent_id` (the model this one was sliced or fine-tuned from) and
`foundation_ids` (the foundations it was grafted onto). Both count for children/ancestors/descendants;
`used_by` follows only the second.
"""
from __future__ import annotations

import json
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import select

from .ids import ID_PATTERN, MODEL_PREFIXES, NotFound, check_id, new_id
from .registry import Registry, parse_time
from .tables import models

MODEL_IDS = tuple(MODEL_PREFIXES.values())


def _ref(value: Any, field: str) -> str:
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value) or value.split("-")[0] not in MODEL_IDS:
        raise ValueError(f"model record: {field} must be a model or foundation id (mdl-/fnd- and 12 hex digits), "
                         f"found {value!r:.80}")
    return value


class Models:
    """`ws.models`: the models table and the models' artifact folders."""

    def __init__(self, db: Registry, get_run: Callable[[str], dict]):
        self.db, self.layout, self._get_run = db, db.layout, get_run

    def register(self, record: Mapping[str, Any], files: Mapping[str, bytes | Path]) -> dict:
        """Store a model's files, then its row ("register last"); returns the stored record.

        `record` holds the model's fields (see tables.models); `id` and `created_at` are optional. Fields
        without a column of their own (e.g. `slice`) are kept in `extra` and come back as top-level fields.
        `files` maps plain file names (e.g. "weights.safetensors") to bytes or a path to copy.
        """
        values = {k: v for k, v in record.items() if k in models.c and k != "extra"}
        extra = {k: v for k, v in record.items() if k not in values}
        if "extra" in extra:
            raise ValueError("model record: 'extra' is reserved; put extra fields in the record itself")
        try:
            json.dumps(extra, allow_nan=False)
        except (TypeError, ValueError) as e:
            raise ValueError(f"model record: fields {', '.join(sorted(extra))} must be plain JSON ({e})") from None
        values["extra"] = extra or None
        kind = values.setdefault("kind", "model")
        if kind not in MODEL_PREFIXES:
            raise ValueError(f"model record: kind must be 'model' or 'foundation', found {kind!r:.40}")
        prefix = MODEL_PREFIXES[kind]
        id = values.setdefault("id", new_id(prefix))
        if not isinstance(id, str) or not ID_PATTERN.fullmatch(id) or not id.startswith(prefix + "-"):
            raise ValueError(f"model record: id must be {prefix}-<12 hex digits> for kind {kind!r}, found {id!r:.80}")
        if not isinstance(values.get("name"), str) or not values["name"].strip():
            raise ValueError(f"model record: name must be a non-empty string, found {values.get('name')!r:.80}")
        if not isinstance(values.get("spec"), dict):
            raise ValueError("model record: spec (the network document) must be an object")
        if values.get("parent_id") is not None:
            self._exists(_ref(values["parent_id"], "parent_id"), "parent_id", self.get)
        if values.get("run_id") is not None:
            self._exists(values["run_id"], "run_id", self._get_run)
        foundation_ids = values.setdefault("foundation_ids", [])
        if not isinstance(foundation_ids, list):
            raise ValueError(f"model record: foundation_ids must be a list, found {foundation_ids!r:.80}")
        for i, fid in enumerate(foundation_ids):
            _ref(fid, f"foundation_ids[{i}]")
        values["created_at"] = parse_time(values.get("created_at"), "model record: created_at")
        values.setdefault("description", "")
        self.db.publish(id, files, models, values)
        return self.get(id)

    @staticmethod
    def _exists(id: str, field: str, get: Any) -> None:
        try:
            get(id)
        except NotFound as e:
            raise ValueError(f"model record: {field}: {e}") from None

    def get(self, id: str) -> dict:
        return self.db.get(models, "model", id, MODEL_IDS)

    def list(self, kind: str | None = None) -> list[dict]:
        if kind is None:
            return self.db.list(models)
        if kind not in MODEL_PREFIXES:
            raise ValueError(f"kind must be 'model' or 'foundation', found {kind!r:.40}")
        return self.db.list(models, models.c.kind == kind)

    def dir(self, id: str) -> Path:
        return self.layout.artifact_dir(self.get(id)["id"], MODEL_IDS)

    def path(self, id: str, name: str) -> Path:
        """The path of one of a model's files (NotFound if the model or the file is not there)."""
        self.get(id)
        return self.layout.artifact_file("model", id, name, MODEL_IDS)

    # ------------------------------------------------------------ lineage

    def _edges(self) -> dict[str, tuple[str | None, list[str]]]:
        with self.db.read() as conn:
            rows = conn.execute(select(models.c.id, models.c.parent_id, models.c.foundation_ids))
            return {r.id: (r.parent_id, list(r.foundation_ids or [])) for r in rows}

    def _records(self, ids: list[str]) -> list[dict]:
        if not ids:
            return []
        with self.db.read() as conn:
            rows = {r.id: self.db.record(r) for r in conn.execute(select(models).where(models.c.id.in_(ids)))}
        return [rows[i] for i in ids if i in rows]

    def _known(self, id: str) -> tuple[str, dict[str, tuple[str | None, list[str]]]]:
        key = check_id(id, "model", MODEL_IDS)
        edges = self._edges()
        if key not in edges:
            raise NotFound("model", id)
        return key, edges

    def children(self, id: str) -> list[dict]:
        """Models made directly from this one: sliced/fine-tuned from it or grafted onto it."""
        key, edges = self._known(id)
        return self._records([m for m, (parent, fnds) in edges.items() if parent == key or key in fnds])

    def used_by(self, foundation_id: str) -> list[dict]:
        """Models grafted onto this foundation."""
        key, edges = self._known(foundation_id)
        return self._records([m for m, (_, fnds) in edges.items() if key in fnds])

    def ancestors(self, id: str) -> list[dict]:
        """Parents and foundations, transitively, nearest first (breadth first)."""
        key, edges = self._known(id)
        return self._records(_walk(key, lambda m: _up(*edges.get(m, (None, [])))))

    def descendants(self, id: str) -> list[dict]:
        """Everything made from this model, transitively, nearest first (breadth first)."""
        key, edges = self._known(id)
        below: dict[str, list[str]] = {}
        for m, (parent, fnds) in edges.items():
            for up in _up(parent, fnds):
                below.setdefault(up, []).append(m)
        return self._records(_walk(key, lambda m: below.get(m, [])))


def _up(parent: str | None, foundation_ids: list[str]) -> list[str]:
    return ([parent] if parent else []) + foundation_ids


def _walk(start: str, step: Any) -> list[str]:
    seen, order, queue = {start}, [], deque([start])
    while queue:
        for nxt in step(queue.popleft()):
            if nxt not in seen:
                seen.add(nxt)
                order.append(nxt)
                queue.append(nxt)
    return order
