"""What graft's automatic settings chose on this machine, and the measurements behind them (`graft doctor`)."""
from __future__ import annotations

import os
import platform
from typing import Any

import torch

from ..engine import calibrate


def machine_report(recalibrate: bool = False) -> dict[str, Any]:
    cal = calibrate.recalibrate() if recalibrate else calibrate.calibration()
    return {
        "machine": {"cpu": calibrate.cpu_name(), "cores": os.cpu_count(), "threads": torch.get_num_threads(),
                    "python": platform.python_version(), "torch": torch.__version__,
                    "cuda": torch.cuda.is_available(),
                    "cpu_bf16": bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())},
        "device": "cuda" if torch.cuda.is_available() else "cpu",
        "cpu_choice": cal["choice"], "why": cal["why"], "candidates": cal["candidates"],
        "calibration_s": cal["calibration_s"], "calibrated": cal["when"], "cached": cal["cached"],
        "cache_file": str(calibrate.cache_file()),
    }
