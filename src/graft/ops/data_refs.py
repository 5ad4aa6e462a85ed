"""Data references as documents write them: "mnist", or {dataset, transforms, val_fraction, split}."""
from __future__ import annotations

from typing import Any


def data_ref(data: Any) -> dict:
    if isinstance(data, str):
        return {"dataset": data}
    if not isinstance(data, dict) or "dataset" not in data:
        raise ValueError(f"data: expected a data set name or {{dataset: NAME, ...}}, found {data!r}")
    allowed = {"dataset", "transforms", "val_fraction", "split"}
    unknown = set(data) - allowed
    if unknown:
        raise ValueError(f"data: unknown field(s) {sorted(unknown)}; expected some of {sorted(allowed)}")
    return dict(data)


def load_split(ws, data: Any, split: str):
    from ..data import load_dataset

    ref = data_ref(data)
    ref.pop("split", None)
    return load_dataset(ref, split, workspace_root=ws.root if ws is not None else None)
