"""Edit a data set into a new version (relabel rows, leave rows out); the parent stays as it was.

The one path behind `graft datasets edit`, POST /api/datasets/{id}/edit and graft.edit_dataset. The new version
is staged, then registered last (store.registry.publish): a failure midway registers nothing and leaves the
parent's files untouched.
"""
from __future__ import annotations

from typing import Any, Iterable

from ..contracts.edits import DatasetEditRequest as Request

_DEFAULT = {k: f.get_default(call_default_factory=True) for k, f in Request.model_fields.items()
            if k != "dataset"}


def _pairs(relabel: Iterable[Any]) -> list[tuple[Any, Any]]:
    """Relabels as (index, label), from {index, label} mappings, Relabel models or (index, label) pairs."""
    out = []
    for i, r in enumerate(relabel or []):
        if isinstance(r, dict):
            if set(r) != {"index", "label"}:
                raise ValueError(f"relabel[{i}]: expected {{index, label}}, found {r!r:.60}")
            out.append((r["index"], r["label"]))
        elif hasattr(r, "index") and hasattr(r, "label"):
            out.append((r.index, r.label))
        else:
            index, label = r
            out.append((index, label))
    return out


def check_rows(rows: Iterable[Any], n: int, field: str, what: str) -> list[int]:
    """Each a whole number from 0 to n-1; refusals name the field, the range expected and the value found."""
    out = []
    for i, row in enumerate(rows):
        if isinstance(row, bool) or not isinstance(row, int) or not 0 <= row < n:
            raise ValueError(f"{field}[{i}]: expected {what} from 0 to {n - 1}, found {row!r:.40}")
        out.append(int(row))
    return out


def edit_plan(relabel, exclude, n: int, classes: list[str], dataset: str, what: str,
              index_field: str = "index") -> tuple[dict[int, int], list[int]]:
    """({row: class number}, [rows]) checked against a split of `n` rows with `classes`."""
    from ..data.edit import class_index

    pairs = _pairs(relabel)
    rows = check_rows([p[0] for p in pairs], n, "relabel", what)
    plan: dict[int, int] = {}
    for i, (row, (_, label)) in enumerate(zip(rows, pairs)):
        plan[row] = class_index(label, classes, f"relabel[{i}].label", dataset)
    left_out = sorted(set(check_rows(list(exclude or []), n, "exclude", what)))
    both = sorted(set(plan) & set(left_out))
    if both:
        raise ValueError(f"exclude: {what} {both[0]} is also relabelled; expected each {what} in one of relabel "
                         "and exclude")
    if not plan and not left_out:
        raise ValueError("relabel, exclude: expected at least one row to relabel or leave out, found none")
    if len(left_out) >= n:
        raise ValueError(f"exclude: leaves none of the {n} rows; expected at least one row kept")
    return plan, left_out


def edit_dataset(ws, dataset: str, split: str = _DEFAULT["split"], relabel: list | None = None,
                 exclude: list[int] | None = None, name: str | None = _DEFAULT["name"]) -> dict:
    """Register a new version of `dataset` whose `split` has the `relabel` ({index, label}: a row and its right
    class, by name or number) and `exclude` (rows) applied; returns the new data set's record (its `parent`
    and `edits` say where it came from). Rows are those of the stored split (`graft view`'s index)."""
    from ..data.dataset import _base_arrays, parse_ref
    from ..data.edit import splits_of, stage_edit

    parent = parse_ref(dataset)["dataset"]
    if parent.startswith("ds-"):
        ws.get_dataset(parent)              # an unknown id is a 404, not a data error
    root = ws.root
    available = splits_of(parent, root)
    if split not in available:
        raise ValueError(f"split: expected one of the splits of {parent} ({', '.join(available)}), found {split!r}")
    _, labels, classes, _, parent_name = _base_arrays(parent, split, root)
    plan, left_out = edit_plan(relabel, exclude, len(labels), list(classes), parent, f"a row of {split}")
    name = name or f"{parent_name} (edited)"
    with ws.scratch("dataset") as staging:
        meta = stage_edit(parent, split, plan, left_out, staging, name, root)
        files = {p.name: p for p in staging.iterdir() if p.is_file()}
        record = {"name": name, "kind": "edit", "classes": meta["classes"],
                  "sizes": {k: v["count"] for k, v in meta["splits"].items()}, "shape": meta["shape"],
                  "fingerprint": meta["sha256"],
                  "source": {"parent": parent, "split": split, "relabeled": len(plan), "excluded": len(left_out)}}
        return ws.add_dataset(record, files)


def dataset_edits(ws, dataset: str) -> dict:
    """The edits a version was made with: {parent, split, relabel: [{index, label}], exclude: [rows]}."""
    import json

    path = ws.datasets.dir(dataset) / "edits.json"
    if not path.exists():
        raise ValueError(f"dataset: {dataset} is not an edited version of another data set")
    return json.loads(path.read_text())
