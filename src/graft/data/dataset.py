"""`Dataset` and `load_dataset`: a data reference (built-in name or ds-… id, transforms, split) -> arrays."""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from graft.data import builtin, idx, transforms
from graft.data.errors import DataError
from graft.data.fingerprint import dataset_fingerprint, pixel_stats
from graft.data.fit import fit_images, fitted_shape, parse_channel_stats, parse_fit

SPLITS = ("train", "val", "test")
VAL_SEED = 0
STORED_FORMAT = "graft.dataset/v1"
DATASET_ID = re.compile(r"^ds-[0-9a-f]{12}$")
# the ids of the registry's other records (store.ids), so a model id given as data is named for what it is
_RECORD_ID = re.compile(r"([a-z]{2,3})-[0-9a-f]{12}")
OTHER_RECORDS = {"mdl": "a model", "fnd": "a foundation", "run": "a run", "ev": "an evaluation",
                 "wf": "a workflow", "net": "a saved network", "rep": "a report"}
_REF_KEYS = {"dataset", "transforms", "val_fraction", "split", "convert", "resize", "fit", "mean", "std"}
CONVERSIONS = ("rgb", "gray")


@dataclass(eq=False)
class Dataset:
    name: str
    images: np.ndarray            # uint8 [N, C, H, W]
    labels: np.ndarray            # int64 [N]
    classes: list[str]
    fingerprint: str
    split: str = "train"
    transforms: list[dict] = field(default_factory=list)
    fit: dict | None = None       # {resize: [H, W], fit: crop|pad}: applied by `prepare`, not to `images`

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def shape(self) -> list[int]:
        """[C, H, W] as the network sees it (after the fit)."""
        return fitted_shape(self.images.shape[1:], self.fit)

    def prepare(self, images: np.ndarray) -> np.ndarray:
        """uint8 rows of `images` as the network sees them: fitted to `fit`'s size (the engine calls this once
        for a set in memory, per batch for a streamed one; previews and exports use the same function)."""
        return fit_images(images, self.fit["resize"], self.fit["fit"]) if self.fit else images

    @cached_property
    def _pixel_stats(self) -> tuple[float, float]:
        return pixel_stats(self.images)

    @property
    def mean(self) -> float:
        """Mean pixel value scaled to [0, 1]."""
        return self._pixel_stats[0]

    @property
    def std(self) -> float:
        return self._pixel_stats[1]

    def counts(self) -> dict[str, int]:
        per = np.bincount(self.labels, minlength=len(self.classes)) if len(self.labels) else [0] * len(self.classes)
        return {c: int(per[i]) for i, c in enumerate(self.classes)}

    def stats(self) -> dict[str, Any]:
        """Summary for model cards and the UI: never the data itself."""
        return {"name": self.name, "split": self.split, "size": len(self), "shape": self.shape,
                "classes": list(self.classes), "counts": self.counts(), "mean": round(self.mean, 6),
                "std": round(self.std, 6), "fingerprint": self.fingerprint, "transforms": self.transforms}


def parse_ref(ref: dict | str) -> dict:
    """Validate a data reference; returns {dataset, transforms (normalised), val_fraction, split?}."""
    if isinstance(ref, str):
        ref = {"dataset": ref}
    if not isinstance(ref, dict):
        raise DataError("data", f"expected a data set name or a mapping with a dataset field, found {ref!r}")
    unknown = set(ref) - _REF_KEYS
    if unknown:
        raise DataError("data", f"unknown field {sorted(unknown)[0]!r} (allowed: {', '.join(sorted(_REF_KEYS))})")
    name = ref.get("dataset")
    if not isinstance(name, str) or not name:
        raise DataError("data.dataset", f"expected a data set name or id, found {name!r}")
    other = _RECORD_ID.fullmatch(name)
    if other and other.group(1) in OTHER_RECORDS:
        raise DataError("data.dataset", f"{name} is {OTHER_RECORDS[other.group(1)]} id; expected a data set: "
                                        f"a built-in name ({', '.join(builtin.BUILTINS)}) or an imported data "
                                        f"set's id (ds-…)")
    vf = ref.get("val_fraction", 0.0)
    if isinstance(vf, bool) or not isinstance(vf, (int, float)) or not 0.0 <= vf < 1.0:
        raise DataError("data.val_fraction", f"expected a number from 0 up to (not including) 1, found {vf!r}")
    convert = ref.get("convert")
    if convert is not None and convert not in CONVERSIONS:
        raise DataError("data.convert", f"expected one of {', '.join(CONVERSIONS)}, found {convert!r}")
    out = {"dataset": name, "transforms": transforms.normalize(ref.get("transforms")), "val_fraction": float(vf)}
    if convert is not None:
        out["convert"] = convert
    fit = parse_fit(ref)
    if fit is not None:
        out.update(fit)
    stats = parse_channel_stats(ref)
    if stats is not None:
        out.update(stats)
    if "split" in ref:
        out["split"] = ref["split"]
    return out


def require_dataset(ref: dict | str, workspace_root: Any) -> dict:
    """parse_ref, and the data set must be there: a built-in, or an imported one in this workspace."""
    parsed = parse_ref(ref)
    name, root = parsed["dataset"], _workspace_root(workspace_root)
    if DATASET_ID.match(name):
        if root is None or not (root / "artifacts" / name).is_dir():
            raise DataError("data.dataset", f"no imported data set with id {name} in this workspace")
    else:
        builtin.get_builtin(name)
    return parsed


def _workspace_root(workspace: Any) -> Path | None:
    """A path, or a Workspace-like object with a `root` folder."""
    if workspace is None:
        return None
    if isinstance(workspace, (str, os.PathLike)):
        return Path(workspace)
    return Path(workspace.root)


def read_stored_meta(folder: Path) -> dict:
    meta_path = folder / "dataset.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise DataError(meta_path, f"cannot read the data set description ({e})") from None
    if not isinstance(meta, dict) or meta.get("format") != STORED_FORMAT:
        raise DataError(meta_path, f"not a graft data set (expected format {STORED_FORMAT})")
    return meta


def _load_stored(folder: Path, split: str) -> tuple[np.ndarray, np.ndarray, list[str], str, str]:
    meta = read_stored_meta(folder)
    files = meta.get("splits", {}).get(split)
    if files is None:
        raise DataError(folder.name, f"has no {split} split (it has: {', '.join(meta.get('splits', {}))})")
    images, labels = idx.read_pair(folder / files["images"], folder / files["labels"], len(meta["classes"]))
    return images, labels, list(meta["classes"]), meta["sha256"], meta.get("name", folder.name)


def _base_arrays(name: str, split: str, root: Path | None) -> tuple[np.ndarray, np.ndarray, list[str], str, str]:
    if DATASET_ID.match(name):
        if root is None:
            raise DataError(name, "imported data sets need a workspace to load from")
        folder = root / "artifacts" / name
        if not folder.is_dir():
            raise DataError(name, "no such data set in this workspace")
        return _load_stored(folder, split)
    b = builtin.get_builtin(name)
    images, labels = builtin.load_builtin(name, split)
    return images, labels, list(b.classes), b.base_hash, name


def _stored_splits(name: str, root: Path | None) -> dict:
    """The splits an imported data set was stored with (none for built-ins or unknown ids)."""
    if not DATASET_ID.match(name) or root is None or not (root / "artifacts" / name).is_dir():
        return {}
    return read_stored_meta(root / "artifacts" / name).get("splits", {})


def _val_indices(n: int, fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """(train, val) index arrays: val is the last part of a fixed-seed shuffle; both in original order."""
    perm = np.random.default_rng(VAL_SEED).permutation(n)
    n_val = int(round(n * fraction))
    return np.sort(perm[: n - n_val]), np.sort(perm[n - n_val:])


def load_dataset(ref: dict | str, split: str | None = None, workspace_root: Any = None, *,
                 workspace: Any = None) -> Dataset:
    """Load a built-in (by name) or an imported data set (by ds-… id, from the workspace) with transforms.

    `split` defaults to the ref's `split` field, then "train". "val" is carved (deterministically) from train,
    which then excludes it, when `val_fraction` > 0; without it, "val" is the imported set's own val split.
    Transforms apply after the split is taken.
    """
    parsed = parse_ref(ref)
    split = split or parsed.get("split") or "train"
    if split not in SPLITS:
        raise DataError("data.split", f"unknown split {split!r} (expected one of {', '.join(SPLITS)})")
    vf = parsed["val_fraction"]
    root = _workspace_root(workspace_root if workspace_root is not None else workspace)
    stored_val = split == "val" and vf <= 0 and "val" in _stored_splits(parsed["dataset"], root)
    if split == "val" and vf <= 0 and not stored_val:
        raise DataError("data.val_fraction", "the val split needs val_fraction above 0 (e.g. 0.1), "
                                             "or a data set imported with its own val split")
    source_split = "train" if split == "val" and not stored_val else split
    images, labels, classes, base_hash, name = _base_arrays(parsed["dataset"], source_split, root)
    if split != "test" and vf > 0:
        train_idx, val_idx = _val_indices(len(labels), vf)
        chosen = val_idx if split == "val" else train_idx
        images, labels = images[chosen], labels[chosen]
    chain = parsed["transforms"]
    if chain:
        images, labels, classes = transforms.apply(chain, images, labels, classes)
    convert = parsed.get("convert")
    if convert is not None:
        images = convert_channels(images, convert)
    fit = {"resize": parsed["resize"], "fit": parsed["fit"]} if "resize" in parsed else None
    # sets neither converted nor fitted keep their fingerprints
    hashed = chain + ([{"convert": convert}] if convert else []) + ([{"fit": fit}] if fit else [])
    return Dataset(name=name, images=images, labels=labels, classes=classes, split=split, transforms=chain, fit=fit,
                   fingerprint=dataset_fingerprint(base_hash, hashed, split, vf if split != "test" else 0.0))


def convert_channels(images: np.ndarray, convert: str) -> np.ndarray:
    """rgb: a grey channel copied to three; gray: luminance (ITU-R 601, as PIL's "L") of colour images.
    Images already in the asked form are returned as they are."""
    channels = images.shape[1]
    if convert == "rgb" and channels == 1:
        return np.repeat(images, 3, axis=1)
    if convert == "gray" and channels == 3:
        weights = np.array([299, 587, 114], dtype=np.uint32)
        grey = (np.tensordot(weights, images.astype(np.uint32), axes=([0], [1])) + 500) // 1000
        return grey.astype(np.uint8)[:, None]
    return images
