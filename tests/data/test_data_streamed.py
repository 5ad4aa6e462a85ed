"""Larger than memory: an imported set trains and evaluates streamed from its IDX files, and imports streaming.

The memory checks reset this process's peak RSS (/proc/self/clear_refs) and read VmHWM after a pass over a
file several times larger than the growth allowed, so holding the set (or mapping it in) would fail them.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from graft.data import load_dataset
from graft.data.fingerprint import pixel_stats
from graft.engine.compile import compile_network
from graft.engine.data import StreamedImages, file_rows
from graft.engine.evaluate import evaluate
from graft.engine.train import train
from graft.engine.weights import state_sha256
from graft.ops.datasets import import_dataset
from graft.spec.analyze import require_valid
from graft.store.workspace import Workspace

SHAPE = (3, 32, 32)
NET = {"input": {"shape": list(SHAPE)}, "nodes": [
    {"id": "conv", "type": "Conv2d", "params": {"out_channels": 4, "kernel_size": 3}, "inputs": ["input"]},
    {"id": "pool", "type": "MaxPool2d", "params": {"kernel_size": 4}, "inputs": ["conv"]},
    {"id": "flat", "type": "Flatten", "params": {}, "inputs": ["pool"]},
    {"id": "fc", "type": "Linear", "params": {"out_features": 3}, "inputs": ["flat"]}]}


def write_raw_idx(folder: Path, n: int, seed: int = 0) -> tuple[Path, np.ndarray]:
    """train-images-idx4-ubyte and labels, written in chunks; returns (folder, labels)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "train-images-idx4-ubyte", "wb") as fh:
        fh.write(bytes([0, 0, 8, 4]) + b"".join(int(d).to_bytes(4, "big") for d in (n, *SHAPE)))
        for start in range(0, n, 2048):
            fh.write(rng.integers(0, 256, (min(2048, n - start), *SHAPE), dtype=np.uint8).tobytes())
    labels = rng.integers(0, 3, n, dtype=np.uint8)
    (folder / "train-labels-idx1-ubyte").write_bytes(bytes([0, 0, 8, 1]) + n.to_bytes(4, "big") + labels.tobytes())
    return folder, labels


def reset_peak() -> int:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pytest.skip("this system cannot reset the peak RSS (/proc/self/clear_refs)")
    return rss_kib("VmRSS")


def rss_kib(field: str = "VmHWM") -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(field)


@pytest.fixture()
def imported(tmp_path):
    folder, labels = write_raw_idx(tmp_path / "raw", 600)
    ws = Workspace(tmp_path / "ws")
    rec = import_dataset(ws, folder, name="raw", test_fraction=0.25)
    return ws, rec, folder


def test_streamed_training_and_evaluation_equal_the_in_memory_ones(imported):
    ws, rec, _ = imported
    train_ds = load_dataset({"dataset": rec["id"]}, "train", workspace_root=ws.root)
    test_ds = load_dataset({"dataset": rec["id"]}, "test", workspace_root=ws.root)
    assert file_rows(train_ds.images) is not None        # rows are read from the stored file itself
    runs = {}
    for stream in (False, True):
        torch.manual_seed(0)
        model = compile_network(require_valid(NET)[0])
        result = train(model, train_ds, test_ds, {"epochs": 2, "batch_size": 64, "progress": False,
                                                  "stream": stream})
        ev = evaluate(model, test_ds, 50, stream=stream)
        runs[stream] = (state_sha256(model.state_dict()), result.history, ev["preds"].tolist(), ev["accuracy"])
    assert runs[True][0] == runs[False][0]
    assert [{k: v for k, v in row.items() if k != "seconds"} for row in runs[True][1]] == \
        [{k: v for k, v in row.items() if k != "seconds"} for row in runs[False][1]]
    assert runs[True][2:] == runs[False][2:]


def test_a_streamed_pass_holds_a_batch_not_the_set(tmp_path):
    n = 32_000                                        # 98 MB of pixels
    folder, labels = write_raw_idx(tmp_path / "raw", n)
    ws = Workspace(tmp_path / "ws")
    before = reset_peak()
    rec = import_dataset(ws, folder, name="raw", test_fraction=0.1)     # the import copies it a chunk at a time
    ds = load_dataset({"dataset": rec["id"]}, "train", workspace_root=ws.root)
    mean, std = pixel_stats(ds.images)                # reads every pixel
    batches = StreamedImages(ds.images, {"mean": mean, "std": std}, torch.device("cpu"))
    order = np.random.default_rng(1).permutation(len(batches))
    seen = 0
    for start in range(0, len(order), 256):
        seen += len(batches.index_select(0, torch.from_numpy(order[start:start + 256])))
    grown_mb = (rss_kib() - before) / 1024
    assert seen == len(ds) == n - round(n * 0.1)
    assert grown_mb < 40, f"peak RSS grew {grown_mb:.0f} MB over a {n * np.prod(SHAPE) / 1e6:.0f} MB set"


def test_streamed_import_keeps_every_row_once(imported):
    ws, rec, folder = imported
    src = np.fromfile(folder / "train-images-idx4-ubyte", dtype=np.uint8, offset=20).reshape(-1, *SHAPE)
    src_labels = np.fromfile(folder / "train-labels-idx1-ubyte", dtype=np.uint8, offset=8)
    parts = [load_dataset({"dataset": rec["id"]}, s, workspace_root=ws.root) for s in ("train", "test")]
    assert [len(p) for p in parts] == [450, 150]
    joined = np.concatenate([np.asarray(p.images) for p in parts])
    order = np.lexsort(joined.reshape(len(joined), -1)[:, :16].T[::-1])
    expected = np.lexsort(src.reshape(len(src), -1)[:, :16].T[::-1])
    assert np.array_equal(joined[order], src[expected])
    assert np.array_equal(np.concatenate([p.labels for p in parts])[order], src_labels[expected])
