"""`graft doctor`: this machine, and what graft's `auto` settings chose on it and why.

Registered on the main Typer app (imported at the end of graft.cli).
"""
from __future__ import annotations

import os
import platform

import typer

from .cli import JsonOpt, app, emit


@app.command()
def doctor(recalibrate: bool = typer.Option(False, "--recalibrate", help="Measure again instead of using the "
                                            "cached calibration."),
           as_json: bool = JsonOpt):
    """Print the machine, each automatic choice (precision, memory layout, device) and the measurements behind it."""
    import torch

    from .engine import calibrate

    cal = calibrate.recalibrate() if recalibrate else calibrate.calibration()
    report = {
        "machine": {"cpu": calibrate.cpu_name(), "cores": os.cpu_count(), "threads": torch.get_num_threads(),
                    "python": platform.python_version(), "torch": torch.__version__,
                    "cuda": torch.cuda.is_available(),
                    "cpu_bf16": bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())},
        "device": "cuda" if torch.cuda.is_available() else "cpu",
        "cpu_choice": cal["choice"], "why": cal["why"], "candidates": cal["candidates"],
        "calibration_s": cal["calibration_s"], "calibrated": cal["when"], "cached": cal["cached"],
        "cache_file": str(calibrate._cache_file()),
    }
    m = report["machine"]
    lines = [f"machine   {m['cpu']}, {m['cores']} cores ({m['threads']} threads), torch {m['torch']}, "
             f"python {m['python']}, CUDA {'yes' if m['cuda'] else 'no'}, native bfloat16 "
             f"{'yes' if m['cpu_bf16'] else 'no'}",
             f"device    auto -> {report['device']}",
             f"precision auto -> {cal['choice']['precision']} on the CPU"
             f"{' (CUDA: bf16)' if m['cuda'] else ''}",
             f"layout    auto -> {'channels-last' if cal['choice']['channels_last'] else 'contiguous'} "
             "for convolutional networks",
             f"why       {cal['why']}",
             f"measured  {cal['calibration_s']} s at {cal['when']} "
             f"({'cached' if cal['cached'] else 'just now'}; {report['cache_file']})",
             "candidate            step ms  speed vs fp32  losses agree"]
    for name, row in cal["candidates"].items():
        lines.append(f"  {name:<18} {row['step_ms']:>7}  {row['speedup_vs_fp32']:>12.2f}x  {row['loss_agrees']}")
    emit(report, as_json, "\n".join(lines))
