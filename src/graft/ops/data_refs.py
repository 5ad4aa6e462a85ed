"""Data references as documents write them: "mnist", or {dataset, transforms, val_fraction, split}."""
from __future__ import annotations

from typing import Any


def data_ref(data: Any) -> dict:
    if isinstance(data, str):
        return {"dataset": data}
    if not isinstance(data, dict) or "dataset" not in data:
        raise ValueError(f"data: expected a data set name or {{dataset: NAME, ...}}, found {data!r}")
    allowed = {"dataset", "transforms", "val_fraction", "split", "convert"}
    unknown = set(data) - allowed
    if unknown:
        raise ValueError(f"data: unknown field(s) {sorted(unknown)}; expected some of {sorted(allowed)}")
    return dict(data)


def check_input(ds, input_shape, ref: dict) -> None:
    """Refuse data whose images do not have the network input's shape, naming both and what would fit them."""
    found, want = [int(d) for d in ds.shape], [int(d) for d in input_shape]
    if found == want:
        return
    hints = []
    if found[0] != want[0]:
        hints.append({(1, 3): "set convert: rgb on the data to copy its grey channel to three",
                      (3, 1): "set convert: gray on the data to take its luminance"}.get(
            (found[0], want[0]), f"give the network a {found[0]}-channel input"))
    if found[1:] != want[1:]:
        hints.append(f"import the data with resize {want[1]},{want[2]}, or give the network input "
                     f"{found[1]}x{found[2]}")
    shown = ref.get("dataset")
    named = shown if ds.name in (None, shown) else f"{shown} ({ds.name})"
    raise ValueError(f"data set {named} has images {'x'.join(map(str, found))}; network input expects "
                     f"{'x'.join(map(str, want))}; {' and '.join(hints)}")


def load_split(ws, data: Any, split: str):
    from ..data import load_dataset

    ref = data_ref(data)
    ref.pop("split", None)
    return load_dataset(ref, split, workspace_root=ws.root if ws is not None else None)
