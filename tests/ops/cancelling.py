"""Cancel one long operation of each kind at a chosen moment and measure how soon it stops (shared by
test_cancel_everywhere.py, once each, and its stress twin, 20 times each under load).

The moment is "after the work has checked its token n times" (n drawn from the round's seed), or for DDP "once
rank 0 has recorded progress": a condition another thread waits on, never a sleep racing the work.
"""
from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from graft.ops.cancel import Cancelled, CancelToken
from graft.store import Workspace

STOP_WITHIN_S = 2.0
WAIT_S = 300         # bound on waiting for the moment to come (a loaded machine is slow, never this slow)


class CancelAfter(CancelToken):
    """A token that counts the work's checks. At the n-th it sets `reached` and holds the work there until the
    other thread has called cancel(), then answers "not yet": the cancel arrives just after a check, the worst
    moment, and the next check must see it. Holding the work makes the moment deterministic: without it, a
    loaded machine could let the work run past its last check before the canceller thread was scheduled."""

    def __init__(self, n: int):
        super().__init__()
        self.n, self.checks, self.reached = n, 0, threading.Event()
        self._cancel_called = threading.Event()

    def cancel(self, *args, **kwargs):
        result = super().cancel(*args, **kwargs)
        self._cancel_called.set()
        return result

    def is_set(self) -> bool:
        self.checks += 1
        if self.checks == self.n:
            self.reached.set()
            self._cancel_called.wait(WAIT_S)
            return False
        return super().is_set()

    __call__ = is_set


def cancel_when(token: CancelToken, ready: threading.Event, work) -> float:
    """Run `work()`; once `ready` is set, another thread cancels `token`. Returns seconds from cancel() to the
    Cancelled the work raised (failing if it finished instead)."""
    cancelled_at: list[float] = []

    def canceller():
        if ready.wait(WAIT_S):
            cancelled_at.append(time.monotonic())
            token.cancel()

    t = threading.Thread(target=canceller, daemon=True)
    t.start()
    try:
        with pytest.raises(Cancelled):
            work()
        raised = time.monotonic()
    finally:
        ready.set()     # release the canceller if the work ended first
        t.join(WAIT_S)
    assert cancelled_at, "the moment to cancel never came"
    return raised - cancelled_at[0]


def propagation(tmp_path: Path, seed: int) -> float:
    from graft.engine.propagate import pseudo_labels

    g = torch.Generator().manual_seed(seed)
    labelled, unlabelled = torch.randn(300, 32, generator=g), torch.randn(6000, 32, generator=g)
    labels = torch.arange(300) % 10
    # 7 checks in the k-NN graph (1024-row blocks), then one per iteration
    token = CancelAfter(random.Random(seed).randint(1, 40))
    return cancel_when(token, token.reached, lambda: pseudo_labels(
        labelled, labels, unlabelled, 10, {"iterations": 60}, should_stop=token))


def model_import(tmp_path: Path, seed: int) -> float:
    from graft.ops.faces import import_model

    ws = Workspace(tmp_path / f"ws-{seed}")
    layers = []
    for _ in range(40):
        layers += [torch.nn.Linear(16, 16), torch.nn.ReLU()]
    module = torch.nn.Sequential(torch.nn.Flatten(), *layers)
    token = CancelAfter(random.Random(seed).randint(1, 80))    # one check per node of the exported graph
    took = cancel_when(token, token.reached, lambda: import_model(ws, module, "deep", input_shape=(1, 4, 4),
                                                                   should_stop=token))
    assert ws.list_models() == []
    return took


def image_folder(root: Path, per_class: int = 40) -> Path:
    rng = np.random.default_rng(0)
    for c in ("cat", "dog"):
        (root / c).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            Image.fromarray(rng.integers(0, 255, (12, 12), dtype=np.uint8)).save(root / c / f"{i}.png")
    return root


def dataset_import(tmp_path: Path, seed: int) -> float:
    from graft.ops.datasets import import_dataset

    folder = tmp_path / "images"
    if not folder.exists():
        image_folder(folder)
    ws = Workspace(tmp_path / f"ws-{seed}")
    before = ws.list_datasets()
    token = CancelAfter(random.Random(seed).randint(1, 80))    # one check per image file
    took = cancel_when(token, token.reached, lambda: import_dataset(ws, folder, "pets", should_stop=token))
    assert ws.list_datasets() == before
    return took


def ddp_training(tmp_path: Path, seed: int, network: dict) -> float:
    from graft.ops import train_model

    ws = Workspace(tmp_path / f"ws-{seed}")
    token, ready = CancelToken(), threading.Event()
    steps = random.Random(seed).randint(1, 20)

    def watch():     # the moment: rank 0 has recorded progress past `steps` steps
        deadline = time.monotonic() + WAIT_S
        while not ready.is_set() and time.monotonic() < deadline:
            runs = ws.list_runs()
            progress = runs[0]["progress"] if runs else None
            if isinstance(progress, dict) and (progress.get("epoch", 0) > 1 or progress.get("step", 0) >= steps):
                ready.set()
            time.sleep(0.05)
    threading.Thread(target=watch, daemon=True).start()
    hp = {"epochs": 20, "batch_size": 32, "lr": 0.003, "seed": 0}
    took = cancel_when(token, ready, lambda: train_model(
        ws, network, {"dataset": "mnist", "transforms": [{"limit": 1000}]}, hp, name="ddp", nproc=2,
        should_stop=token))
    (run,) = ws.list_runs()
    assert run["status"] == "cancelled" and ws.list_models() == []
    return took
