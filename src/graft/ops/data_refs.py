"""Data references as documents write them: "mnist", or {dataset, transforms, val_fraction, split}."""
from __future__ import annotations

from typing import Any


def data_ref(data: Any) -> dict:
    if isinstance(data, str):
        return {"dataset": data}
    if not isinstance(data, dict) or "dataset" not in data:
        raise ValueError(f"data: expected a data set name or {{dataset: NAME, ...}}, found {data!r}")
    allowed = {"dataset", "transforms", "val_fraction", "split", "convert", "resize", "fit", "mean", "std"}
    unknown = set(data) - allowed
    if unknown:
        raise ValueError(f"data: unknown field(s) {sorted(unknown)}; expected some of {sorted(allowed)}")
    return dict(data)


def check_input(ds, input_shape, ref: dict) -> None:
    """Refuse data whose images do not have the network input's shape, naming both and what would fit them."""
    found, want = [int(d) for d in ds.shape], [int(d) for d in input_shape]
    if found == want:
        channels = len(ref.get("mean") or [found[0]])
        if channels not in (1, found[0]):
            raise ValueError(f"data.mean: expected one number or one per channel ({found[0]}), found {channels}")
        return
    hints = []
    if found[0] != want[0]:
        hints.append({(1, 3): "set convert: rgb on the data to copy its grey channel to three",
                      (3, 1): "set convert: gray on the data to take its luminance"}.get(
            (found[0], want[0]), f"give the network a {found[0]}-channel input"))
    if found[1:] != want[1:]:
        hints.append(f"set resize: [{want[1]}, {want[2]}] on the data (fit: crop or pad), or give the network "
                     f"input {found[1]}x{found[2]}")
    shown = ref.get("dataset")
    named = shown if ds.name in (None, shown) else f"{shown} ({ds.name})"
    raw = [int(d) for d in ds.images.shape[1:]]
    shown_found = "x".join(map(str, found)) if raw == found else \
        f"{'x'.join(map(str, raw))} resized to {'x'.join(map(str, found))}"
    raise ValueError(f"data set {named} has images {shown_found}; network input expects "
                     f"{'x'.join(map(str, want))}; {' and '.join(hints)}")


def check_normalisation(ref: Any, input_shape) -> None:
    """Refuse, before any data is read, a per-channel mean or std whose length fits neither one number nor the
    network input's channels (the images reach the network with its channels, after any `convert`)."""
    if not isinstance(ref, dict) or len(input_shape) != 3:
        return
    channels = int(input_shape[0])
    for field in ("mean", "std"):
        value = ref.get(field)
        if isinstance(value, list) and len(value) not in (1, channels):
            raise ValueError(f"data.{field}: expected one number or {channels} (one per channel of the network "
                             f"input {'x'.join(map(str, input_shape))}), found {len(value)}")


def load_split(ws, data: Any, split: str):
    from ..data import load_dataset

    ref = data_ref(data)
    ref.pop("split", None)
    return load_dataset(ref, split, workspace_root=ws.root if ws is not None else None)
