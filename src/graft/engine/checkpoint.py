"""Per-epoch training checkpoints: tensors as safetensors, everything else as a JSON sidecar (no pickle).

`checkpoint.json` is written last (atomically) and names the tensor file it belongs to, so a run killed while
writing leaves the previous complete checkpoint in place.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch

from ..contracts.errors import DiskFull, is_disk_full
from .weights import load_weights, save_weights

SIDECAR = "checkpoint.json"
FORMAT = "graft.checkpoint/v1"


def _split_optimizer(state: dict[str, Any]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    tensors: dict[str, torch.Tensor] = {}
    plain: dict[str, dict[str, Any]] = {}
    for pid, slots in state["state"].items():
        for name, value in slots.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optim.{pid}.{name}"] = value
            else:
                plain.setdefault(str(pid), {})[name] = value
    groups = [{k: list(v) if isinstance(v, tuple) else v for k, v in g.items()} for g in state["param_groups"]]
    return tensors, {"plain": plain, "param_groups": groups}


def _join_optimizer(tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        if key.startswith("optim."):
            _, pid, name = key.split(".", 2)
            state.setdefault(int(pid), {})[name] = value
    for pid, slots in meta["plain"].items():
        state.setdefault(int(pid), {}).update(slots)
    groups = [{k: tuple(v) if k == "betas" else v for k, v in g.items()} for g in meta["param_groups"]]
    return {"state": state, "param_groups": groups}


def save_checkpoint(directory: str | Path, *, epoch: int, model: torch.nn.Module, optimizer: Any,
                    scheduler: Any, extra: dict[str, Any]) -> Path:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    optim_tensors, optim_meta = _split_optimizer(optimizer.state_dict())
    tensors = {f"model.{k}": v for k, v in model.state_dict().items()}
    tensors.update(optim_tensors)
    tensors["rng.cpu"] = torch.get_rng_state()
    if torch.cuda.is_available():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"rng.cuda.{i}"] = s
    name = f"epoch-{epoch:04d}.safetensors"
    sidecar = {"format": FORMAT, "epoch": epoch, "tensors": name, "optimizer": optim_meta,
               "scheduler": scheduler.state_dict() if scheduler is not None else None, **extra}
    tensor_tmp, sidecar_tmp = directory / f".{name}.tmp", directory / f".{SIDECAR}.tmp"
    try:
        save_weights(tensor_tmp, tensors)
        _fsync_replace(tensor_tmp, directory / name)
        sidecar_tmp.write_text(json.dumps(sidecar))
        _fsync_replace(sidecar_tmp, directory / SIDECAR)
    except OSError as err:
        # the sidecar still names the previous tensor file, which is untouched: drop only this epoch's pieces
        for leftover in (tensor_tmp, sidecar_tmp):
            leftover.unlink(missing_ok=True)
        if _named_tensors(directory) != name:
            (directory / name).unlink(missing_ok=True)
        if is_disk_full(err):
            kept = "the last complete checkpoint is kept" if _named_tensors(directory) else ""
            raise DiskFull(f"the checkpoint of epoch {epoch}", kept) from err
        raise
    for old in directory.glob("epoch-*.safetensors"):
        if old.name != name:
            old.unlink(missing_ok=True)
    return directory / SIDECAR


def _named_tensors(directory: Path) -> str | None:
    """The tensor file the current sidecar names (None without a readable one)."""
    try:
        return json.loads((directory / SIDECAR).read_text()).get("tensors")
    except (OSError, ValueError, AttributeError):
        return None


def _fsync_replace(tmp: Path, final: Path) -> None:
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, final)


def load_checkpoint(directory: str | Path) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """(sidecar, tensors) of the last complete checkpoint in `directory`."""
    path = Path(directory) / SIDECAR
    if not path.exists():
        raise FileNotFoundError(f"{path}: no checkpoint here (expected {SIDECAR} written by a training run)")
    meta = json.loads(path.read_text())
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path}: expected format {FORMAT}, found {meta.get('format')!r}")
    return meta, load_weights(Path(directory) / meta["tensors"])


def _match_layouts(optimizer: Any) -> None:
    """Give restored moment tensors their parameter's memory layout (channels-last weights): the fused CPU
    Adam kernel gave other results when the two differed, so a resumed run drifted from an uninterrupted one."""
    for group in optimizer.param_groups:
        for p in group["params"]:
            slots = optimizer.state.get(p, {})
            for name, value in slots.items():
                if isinstance(value, torch.Tensor) and value.shape == p.shape and value.stride() != p.stride():
                    slots[name] = torch.empty_like(p, dtype=value.dtype).copy_(value)


def restore(meta: dict[str, Any], tensors: dict[str, torch.Tensor], model: torch.nn.Module, optimizer: Any,
            scheduler: Any) -> None:
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    optimizer.load_state_dict(_join_optimizer(tensors, meta["optimizer"]))
    _match_layouts(optimizer)
    if scheduler is not None and meta.get("scheduler") is not None:
        scheduler.load_state_dict(meta["scheduler"])
    torch.set_rng_state(tensors["rng.cpu"])
    cuda = [tensors[f"rng.cuda.{i}"] for i in range(sum(k.startswith("rng.cuda.") for k in tensors))]
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda)
