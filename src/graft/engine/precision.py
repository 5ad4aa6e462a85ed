"""Mixed precision: where the hardware multiplies bfloat16 natively, matrix products run in it.

`precision: auto` (the default) uses bfloat16 autocast on CUDA and on CPUs with AMX (Intel Sapphire Rapids and
later), where oneDNN's bfloat16 convolutions and matrix products ran 1.7-2x faster than float32 in
`make bench`; elsewhere float32. Weights, optimizer state and losses stay float32 (autocast changes only what
the listed ops compute in), so no loss scaling is needed. `fp32` turns it off, `bf16` forces it.
"""
from __future__ import annotations

import contextlib
from functools import lru_cache

import torch

PRECISIONS = ("auto", "bf16", "fp32")


@lru_cache(maxsize=1)
def cpu_has_amx() -> bool:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return "amx_bf16" in line.split()
    except OSError:
        pass
    return False


def bf16_matmul_fast(device: torch.device) -> bool:
    """bfloat16 matrix products run natively: CUDA, or a CPU oneDNN supports them on (AVX512-BF16 or AMX)."""
    return device.type == "cuda" or (device.type == "cpu" and bool(torch.ops.mkldnn._is_mkldnn_bf16_supported()))


def uses_bf16(device: torch.device, precision: str) -> bool:
    """Whether training runs under bfloat16 autocast; `auto` asks for AMX on a CPU, where whole training
    steps measured faster (convolutions included), not only matrix products."""
    if precision not in PRECISIONS:
        raise ValueError(f"hparams.precision: expected one of {', '.join(PRECISIONS)}, found {precision!r}")
    if precision == "fp32":
        return False
    if precision == "bf16" or device.type == "cuda":
        return True
    return bf16_matmul_fast(device) and cpu_has_amx()


def autocast(device: torch.device, bf16: bool):
    """A context that runs the forward pass in bfloat16 when `bf16` (uses_bf16, decided once per run)."""
    if not bf16:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
