"""Mixed precision: bfloat16 autocast where it measured faster.

`precision: auto` (the default) uses bfloat16 autocast on CUDA, and on a CPU where this machine's calibration
(engine.calibrate: a few timed training steps per candidate, cached per machine) found it faster than float32
with the same losses; elsewhere float32. Weights, optimizer state and losses stay float32 (autocast changes
only what the listed ops compute in), so no loss scaling is needed. `fp32` turns it off, `bf16` forces it.
"""
from __future__ import annotations

import contextlib

import torch

from .calibrate import calibration

PRECISIONS = ("auto", "bf16", "fp32")


def bf16_matmul_fast(device: torch.device) -> bool:
    """bfloat16 matrix products run natively: CUDA, or a CPU oneDNN supports them on (AVX512-BF16 or AMX)."""
    return device.type == "cuda" or (device.type == "cpu" and bool(torch.ops.mkldnn._is_mkldnn_bf16_supported()))


def uses_bf16(device: torch.device, precision: str) -> bool:
    """Whether training runs under bfloat16 autocast; `auto` on a CPU follows the machine's calibration."""
    if precision not in PRECISIONS:
        raise ValueError(f"hparams.precision: expected one of {', '.join(PRECISIONS)}, found {precision!r}")
    if precision == "fp32":
        return False
    if precision == "bf16" or device.type == "cuda":
        return True
    return bf16_matmul_fast(device) and calibration()["choice"]["precision"] == "bf16"


def prefers_channels_last(device: torch.device) -> bool:
    """Whether convolutional networks run channels-last here (CUDA: yes; a CPU: as calibrated)."""
    return device.type != "cpu" or bool(calibration()["choice"]["channels_last"])


def chosen_settings(device: torch.device, precision: str, bf16: bool, channels_last: bool) -> dict:
    """What a run recorded about its numerics: what ran, and whether a setting or the calibration chose it."""
    out = {"bf16": bf16, "channels_last": channels_last, "asked": precision}
    if precision == "auto" and device.type == "cpu":
        cal = calibration()
        out.update(by="calibration", why=cal["why"], machine=cal.get("machine", ""),
                   step_ms={name: row["step_ms"] for name, row in cal["candidates"].items()})
    else:
        out["by"] = "setting" if precision != "auto" else f"auto on {device.type}"
    return out


def autocast(device: torch.device, bf16: bool):
    """A context that runs the forward pass in bfloat16 when `bf16` (uses_bf16, decided once per run)."""
    if not bf16:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
