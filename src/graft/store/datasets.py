"""Imported data sets: the datasets table and each data set's artifact folder (the built-ins need neither)."""
from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .ids import new_id
from .records import check_name
from .registry import Registry, parse_time
from .tables import datasets

# what dataset.json says of an import that has no column of its own (how it was read, what to worry about;
# for an edited version, its parent and the edits' counts)
NOTES = ("preprocessing", "label_column", "split_from", "warnings", "parent", "edits")


class Datasets:
    """`ws.datasets`."""

    def __init__(self, db: Registry):
        self.db, self.layout = db, db.layout

    def add(self, record: Mapping[str, Any], files: Mapping[str, bytes | Path]) -> dict:
        """Register an imported data set: files first (artifacts/<id>/), then the row."""
        values = self.db.columns(datasets, record, "dataset", skip=("id",))
        check_name(values.get("name"), "dataset record")
        if not isinstance(values.get("kind"), str) or not values["kind"]:
            raise ValueError(f"dataset record: kind must be a non-empty string, found {values.get('kind')!r:.40}")
        values.setdefault("classes", [])
        values.setdefault("sizes", {})
        values.setdefault("description", "")
        values["id"] = id = new_id("ds")
        values["created_at"] = parse_time(values.get("created_at"), "dataset record: created_at")
        self.db.publish(id, files, datasets, values)
        return self.get(id)

    def get(self, id: str) -> dict:
        return self.noted(self.db.get(datasets, "dataset", id))

    def list(self) -> list[dict]:
        return [self.noted(r) for r in self.db.list(datasets)]

    def noted(self, record: dict) -> dict:
        """The row plus NOTES from its dataset.json (a set stored before they were recorded has none)."""
        try:
            meta = json.loads((self.layout.artifact_dir(record["id"], ("ds",)) / "dataset.json").read_text())
        except (OSError, ValueError):
            return record
        return {**record, **{k: meta[k] for k in NOTES if meta.get(k) is not None}}

    def dir(self, id: str) -> Path:
        return self.layout.artifact_dir(self.get(id)["id"], ("ds",))

    def path(self, id: str, name: str) -> Path:
        self.get(id)
        return self.layout.artifact_file("dataset", id, name, ("ds",))
