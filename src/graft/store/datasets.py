"""Imported data sets: the datasets table and each data set's artifact folder (the built-ins need neither)."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .ids import new_id
from .records import check_name
from .registry import Registry, parse_time
from .tables import datasets


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
        return self.db.get(datasets, "dataset", id)

    def list(self) -> list[dict]:
        return self.db.list(datasets)

    def dir(self, id: str) -> Path:
        return self.layout.artifact_dir(self.get(id)["id"], ("ds",))

    def path(self, id: str, name: str) -> Path:
        self.get(id)
        return self.layout.artifact_file("dataset", id, name, ("ds",))
