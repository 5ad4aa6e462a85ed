"""Frozen-foundation feature cache.

When every foundation of a network is frozen, reads the network input directly and is the only thing that
does, the head is a function of the foundations' outputs alone. Those outputs are then computed once per
(foundation weights, foundation network, data, normalization) and the head trains on them: epochs, later runs
and new heads on the same foundation reuse them. Any change to the weights, the foundation's layers or the
data gives a new key. Entries live in an in-process LRU and, given a directory, on disk as .npy files that are
memory-mapped when large.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from ..spec.network import INPUT
from .cancel import check
from .compile import GraphModule
from .precision import autocast
from .weights import state_sha256

FEATURE_BATCH = 128           # larger batches ran 2x slower on the CPU (fresh pages for every big activation)
MMAP_OVER = 256 << 20         # disk entries larger than this are memory-mapped, not read into memory
HALF_OVER = 256 << 20         # "auto" stores float16 above this size (accuracy delta measured as nil on MNIST)


def cacheable_foundations(model: GraphModule) -> list[str]:
    """The foundation node ids whose outputs can stand in for the input; [] when caching does not apply."""
    fids = list(model.foundations)
    if not fids or any(not model.get_submodule(f).frozen for f in fids):
        return []
    for node_id, inputs in model.inputs.items():
        if node_id in model.foundations and inputs != [INPUT]:
            return []
        if node_id not in model.foundations and INPUT in inputs:
            return []
    return fids


def feature_key(block: GraphModule, fingerprint: str, mean: Any, std: Any, dtype: str, bf16: bool = False) -> str:
    doc = {"weights": state_sha256(block), "network": block.spec.model_dump(mode="json"),
           "data": fingerprint, "mean": np.asarray(mean, dtype=np.float64).tolist(),
           "std": np.asarray(std, dtype=np.float64).tolist(), "dtype": dtype}
    if bf16:
        doc["compute"] = "bfloat16-autocast"     # absent for float32, so float32 keys stay as they were
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


class FeatureCache:
    """LRU of computed features (bounded by bytes), optionally backed by `cache_dir/<key>.npy`."""

    def __init__(self, cache_dir: str | Path | None = None, max_bytes: int = 4 << 30, dtype: str = "auto"):
        if dtype not in ("auto", "float16", "float32"):
            raise ValueError(f"feature cache dtype: expected auto, float16 or float32, found {dtype!r}")
        self.dir = Path(cache_dir) if cache_dir else None
        self.max_bytes, self.dtype = max_bytes, dtype
        self._lru: OrderedDict[str, Any] = OrderedDict()
        self.hits = self.misses = 0

    def _store_dtype(self, n: int, out_shape: tuple[int, ...], computed: torch.dtype) -> torch.dtype:
        if self.dtype != "auto":
            return getattr(torch, self.dtype)
        if computed == torch.bfloat16:
            return torch.bfloat16            # what bfloat16 autocast computed: kept exactly, in half the memory
        return torch.float16 if 4 * n * int(np.prod(out_shape)) > HALF_OVER else torch.float32

    def features(self, block: GraphModule, x: torch.Tensor, fingerprint: str, mean: Any, std: Any,
                 bf16: bool = False, should_stop: Callable[[], bool] | None = None) -> Any:
        """Outputs of `block` (eval mode, no grad; under bfloat16 autocast when `bf16`, as training's forward
        pass would compute them) for the normalized inputs `x`: a tensor or a read-only memmap."""
        with torch.no_grad(), autocast(x.device, bf16):
            probe = block.eval()(x[:1])
        shape = tuple(probe.shape[1:])
        dtype = self._store_dtype(len(x), shape, probe.dtype)
        key = feature_key(block, fingerprint, mean, std, str(dtype).removeprefix("torch."), bf16)
        if key in self._lru:
            self.hits += 1
            self._lru.move_to_end(key)
            return self._lru[key]
        value = self._from_disk(key, len(x), shape, dtype)
        if value is None:
            self.misses += 1
            value = compute_features(block, x, dtype, bf16, should_stop)
            self._to_disk(key, value)
        else:
            self.hits += 1
        self._remember(key, value)
        return value

    def _remember(self, key: str, value: Any) -> None:
        self._lru[key] = value
        while len(self._lru) > 1 and sum(_nbytes(v) for v in self._lru.values()) > self.max_bytes:
            self._lru.popitem(last=False)

    def _from_disk(self, key: str, n: int, shape: tuple[int, ...], dtype: torch.dtype) -> Any:
        if self.dir is None or not (self.dir / f"{key}.npy").exists():
            return None
        path = self.dir / f"{key}.npy"
        try:
            big = path.stat().st_size > MMAP_OVER
            arr = np.load(path, mmap_mode="r" if big else None, allow_pickle=False)
        except (OSError, ValueError):
            return None          # unreadable: recompute and overwrite
        if arr.shape != (n, *shape) or arr.dtype != _numpy_dtype(dtype):
            return None
        return arr if big else _from_numpy(arr)

    def _to_disk(self, key: str, value: torch.Tensor) -> None:
        if self.dir is None:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.dir / f".{key}.{os.getpid()}.npy"
        value = value.cpu()
        np.save(tmp, (value.view(torch.uint16) if value.dtype == torch.bfloat16 else value).numpy(), allow_pickle=False)
        os.replace(tmp, self.dir / f"{key}.npy")


def _from_numpy(arr: np.ndarray) -> torch.Tensor:
    rows = torch.from_numpy(arr)
    return rows.view(torch.bfloat16) if rows.dtype == torch.uint16 else rows


def _numpy_dtype(dtype: torch.dtype) -> np.dtype:
    """numpy has no bfloat16: such features are stored (and memory-mapped) as their raw 16-bit patterns."""
    return np.dtype(np.uint16) if dtype == torch.bfloat16 else np.dtype(str(dtype).removeprefix("torch."))


def _nbytes(v: Any) -> int:
    return 0 if isinstance(v, np.memmap) else (v.nbytes if isinstance(v, np.ndarray) else v.numel() * v.element_size())


def compute_features(block: GraphModule, x: torch.Tensor, dtype: torch.dtype, bf16: bool = False,
                     should_stop: Callable[[], bool] | None = None) -> torch.Tensor:
    """All outputs of `block` for `x`, written batch by batch into one preallocated tensor (no second copy).
    Raises Cancelled between batches when `should_stop` says so (nothing is cached then)."""
    block.eval()
    with torch.no_grad(), autocast(x.device, bf16):
        first = block(x[:FEATURE_BATCH])
        out = torch.empty((len(x), *first.shape[1:]), dtype=dtype)
        out[:len(first)] = first.to(dtype).cpu()
        for i in range(FEATURE_BATCH, len(x), FEATURE_BATCH):
            check(should_stop)
            out[i:i + FEATURE_BATCH] = block(x[i:i + FEATURE_BATCH]).to(dtype).cpu()
    return out


def to_tensor(features: Any) -> torch.Tensor:
    """A whole feature store (tensor or memmap) as one tensor in memory."""
    return features if isinstance(features, torch.Tensor) else _from_numpy(np.array(features))


def as_input(rows: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Stored features as the head receives them: bfloat16 as autocast computed them, anything else as float32."""
    return rows.to(device=device, dtype=torch.bfloat16 if rows.dtype == torch.bfloat16 else torch.float32,
                   non_blocking=True)


def take(features: Any, idx: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Rows `idx` of a feature store on `device` (engine.features.as_input)."""
    if isinstance(features, np.ndarray):
        rows = _from_numpy(np.ascontiguousarray(features[idx.cpu().numpy()]))
    else:
        rows = features.index_select(0, idx.to(features.device))   # 2.5-5x faster than features[idx] on the CPU
    return as_input(rows, device)


_DEFAULT: FeatureCache | None = None


def default_cache() -> FeatureCache:
    """The process-wide in-memory cache (no disk)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = FeatureCache()
    return _DEFAULT
