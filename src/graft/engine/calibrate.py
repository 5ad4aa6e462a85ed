"""`precision: auto` by measurement: time a few training steps in each candidate setting, keep the fastest
whose losses agree with float32, and remember the choice per machine.

A vendor flag is a poor guide: on an AMD Zen 4 CPU without AMX, bfloat16 autocast trained example-cnn 1.8x
faster than float32 while the old rule (bfloat16 only with AMX) picked float32. So the first `auto` run on a
machine times example-cnn (graft's own modules, batch 64, 28x28) for a handful of Adam steps in float32 and
bfloat16, each channels-last and contiguous, from the same weights on the same batches, and checks that each
candidate's losses stay within LOSS_TOLERANCE of float32's in the same memory layout. A candidate must beat float32 channels-last by
MARGIN to be chosen, so a near tie on a noisy machine stays on the exact path. The choice is cached in
`$GRAFT_CACHE_DIR/calibration.json` under the machine's key (CPU model, core count, torch version): a changed
machine or torch calibrates again; `graft doctor --recalibrate` forces it. The caller's RNG state is untouched.
"""
from __future__ import annotations

import json
import os
import platform
import statistics
import time
from contextlib import nullcontext
from functools import lru_cache
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from ..spec.templates import get_template

FILE = "calibration.json"
CANDIDATES = (("fp32", True), ("bf16", True), ("fp32", False), ("bf16", False))   # (precision, channels-last)
WARMUP, TIMED, BATCH = 1, 4, 64
MARGIN = 1.1              # a candidate must be this much faster than float32 channels-last
LAYOUT_MARGIN = 1.1       # contiguous must beat channels-last by this much (channels-last measured faster in
                          # make bench; a near tie measured on a busy machine must not switch it off for good)
LOSS_TOLERANCE = 0.05     # relative difference of the mean loss over the timed steps


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_key() -> str:
    return f"{cpu_name()} | {os.cpu_count()} cores | {torch.get_num_threads()} threads | torch {torch.__version__}"


def cache_file() -> Path:
    """The user's cache folder, as graft's built-in data uses it (data.builtin.CACHE_DIR)."""
    return Path(os.environ.get("GRAFT_CACHE_DIR", Path.home() / ".cache" / "graft")) / FILE


def _read_cache() -> dict[str, Any]:
    try:
        return json.loads(cache_file().read_text())
    except (OSError, ValueError):
        return {}


def _write_cache(key: str, entry: dict[str, Any]) -> None:
    path = cache_file()
    data = _read_cache()
    data[key] = entry
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=1))
        os.replace(tmp, path)
    except OSError:
        pass   # a read-only home still trains; it calibrates again next time


class _Candidate:
    """One setting, its own copy of the weights and optimizer, stepped on the shared batch."""

    def __init__(self, state: dict, x: torch.Tensor, precision: str, channels_last: bool):
        from .compile import compile_network

        self.precision, self.channels_last = precision, channels_last
        self.model = compile_network(get_template("example-cnn"))
        self.model.load_state_dict(state)
        self.x = x
        if channels_last:
            self.model.to(memory_format=torch.channels_last)
            self.x = x.contiguous(memory_format=torch.channels_last)
        self.model.train()
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        self.seconds: list[float] = []
        self.losses: list[float] = []

    def step(self, y: torch.Tensor, step: int, timed: bool) -> None:
        cast = torch.autocast("cpu", dtype=torch.bfloat16) if self.precision == "bf16" else nullcontext()
        torch.manual_seed(step)   # the same dropout masks for every candidate
        t0 = time.perf_counter()
        self.opt.zero_grad(set_to_none=True)
        with cast:
            loss = F.cross_entropy(self.model(self.x), y)
        loss.backward()
        self.opt.step()
        value = float(loss.detach())
        if timed:
            self.seconds.append(time.perf_counter() - t0)
            self.losses.append(value)


def measure() -> dict[str, Any]:
    """Time every candidate now (about 1-2 s on a 2-core CPU) and return the choice with its evidence.

    The candidates take turns step by step, so a load that comes and goes on a shared machine slows them alike.
    """
    import torch._dynamo  # noqa: F401  (torch.optim imports it once per process, ~2 s here: the run's cost, not ours)

    from .compile import compile_network

    t0 = time.perf_counter()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        state = compile_network(get_template("example-cnn")).state_dict()
        x = torch.randn(BATCH, 1, 28, 28)
        y = torch.randint(0, 10, (BATCH,))
        bf16_ok = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
        candidates = [_Candidate(state, x, p, cl) for p, cl in CANDIDATES if p == "fp32" or bf16_ok]
        for step in range(WARMUP + TIMED):
            for c in candidates:
                c.step(y, step, timed=step >= WARMUP)
    rows = {f"{c.precision}{'-channels-last' if c.channels_last else ''}": {
        "precision": c.precision, "channels_last": c.channels_last,
        "step_ms": round(1000 * statistics.median(c.seconds), 2), "mean_loss": round(statistics.fmean(c.losses), 5)}
        for c in candidates}
    best = choose(rows)
    return {"choice": {"precision": rows[best]["precision"], "channels_last": rows[best]["channels_last"]},
            "chosen": best, "candidates": rows, "network": "example-cnn", "batch": BATCH,
            "machine": machine_key(), "calibration_s": round(time.perf_counter() - t0, 2), "when": time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "why": _why(best, rows)}


def choose(rows: dict[str, dict]) -> str:
    """The fastest candidate whose losses agree with float32's and that beats float32 channels-last by MARGIN
    (float32 channels-last otherwise), a contiguous one only if LAYOUT_MARGIN faster than channels-last. Adds
    loss_agrees and speedup_vs_fp32 to each row."""
    reference = rows["fp32-channels-last"]
    for row in rows.values():
        # losses against float32 in the same layout (dropout's mask follows the layout, so layouts differ a little)
        exact = rows["fp32-channels-last" if row["channels_last"] else "fp32"]["mean_loss"]
        row["loss_agrees"] = abs(row["mean_loss"] - exact) <= LOSS_TOLERANCE * abs(exact)
        row["speedup_vs_fp32"] = round(reference["step_ms"] / row["step_ms"], 3)
    eligible = [name for name, row in rows.items() if row["loss_agrees"] and
                (name == "fp32-channels-last" or row["speedup_vs_fp32"] >= MARGIN)]
    return min(eligible, key=lambda name: rows[name]["step_ms"] * (1 if rows[name]["channels_last"] else LAYOUT_MARGIN))


def _why(best: str, rows: dict[str, Any]) -> str:
    ref = rows["fp32-channels-last"]["step_ms"]
    if best == "fp32-channels-last":
        others = [f"{n} {r['speedup_vs_fp32']:.2f}x" + ("" if r["loss_agrees"] else " (losses disagree)")
                  for n, r in rows.items() if n != best]
        return f"float32 channels-last ({ref} ms a step); no candidate was {MARGIN}x faster: " + ", ".join(others)
    return (f"{best} ran a training step in {rows[best]['step_ms']} ms against {ref} ms in float32 channels-last "
            f"({rows[best]['speedup_vs_fp32']:.2f}x) with losses within {int(LOSS_TOLERANCE * 100)} %")


@lru_cache(maxsize=1)
def calibration(recalibrate: bool = False) -> dict[str, Any]:
    """This machine's CPU calibration: from the cache, or measured now and cached."""
    key = machine_key()
    if not recalibrate:
        cached = _read_cache().get(key)
        if cached and "choice" in cached:
            return {**cached, "cached": True}
    entry = measure()
    meanwhile = _read_cache().get(key, {})
    if not recalibrate and "choice" in meanwhile:
        return {**meanwhile, "cached": True}   # another process calibrated meanwhile: one choice per machine
    _write_cache(key, entry)
    return {**entry, "cached": False}


def recalibrate() -> dict[str, Any]:
    calibration.cache_clear()
    entry = calibration(recalibrate=True)
    calibration.cache_clear()
    return entry
