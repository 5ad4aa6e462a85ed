"""The one training loop: epochs over a seeded permutation, one optimizer step per batch, a cancel check per batch.

What a batch's loss is belongs to a `Task`: supervised training (engine.train) and the self-supervised
objectives (engine.objectives) plug in here. Per step the order is: cancel check, the task's loss (its forward
pass draws dropout and augmentation), the optimizer step, the scheduler step; the permutation has its own
generator (engine.data.permutation), so the global RNG sees exactly what it saw when each had its own loop.
"""
from __future__ import annotations

import time
from typing import Any, Callable

import torch
from tqdm import tqdm

from .cancel import check
from .data import permutation

REPORTS_PER_SECOND = 4     # on_step cadence: live curves update several times a second, whatever the step time


class Task:
    """A kind of training as the loop sees it; `loss` raises TrainingDiverged before a bad step is taken."""

    n: int                      # samples an epoch permutes
    steps_per_epoch: int
    report_every_step = False   # else on_step runs a few times a second and at an epoch's last step

    def begin_epoch(self) -> None: ...

    def order(self, epoch: int, seed: int, device: torch.device) -> torch.Tensor:
        """The epoch's sample order (a task mixing several data sets has its own)."""
        return permutation(self.n, seed, epoch).to(device)

    def batch(self, order: torch.Tensor, step: int, batch_size: int) -> torch.Tensor:
        return order[step * batch_size:(step + 1) * batch_size]

    def loss(self, idx: torch.Tensor, epoch: int, step: int) -> torch.Tensor:
        raise NotImplementedError

    def tally(self, loss: torch.Tensor, idx: torch.Tensor) -> None: ...

    def step_info(self, step: int, e0: float) -> dict[str, Any]:
        return {}

    def end_epoch(self, epoch: int, e0: float) -> dict[str, Any]:
        """The epoch's row (history entry)."""
        raise NotImplementedError

    def saved(self, epochs_done: int, history: list[dict]) -> None:
        """After the row joins the history, before on_epoch (supervised training checkpoints here)."""


def run_epochs(task: Task, opt: torch.optim.Optimizer, sched: Any, *, epochs: int, seed: int, batch_size: int,
               device: torch.device, history: list[dict], start: int = 0,
               shard: Callable[[torch.Tensor], torch.Tensor] | None = None,
               on_step: Callable[[dict], None] | None = None, on_epoch: Callable[[dict], None] | None = None,
               should_stop: Callable[[], bool] | None = None, progress: bool = False) -> float:
    """Train epochs `start`..`epochs`-1 in place; returns the seconds spent in them. Raises Cancelled."""
    bs, steps, train_s, next_report = batch_size, task.steps_per_epoch, 0.0, 0.0
    # one bar over the whole run that stays on screen (time left for all epochs); callers print epoch rows
    # above it with tqdm.write (graft.cli_progress)
    bar = tqdm(total=steps * max(epochs - start, 0), desc="training", unit="batch", leave=True, dynamic_ncols=True,
               disable=None if progress else True)
    try:
        for epoch in range(start, epochs):
            task.begin_epoch()
            perm = task.order(epoch, seed, device)
            e0 = time.perf_counter()
            bar.set_description(f"epoch {epoch + 1}/{epochs}")
            for step in range(steps):
                check(should_stop)
                idx = task.batch(perm, step, bs)
                if shard is not None:
                    idx = shard(idx)
                loss = task.loss(idx, epoch, step)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                if sched is not None:
                    sched.step()
                task.tally(loss, idx)
                bar.update(1)
                if on_step is not None and (task.report_every_step or time.perf_counter() >= next_report
                                            or step + 1 == steps):
                    next_report = time.perf_counter() + 1 / REPORTS_PER_SECOND
                    on_step({"epoch": epoch + 1, "step": step + 1, "steps_per_epoch": steps,
                             **task.step_info(step, e0)})
            train_s += time.perf_counter() - e0
            row = task.end_epoch(epoch, e0)
            history.append(row)
            task.saved(epoch + 1, history)
            if on_epoch is not None:
                on_epoch(dict(row))
    finally:
        bar.close()
    return train_s
