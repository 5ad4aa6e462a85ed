"""Weights I/O: safetensors files validated before they are trusted, foreign .pt state dicts, block hashes.

A safetensors file is `u64 little-endian header length | JSON header | data`. `load_weights` checks the raw
header itself (sizes, dtypes, offsets tiling the data area exactly) before safetensors sees the bytes, so a
hostile or truncated file yields a `WeightsError` naming the file and the problem, never a crash or a huge
allocation.
"""
from __future__ import annotations

import hashlib
import json
import math
import pickle
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load as _st_load
from safetensors.torch import save as _st_save

MAX_HEADER_BYTES = 100 * 1024 * 1024

# safetensors dtype name -> bytes per element (only dtypes torch can hold)
DTYPE_SIZES: dict[str, int] = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1,
    "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
    "I32": 4, "U32": 4, "F32": 4,
    "I64": 8, "U64": 8, "F64": 8,
}

# prefixes that wrappers (DataParallel, Lightning modules, torch.compile) put in front of state-dict keys
STRIP_PREFIXES = ("module.", "model.", "module.model.", "model.module.", "_orig_mod.")


class WeightsError(ValueError):
    """A weights file that cannot be used: names the file and says what is wrong with it."""

    def __init__(self, file: str | Path, problem: str):
        self.file, self.problem = str(file), problem
        super().__init__(f"{self.file}: {problem}")


# ---------------------------------------------------------------- safetensors

def weights_bytes(state: Mapping[str, torch.Tensor]) -> bytes:
    """The safetensors bytes of a state dict (tensors copied to CPU, contiguous, storage not shared)."""
    return _st_save({k: v.detach().to("cpu").contiguous().clone() for k, v in state.items()})


def save_weights(path: str | Path, state: Mapping[str, torch.Tensor]) -> Path:
    path = Path(path)
    path.write_bytes(weights_bytes(state))
    return path


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise WeightsError("", f"the header names {key!r} twice")
        out[key] = value
    return out


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _is_uint(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def validate_safetensors(data: bytes, file: str | Path = "<bytes>") -> dict[str, Any]:
    """Check a safetensors file's raw bytes; return its tensor entries (header minus __metadata__)."""
    size = len(data)
    if size < 8:
        raise WeightsError(file, f"too short for a safetensors file ({size} bytes, the header length alone is 8)")
    (n,) = struct.unpack("<Q", data[:8])
    if n > MAX_HEADER_BYTES:
        raise WeightsError(file, f"header length {n} bytes exceeds the limit of {MAX_HEADER_BYTES} bytes")
    if 8 + n > size:
        raise WeightsError(file, f"header length {n} bytes is longer than the file ({size} bytes)")
    try:
        text = data[8:8 + n].decode("utf-8")
        header = json.loads(text, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant)
    except WeightsError as e:
        raise WeightsError(file, e.problem) from None
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise WeightsError(file, f"header is not valid UTF-8 JSON ({e})") from None
    if not isinstance(header, dict):
        raise WeightsError(file, f"header must be a JSON object, found {type(header).__name__}")
    meta = header.pop("__metadata__", {})
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise WeightsError(file, "__metadata__ must be an object of strings")

    data_size = size - 8 - n
    spans: list[tuple[int, int, str]] = []
    for name, entry in header.items():
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
            raise WeightsError(file, f"tensor {name!r}: entry must have exactly dtype, shape and data_offsets, "
                                     f"found {entry!r:.200}")
        dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        if dtype not in DTYPE_SIZES:
            raise WeightsError(file, f"tensor {name!r}: unknown dtype {dtype!r} "
                                     f"(expected one of {', '.join(DTYPE_SIZES)})")
        if not isinstance(shape, list) or not all(_is_uint(d) for d in shape):
            raise WeightsError(file, f"tensor {name!r}: shape must be a list of non-negative integers, "
                                     f"found {shape!r:.200}")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(_is_uint(o) for o in offsets)):
            raise WeightsError(file, f"tensor {name!r}: data_offsets must be two non-negative integers, "
                                     f"found {offsets!r:.200}")
        begin, end = offsets
        if begin > end or end > data_size:
            raise WeightsError(file, f"tensor {name!r}: data_offsets [{begin}, {end}] lie outside the data area "
                                     f"(0 to {data_size} bytes)")
        expected = math.prod(shape) * DTYPE_SIZES[dtype]
        if end - begin != expected:
            raise WeightsError(file, f"tensor {name!r}: shape {shape} of {dtype} needs {expected} bytes, "
                                     f"data_offsets span {end - begin}")
        spans.append((begin, end, name))

    position, previous = 0, None
    for begin, end, name in sorted(spans):
        if begin < position:
            raise WeightsError(file, f"tensor {name!r} overlaps tensor {previous!r} (starts at byte {begin}, "
                                     f"{previous!r} ends at byte {position})")
        if begin > position:
            raise WeightsError(file, f"gap of {begin - position} bytes before tensor {name!r} (at byte {position})")
        position, previous = end, name
    if position != data_size:
        raise WeightsError(file, f"{data_size - position} trailing bytes after the last tensor")
    return header


def load_weights(path: str | Path) -> dict[str, torch.Tensor]:
    """Load a safetensors file after validating its raw header (see `validate_safetensors`)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise WeightsError(path, f"cannot read the file ({e.strerror or e})") from None
    validate_safetensors(data, path)
    try:
        return dict(_st_load(data))
    except Exception as e:  # safetensors' own checks, kept as a second line of defence
        raise WeightsError(path, f"safetensors refused the file: {e}") from None


save, load = save_weights, load_weights


def check_finite(state: Mapping[str, torch.Tensor]) -> list[str]:
    """Names of the floating-point tensors that hold NaN or infinity."""
    return [k for k, t in state.items()
            if (t.is_floating_point() or t.is_complex()) and not bool(torch.isfinite(t).all())]


# ---------------------------------------------------------------- foreign PyTorch files

def load_torch_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """A plain state dict from a .pt/.pth file; never runs pickled code (torch's weights-only unpickler)."""
    path = Path(path)
    try:
        obj = torch.load(path, weights_only=True, map_location="cpu")
    except pickle.UnpicklingError as e:
        # torch's weights-only unpickler names the global (class or function) it refused to import
        if "global" in str(e).lower():
            raise WeightsError(path, "refused: the file needs arbitrary unpickling (a pickle payload); "
                                     "only plain state dicts are accepted") from None
        raise WeightsError(path, "not a readable PyTorch file (the weights-only unpickler stopped on it)") from None
    except OSError as e:
        raise WeightsError(path, f"cannot read the file ({e.strerror or e})") from None
    except Exception as e:  # corrupt zip, truncated stream, ...
        raise WeightsError(path, f"not a readable PyTorch file ({type(e).__name__}: {e})") from None
    for wrapper in ("state_dict", "model"):
        if isinstance(obj, Mapping) and isinstance(obj.get(wrapper), Mapping):
            obj = obj[wrapper]
    if not isinstance(obj, Mapping):
        raise WeightsError(path, f"expected a state dict (names to tensors), found {type(obj).__name__}")
    bad = [str(k) for k, v in obj.items() if not isinstance(k, str) or not isinstance(v, torch.Tensor)]
    if bad:
        raise WeightsError(path, f"expected a state dict (names to tensors); not tensors: {', '.join(bad[:5])}"
                                 + (f" and {len(bad) - 5} more" if len(bad) > 5 else ""))
    return dict(obj)


# ---------------------------------------------------------------- hashes

def _as_state(model_or_state: Any) -> Mapping[str, torch.Tensor]:
    return model_or_state.state_dict() if hasattr(model_or_state, "state_dict") else model_or_state


def state_sha256(model_or_state: Any) -> str:
    """sha256 of the safetensors bytes of the whole state, keys sorted."""
    state = _as_state(model_or_state)
    return hashlib.sha256(weights_bytes(dict(sorted(state.items())))).hexdigest()


# ---------------------------------------------------------------- matching a foreign state to a network

def _strip(key: str, prefix: str) -> str:
    return key[len(prefix):] if prefix and key.startswith(prefix) else key


def match_state_dict(target_shapes: Mapping[str, tuple[int, ...]],
                     source: Mapping[str, torch.Tensor]) -> dict[str, Any]:
    """Compare a source state dict with a network's expected {key: shape}; JSON-able report.

    Tries the wrapper prefixes in STRIP_PREFIXES and keeps the one that matches the most names.
    `matched` lists target keys whose shapes agree; `unexpected` lists source keys (as found) with no target.
    """
    best_prefix = max(("",) + STRIP_PREFIXES,
                      key=lambda p: sum(_strip(k, p) in target_shapes for k in source))
    matched, mismatched, unexpected, seen = [], [], [], set()
    for key, tensor in source.items():
        name = _strip(key, best_prefix)
        if name not in target_shapes:
            unexpected.append(key)
            continue
        seen.add(name)
        expected, found = list(target_shapes[name]), list(tensor.shape)
        if expected == found:
            matched.append(name)
        else:
            mismatched.append({"key": name, "expected": expected, "found": found})
    missing = [k for k in target_shapes if k not in seen]
    return {"matched": sorted(matched), "missing": sorted(missing), "unexpected": sorted(unexpected),
            "mismatched": sorted(mismatched, key=lambda m: m["key"]), "stripped_prefix": best_prefix}


def matched_state(source: Mapping[str, torch.Tensor], report: Mapping[str, Any]) -> dict[str, torch.Tensor]:
    """The tensors of `source` that `match_state_dict` matched, keyed by the target's names."""
    prefix, keep = report["stripped_prefix"], set(report["matched"])
    return {_strip(k, prefix): v for k, v in source.items() if _strip(k, prefix) in keep}
