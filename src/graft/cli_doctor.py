"""`graft doctor`: this machine, and what graft's `auto` settings chose on it and why.

Registered on the main Typer app (imported at the end of graft.cli).
"""
from __future__ import annotations

import typer

from .cli import JsonOpt, app, emit


@app.command()
def doctor(recalibrate: bool = typer.Option(False, "--recalibrate", help="Measure again instead of using the "
                                            "cached calibration."),
           as_json: bool = JsonOpt):
    """Print the machine, each automatic choice (precision, memory layout, device) and the measurements behind it."""
    from .ops.doctor import machine_report

    cal = report = machine_report(recalibrate)
    m = report["machine"]
    lines = [f"machine   {m['cpu']}, {m['cores']} cores ({m['threads']} threads), torch {m['torch']}, "
             f"python {m['python']}, CUDA {'yes' if m['cuda'] else 'no'}, native bfloat16 "
             f"{'yes' if m['cpu_bf16'] else 'no'}",
             f"device    auto -> {report['device']}",
             f"precision auto -> {cal['cpu_choice']['precision']} on the CPU"
             f"{' (CUDA: bf16)' if m['cuda'] else ''}",
             f"layout    auto -> {'channels-last' if cal['cpu_choice']['channels_last'] else 'contiguous'} "
             "for convolutional networks",
             f"why       {cal['why']}",
             f"measured  {cal['calibration_s']} s at {cal['calibrated']} "
             f"({'cached' if cal['cached'] else 'just now'}; {report['cache_file']})",
             "candidate            step ms  speed vs fp32  losses agree"]
    for name, row in cal["candidates"].items():
        lines.append(f"  {name:<18} {row['step_ms']:>7}  {row['speedup_vs_fp32']:>12.2f}x  {row['loss_agrees']}")
    emit(report, as_json, "\n".join(lines))
