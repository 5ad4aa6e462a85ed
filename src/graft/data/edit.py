"""A new version of a data set: the parent's split with some rows relabelled and some left out.

The parent is never written to: the version is a stored data set of its own (graft.dataset/v1) whose edited
split is copied through the kept rows (idx.write_idx, a chunk at a time) and whose other splits are copied as
they are, so every loader, the streaming path and the fingerprints treat it like any import. Its dataset.json
adds `parent`, `edits` (the split and the counts) and, per edited split, the parent row of each kept row
(`parent_rows`, an int32 IDX file), which `row_indices` and evaluation comparisons follow back to the parent.

`row_indices(ref, split)` answers the other half: for each sample of load_dataset(ref, split) (after the
validation carve and the transforms), its row in the data set's stored split.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from graft.data import builtin, idx, transforms
from graft.data.dataset import (
    DATASET_ID, STORED_FORMAT, _base_arrays, _stored_splits, _val_indices, parse_ref, read_stored_meta,
)
from graft.data.errors import DataError
from graft.data.fingerprint import canonical_json, sha256_bytes

PARENT_ROWS = "{split}-parent-rows-idx1-int"


def splits_of(name: str, root: Path | None) -> list[str]:
    """The splits a built-in or stored data set has, in the stored order."""
    if DATASET_ID.match(name):
        if root is None or not (root / "artifacts" / name).is_dir():
            raise DataError(name, "no such data set in the workspace")
        return list(read_stored_meta(root / "artifacts" / name).get("splits", {}))
    return list(builtin.get_builtin(name).sizes)


def row_indices(ref: dict | str, split: str | None, root: Path | None) -> tuple[str, np.ndarray]:
    """(stored split, rows): the row of the stored split behind each sample load_dataset(ref, split) gives.
    A `val` split carved by val_fraction maps into `train`."""
    parsed = parse_ref(ref)
    split = split or parsed.get("split") or "train"
    vf = parsed["val_fraction"]
    stored_val = split == "val" and vf <= 0 and "val" in _stored_splits(parsed["dataset"], root)
    source = "train" if split == "val" and not stored_val else split
    _, labels, classes, _, _ = _base_arrays(parsed["dataset"], source, root)
    rows = np.arange(len(labels), dtype=np.int64)
    if split != "test" and vf > 0:
        train_idx, val_idx = _val_indices(len(labels), vf)
        chosen = val_idx if split == "val" else train_idx
        rows, labels = rows[chosen], np.asarray(labels)[chosen]
    if parsed["transforms"]:
        rows, _, _ = transforms.apply(parsed["transforms"], rows, np.asarray(labels), classes)
    return source, np.asarray(rows, dtype=np.int64)


def parent_rows(name: str, split: str, root: Path | None) -> tuple[str, np.ndarray] | None:
    """(parent, the parent's row of each row of `split`) of an edited data set's edited split; else None."""
    if not DATASET_ID.match(name) or root is None:
        return None
    folder = root / "artifacts" / name
    meta = read_stored_meta(folder)
    edits = meta.get("edits") or {}
    if not meta.get("parent") or edits.get("split") != split:
        return None
    return meta["parent"], np.asarray(idx.read_idx(folder / edits["parent_rows"]), dtype=np.int64)


def stage_edit(parent: str, split: str, relabel: dict[int, int], exclude: list[int], staging: Path,
               name: str, root: Path | None) -> dict:
    """Write the version of `parent` with `relabel` ({row: label}) and `exclude` (rows) applied to `split`
    into `staging`; returns its dataset.json. Rows and labels must have been checked (edit_plan)."""
    staging.mkdir(parents=True, exist_ok=True)
    meta_splits, hashes = {}, {}
    classes, shape = None, None
    for s in splits_of(parent, root):
        images, labels, classes, _, _ = _base_arrays(parent, s, root)
        shape = [int(d) for d in images.shape[1:]]
        kept = None
        if s == split:
            labels = np.array(labels, dtype=np.int64)
            for row, label in relabel.items():
                labels[row] = label
            kept = np.setdiff1d(np.arange(len(labels), dtype=np.int64), np.asarray(exclude, dtype=np.int64))
            labels = labels[kept]
        files = {"images": f"{s}-images-idx{3 if images.shape[1] == 1 else 4}-ubyte",
                 "labels": f"{s}-labels-idx1-ubyte"}
        pixels = images[:, 0] if images.shape[1] == 1 else images
        hashes[files["images"]] = idx.write_idx(staging / files["images"], pixels, kept)
        top = int(np.max(labels)) if len(labels) else 0
        hashes[files["labels"]] = idx.write_idx(staging / files["labels"],
                                                np.asarray(labels).astype(np.uint8 if top < 256 else np.int32))
        if kept is not None:
            rows_file = PARENT_ROWS.format(split=s)
            hashes[rows_file] = idx.write_idx(staging / rows_file, kept.astype(np.int32))
        meta_splits[s] = {**files, "count": int(len(labels))}
    parent_meta = read_stored_meta(root / "artifacts" / parent) if DATASET_ID.match(parent) else {}
    meta = {"format": STORED_FORMAT, "name": name, "kind": "edit", "source": {"parent": parent},
            "classes": list(classes or []), "shape": shape, "splits": meta_splits,
            "split_from": parent_meta.get("split_from", "data"), "preprocessing": parent_meta.get("preprocessing", []),
            "warnings": [], "parent": parent,
            "edits": {"split": split, "relabeled": len(relabel), "excluded": len(exclude),
                      "parent_rows": PARENT_ROWS.format(split=split)},
            "files": hashes, "sha256": sha256_bytes(canonical_json(hashes).encode())}
    edits = {"parent": parent, "split": split,
             "relabel": [{"index": int(r), "label": int(v)} for r, v in sorted(relabel.items())],
             "exclude": sorted(int(r) for r in exclude)}
    _write(staging / "edits.json", json.dumps(edits))
    _write(staging / "dataset.json", json.dumps(meta, indent=2))
    return meta


def _write(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def class_index(label: Any, classes: list[str], where: str, dataset: str) -> int:
    """A label as a request gives it (a class name, or its number) -> the class number; refuses others."""
    if isinstance(label, str) and label in classes:
        return classes.index(label)
    number = label if isinstance(label, int) and not isinstance(label, bool) else None
    if isinstance(label, str) and label.strip().isdigit():
        number = int(label)
    if number is not None and 0 <= number < len(classes):
        return number
    shown = ", ".join(classes[:12]) + (" ..." if len(classes) > 12 else "")
    raise ValueError(f"{where}: expected a class of {dataset} (0 to {len(classes) - 1}, or a name: {shown}), "
                     f"found {label!r:.40}")
