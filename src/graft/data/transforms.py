"""Transforms named in documents: pure data, validated, then applied to (images, labels, classes).

    {keep_classes: [5, 6, 7, 8, 9], remap: true}   keep these labels (ints or class names), in this order
    {relabel: {map: {"0": 0, "1": 1, ...} | [0, 1, ...], classes: [even, odd]}}
    {per_class: 100, seed: 0}                       exactly N random samples of each class
    {limit: 1000}                                   the first N samples
"""
from __future__ import annotations

from typing import Any

import numpy as np

from graft.data.errors import DataError

KNOWN = ("keep_classes", "relabel", "per_class", "limit")
_ALLOWED_KEYS = {"keep_classes": {"remap"}, "relabel": set(), "per_class": {"seed"}, "limit": set()}


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _count(v: Any, where: str, field: str) -> int:
    if not _is_int(v) or v < 1:
        raise DataError(where, f"{field} must be a whole number of at least 1 (found {v!r})")
    return int(v)


def normalize(transforms: Any) -> list[dict]:
    """Validate a transform chain and fill defaults, so equal meaning gives equal (canonical) data."""
    if transforms is None:
        return []
    if not isinstance(transforms, list):
        raise DataError("transforms", f"expected a list of transforms, found {type(transforms).__name__}")
    out = []
    for i, t in enumerate(transforms):
        where = f"transforms[{i}]"
        if not isinstance(t, dict):
            raise DataError(where, f"expected a mapping such as {{limit: 1000}}, found {t!r}")
        names = [k for k in t if k in KNOWN]
        if len(names) != 1:
            unknown = [k for k in t if k not in KNOWN and not any(k in a for a in _ALLOWED_KEYS.values())]
            what = f"unknown transform {unknown[0]!r}" if unknown else f"expected exactly one transform, found {names}"
            raise DataError(where, f"{what} (known: {', '.join(KNOWN)})")
        name = names[0]
        extra = set(t) - {name} - _ALLOWED_KEYS[name]
        if extra:
            raise DataError(where, f"unknown option {sorted(extra)[0]!r} for {name} "
                                   f"(allowed: {sorted(_ALLOWED_KEYS[name]) or 'none'})")
        out.append(_NORMALIZERS[name](t, where))
    return out


def _norm_keep(t: dict, where: str) -> dict:
    keep = t["keep_classes"]
    if not isinstance(keep, list) or not keep or not all(_is_int(k) or isinstance(k, str) for k in keep):
        raise DataError(where, f"keep_classes must be a non-empty list of labels or class names (found {keep!r})")
    if len(set(keep)) != len(keep):
        raise DataError(where, f"keep_classes lists a class twice ({keep!r})")
    remap = t.get("remap", True)
    if not isinstance(remap, bool):
        raise DataError(where, f"remap must be true or false (found {remap!r})")
    return {"keep_classes": [int(k) if _is_int(k) else k for k in keep], "remap": remap}


def _norm_relabel(t: dict, where: str) -> dict:
    spec = t["relabel"]
    if not isinstance(spec, dict) or set(spec) != {"map", "classes"}:
        raise DataError(where, f"relabel needs exactly the fields map and classes (found {spec!r})")
    classes = spec["classes"]
    if not isinstance(classes, list) or not classes or not all(isinstance(c, (str, int)) for c in classes):
        raise DataError(where, f"relabel.classes must be a non-empty list of names (found {classes!r})")
    classes = [str(c) for c in classes]
    raw = spec["map"]
    if isinstance(raw, list):
        pairs = list(enumerate(raw))
    elif isinstance(raw, dict):
        pairs = []
        for k, v in raw.items():
            try:
                pairs.append((int(k), v))
            except (TypeError, ValueError):
                raise DataError(where, f"relabel.map key {k!r} is not a label number") from None
    else:
        raise DataError(where, f"relabel.map must be a mapping or a list (found {raw!r})")
    mapping = {}
    for old, new in pairs:
        if not _is_int(new) or not 0 <= new < len(classes):
            raise DataError(where, f"relabel.map sends {old} to {new!r} (expected 0 to {len(classes) - 1})")
        mapping[str(old)] = int(new)
    return {"relabel": {"map": dict(sorted(mapping.items(), key=lambda kv: int(kv[0]))), "classes": classes}}


def _norm_per_class(t: dict, where: str) -> dict:
    seed = t.get("seed", 0)
    if not _is_int(seed) or seed < 0:
        raise DataError(where, f"seed must be a whole number of at least 0 (found {seed!r})")
    return {"per_class": _count(t["per_class"], where, "per_class"), "seed": int(seed)}


def _norm_limit(t: dict, where: str) -> dict:
    return {"limit": _count(t["limit"], where, "limit")}


_NORMALIZERS = {"keep_classes": _norm_keep, "relabel": _norm_relabel, "per_class": _norm_per_class,
                "limit": _norm_limit}

Arrays = tuple[np.ndarray, np.ndarray, list[str]]


def _keep(t: dict, images: np.ndarray, labels: np.ndarray, classes: list[str], where: str) -> Arrays:
    keep = []
    for k in t["keep_classes"]:
        if isinstance(k, str):
            if k not in classes:
                raise DataError(where, f"keep_classes names unknown class {k!r} (classes: {classes})")
            k = classes.index(k)
        elif not 0 <= k < len(classes):
            raise DataError(where, f"keep_classes label {k} is out of range (expected 0 to {len(classes) - 1})")
        keep.append(k)
    if len(set(keep)) != len(keep):
        raise DataError(where, f"keep_classes lists a class twice ({t['keep_classes']!r})")
    mask = np.isin(labels, keep)
    idx = np.flatnonzero(mask)
    if not t["remap"]:
        return images[idx], labels[idx], classes
    lut = np.full(len(classes), -1, dtype=np.int64)
    lut[keep] = np.arange(len(keep))
    return images[idx], lut[labels[idx]], [classes[k] for k in keep]


def _relabel(t: dict, images: np.ndarray, labels: np.ndarray, classes: list[str], where: str) -> Arrays:
    lut = np.full(max(len(classes), 1), -1, dtype=np.int64)
    for old, new in t["relabel"]["map"].items():
        if 0 <= int(old) < len(lut):
            lut[int(old)] = new
    present = np.unique(labels)
    missing = [int(x) for x in present if lut[x] < 0]
    if missing:
        names = [classes[m] for m in missing]
        raise DataError(where, f"relabel.map does not say where labels {missing} ({names}) go")
    return images, lut[labels], list(t["relabel"]["classes"])


def _per_class(t: dict, images: np.ndarray, labels: np.ndarray, classes: list[str], where: str) -> Arrays:
    n, rng = t["per_class"], np.random.default_rng(t["seed"])
    chosen = []
    for c in range(len(classes)):
        members = np.flatnonzero(labels == c)
        if len(members) == 0:
            continue
        if len(members) < n:
            raise DataError(where, f"class {classes[c]!r} has only {len(members)} samples (per_class asks {n})")
        chosen.append(rng.choice(members, size=n, replace=False))
    idx = np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)
    return images[idx], labels[idx], classes


def _limit(t: dict, images: np.ndarray, labels: np.ndarray, classes: list[str], where: str) -> Arrays:
    return images[: t["limit"]], labels[: t["limit"]], classes


_APPLY = {"keep_classes": _keep, "relabel": _relabel, "per_class": _per_class, "limit": _limit}


def apply(chain: list[dict], images: np.ndarray, labels: np.ndarray, classes: list[str]) -> Arrays:
    """Apply a normalised chain; returns new (images, labels, classes)."""
    classes = list(classes)
    for i, t in enumerate(chain):
        name = next(k for k in t if k in KNOWN)
        images, labels, classes = _APPLY[name](t, images, labels, classes, f"transforms[{i}]")
    return images, labels, classes
