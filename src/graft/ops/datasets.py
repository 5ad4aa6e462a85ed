"""Import a data set file into the workspace's registry (the one path used by CLI, API and Python)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..contracts.requests import DatasetImportRequest as Request

_DEFAULT = {k: f.get_default() for k, f in Request.model_fields.items() if k != "path"}


def import_dataset(ws, path: Any, name: str | None = _DEFAULT["name"], kind: str | None = _DEFAULT["kind"],
                   test_fraction: float = _DEFAULT["test_fraction"], *, filename: str | None = None) -> dict:
    """Read `path` (a zip or folder of class folders, a CSV, an NPZ or IDX files; `kind` sniffed when None),
    store it in graft's form and register it; returns the dataset record. `filename` is the name the user
    knows the file by (an upload's), for the default name and the record's source."""
    from ..data import import_dataset as read_and_stage

    filename = filename or Path(path).name
    with ws.scratch("dataset") as staging:
        read_and_stage(path, kind=kind, name=name or filename.rsplit(".", 1)[0], staging_dir=staging,
                       test_fraction=test_fraction)
        meta = json.loads((staging / "dataset.json").read_text())
        files = {p.name: p for p in staging.iterdir() if p.is_file()}
        record = {"name": meta["name"], "kind": meta["kind"], "classes": meta["classes"],
                  "sizes": {k: v.get("count") for k, v in meta["splits"].items()},
                  "shape": meta["shape"], "fingerprint": meta["sha256"], "source": {"file": filename}}
        return ws.add_dataset(record, files)
