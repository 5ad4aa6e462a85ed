"""One CPU change at a time on the example CNN's training step (batch 128), alternating, in one process:
`python -m bench.cpu_tuning [--malloc]`. Prints ms per step (median of rounds) per variant.

--malloc compares glibc's default allocator settings with no-trim/high-mmap-threshold ones (tune_allocator),
each in its own fresh process, since allocator settings cannot be undone inside one.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from graft.data.dataset import load_dataset
from graft.engine.compile import compile_network
from graft.spec.templates import get_template

STEPS, BATCH, ROUNDS = 12, 128, 3


def _setup(channels_last=True, optimizer="foreach"):
    torch.manual_seed(0)
    model = compile_network(get_template("example-cnn")).train()
    if channels_last:
        model.to(memory_format=torch.channels_last)
    kw = {"foreach": {"foreach": True}, "fused": {"fused": True}, "plain": {"foreach": False}}[optimizer]
    return model, torch.optim.Adam(model.parameters(), lr=1e-3, **kw)


def _steps(model, opt, images, labels, *, uint8=False, item=False, channels_last=True) -> float:
    n = len(labels)
    if uint8:
        x_u8 = torch.from_numpy(images.copy())
    else:
        x = torch.from_numpy(images.astype(np.float32) / 255.0).sub_(0.1307).div_(0.3081)
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
    y = torch.from_numpy(labels)
    perm = torch.randperm(n)
    t0 = time.perf_counter()
    for s in range(STEPS):
        idx = perm[(s * BATCH) % n:(s * BATCH) % n + BATCH]
        xb = x_u8[idx].float().div_(255.0).sub_(0.1307).div_(0.3081) if uint8 else x[idx]
        loss = F.cross_entropy(model(xb), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if item:
            loss.item()
    return 1000 * (time.perf_counter() - t0) / STEPS


VARIANTS = {
    "graft (channels_last, foreach Adam, float32 once, no .item())": ({}, {}),
    "contiguous NCHW instead of channels_last": ({"channels_last": False}, {"channels_last": False}),
    "fused Adam": ({"optimizer": "fused"}, {}),
    "for-loop Adam": ({"optimizer": "plain"}, {}),
    "uint8 normalized per batch": ({}, {"uint8": True}),
    "loss.item() every step": ({}, {"item": True}),
}


def variants(only_graft: bool = False) -> dict[str, float]:
    ds = load_dataset({"dataset": "mnist", "transforms": [{"limit": STEPS * BATCH}]}, "train")
    images, labels = ds.images, ds.labels.astype(np.int64)
    times: dict[str, list[float]] = {k: [] for k in VARIANTS}
    threads = torch.get_num_threads()
    runs = dict(list(VARIANTS.items())[:1]) if only_graft else dict(VARIANTS)
    times = {k: times[k] for k in runs}
    if threads > 1 and not only_graft:
        runs[f"1 thread instead of {threads}"] = ({}, {})
        times[f"1 thread instead of {threads}"] = []
    for name, (setup_kw, step_kw) in runs.items():     # warm-up
        _steps(*_setup(**setup_kw), images, labels, **step_kw)
    for _ in range(ROUNDS):
        for name, (setup_kw, step_kw) in runs.items():
            if name.startswith("1 thread"):
                torch.set_num_threads(1)
            try:
                times[name].append(_steps(*_setup(**setup_kw), images, labels, **step_kw))
            except RuntimeError as err:  # e.g. fused Adam unsupported on this device
                times[name].append(float("nan"))
                print(f"{name}: {err}", file=sys.stderr)
            finally:
                torch.set_num_threads(threads)
    return {k: round(statistics.median(v), 1) for k, v in times.items()}


def tune_allocator() -> bool:
    """glibc: keep freed memory (no trim) and serve big tensors from the heap, not fresh mmaps (page faults)."""
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    # 32 MiB is the largest mmap threshold glibc accepts; mallopt takes a C int
    return bool(libc.mallopt(M_MMAP_THRESHOLD, 32 << 20) and libc.mallopt(M_TRIM_THRESHOLD, (1 << 31) - 1))


def malloc_pair(rounds: int = 3) -> dict[str, float]:
    code = ("import json, sys; from bench import cpu_tuning as c; "
            "c.tune_allocator() if sys.argv[1] == '1' else None; "
            "print(json.dumps(c.variants(only_graft=True)))")
    out: dict[str, list[float]] = {"glibc default": [], "glibc no-trim, mmap threshold 32 MiB": []}
    for _ in range(rounds):
        for flag, name in (("0", "glibc default"), ("1", "glibc no-trim, mmap threshold 32 MiB")):
            proc = subprocess.run([sys.executable, "-c", code, flag], capture_output=True, text=True, check=True,
                                  env=os.environ)
            first = next(iter(json.loads(proc.stdout.strip().splitlines()[-1]).values()))
            out[name].append(first)
    return {k: round(statistics.median(v), 1) for k, v in out.items()}


if __name__ == "__main__":
    print(f"load average {os.getloadavg()[0]:.2f}; torch threads {torch.get_num_threads()}; ms per step:")
    result = malloc_pair() if "--malloc" in sys.argv else variants()
    for name, ms in result.items():
        print(f"  {ms:8.1f}  {name}")
