"""Larger than memory: peak RSS while importing and training one epoch on a synthetic set of raw IDX files.

BENCH_STREAM_GB sets the pixels' size (default 4; 0.3 is a quick check). Each phase runs in its own child
process, which reports its own peak RSS (VmHWM), so the figures are the import's and the training's alone.
The in-memory comparison trains the same network on the first BENCH_STREAM_INMEM_GB (default 0.25) of the
same data, loaded as one tensor (stream off), against streaming that same slice from the memory map.

    python -m bench.streamed            # prints the figures as JSON
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

SHAPE = (3, 64, 64)
CLASSES = 10
NETWORK = {"input": {"shape": list(SHAPE)}, "nodes": [
    {"id": "pool", "type": "AvgPool2d", "params": {"kernel_size": 4}, "inputs": ["input"]},
    {"id": "flat", "type": "Flatten", "params": {}, "inputs": ["pool"]},
    {"id": "fc", "type": "Linear", "params": {"out_features": CLASSES}, "inputs": ["flat"]}]}
HPARAMS = {"epochs": 1, "batch_size": 256, "progress": False, "feature_cache": False}


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_synthetic(folder: Path, gigabytes: float) -> int:
    """train-images-idx4-ubyte / train-labels-idx1-ubyte of n random 3x64x64 images, written in chunks."""
    row = int(np.prod(SHAPE))
    n = int(gigabytes * 1e9) // row
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "train-images-idx4-ubyte", "wb") as fh:
        fh.write(bytes([0, 0, 8, 4]) + b"".join(int(d).to_bytes(4, "big") for d in (n, *SHAPE)))
        for start in range(0, n, 4096):
            fh.write(rng.integers(0, 256, (min(4096, n - start), row), dtype=np.uint8).tobytes())
    labels = rng.integers(0, CLASSES, n, dtype=np.uint8)
    (folder / "train-labels-idx1-ubyte").write_bytes(bytes([0, 0, 8, 1]) + n.to_bytes(4, "big") + labels.tobytes())
    return n


def child_import(ws_root: str, folder: str) -> dict:
    from graft.ops.datasets import import_dataset
    from graft.store.workspace import Workspace

    t0 = time.perf_counter()
    rec = import_dataset(Workspace(ws_root), folder, name="synthetic")
    return {"id": rec["id"], "seconds": time.perf_counter() - t0, "peak_rss_mb": peak_rss_mb()}


def child_train(ws_root: str, ds_id: str, limit: int | None, stream: Any) -> dict:
    import torch

    from graft.data import load_dataset
    from graft.engine.compile import compile_network
    from graft.engine.train import train
    from graft.spec.analyze import require_valid

    ref = {"dataset": ds_id, "transforms": [{"limit": limit}] if limit else []}
    ds = load_dataset(ref, "train", workspace_root=ws_root)
    torch.manual_seed(0)
    model = compile_network(require_valid(NETWORK)[0])
    result = train(model, ds, None, {**HPARAMS, "stream": stream})
    return {"samples": len(ds), "epoch_s": result.history[0]["seconds"], "samples_per_s": result.samples_per_s,
            "seconds": result.seconds, "peak_rss_mb": peak_rss_mb()}


def _child(*args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.streamed", *args], capture_output=True, text=True,
                         env=os.environ, check=False)
    if out.returncode:
        raise RuntimeError(f"bench.streamed {args[0]} failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def streamed(gigabytes: float | None = None, inmem_gigabytes: float | None = None) -> dict:
    gigabytes = float(os.environ.get("BENCH_STREAM_GB", "4")) if gigabytes is None else gigabytes
    inmem = float(os.environ.get("BENCH_STREAM_INMEM_GB", "0.25")) if inmem_gigabytes is None else inmem_gigabytes
    with tempfile.TemporaryDirectory(prefix="graft-stream-") as tmp:
        folder, ws = Path(tmp) / "synthetic", Path(tmp) / "ws"
        n = write_synthetic(folder, gigabytes)
        imp = _child("import", str(ws), str(folder))
        (folder / "train-images-idx4-ubyte").unlink()     # the source copy is not needed any more: disk room
        tr = _child("train", str(ws), imp["id"], "0", "auto")
        n_mem = min(n, int(inmem * 1e9) // int(np.prod(SHAPE)))
        mem = _child("train", str(ws), imp["id"], str(n_mem), "false")
        mapped = _child("train", str(ws), imp["id"], str(n_mem), "true")
    return {"stream_gb": round(n * int(np.prod(SHAPE)) / 1e9, 2), "stream_images": n,
            "stream_import_peak_rss_mb": round(imp["peak_rss_mb"]), "stream_import_s": round(imp["seconds"], 1),
            "stream_train_peak_rss_mb": round(tr["peak_rss_mb"]), "stream_train_epoch_s": round(tr["epoch_s"], 1),
            "stream_train_samples_per_s": round(tr["samples_per_s"]),
            "stream_inmem_gb": round(n_mem * int(np.prod(SHAPE)) / 1e9, 2),
            "stream_inmem_samples_per_s": round(mem["samples_per_s"]),
            "stream_inmem_peak_rss_mb": round(mem["peak_rss_mb"]),
            "stream_slice_samples_per_s": round(mapped["samples_per_s"]),
            "stream_vs_inmem": round(mapped["samples_per_s"] / mem["samples_per_s"], 3)}


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "import":
        print(json.dumps(child_import(sys.argv[2], sys.argv[3])))
    elif len(sys.argv) > 1 and sys.argv[1] == "train":
        stream = {"auto": "auto", "true": True, "false": False}[sys.argv[5]]
        print(json.dumps(child_train(sys.argv[2], sys.argv[3], int(sys.argv[4]) or None, stream)))
    else:
        print(json.dumps(streamed(), indent=1))
