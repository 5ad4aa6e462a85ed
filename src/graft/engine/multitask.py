"""Several heads on one foundation: one training loop over several tasks, each a network output with its own
data set, loss weight and cross entropy.

An epoch is one pass over EVERY task's data: task t gets ceil(n_t / batch_size) batches of its own seeded
permutation, exactly as many as when it trains alone for the same epochs (so "the same budget" compares alone
and joint training). `task_mixing` orders those batches: "alternate" takes one batch per task in turn (a task
that has had all its batches leaves the rotation); "proportional" spreads each task's batches evenly over the
epoch (slot k of task t at (k + 0.5) / its batches), so tasks are mixed in proportion to their sizes.
Each step is one task's batch through that head only (engine.compile.HeadRunner); frozen foundations' outputs
come from the feature cache per data set, as in single-task training.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch
import torch.nn.functional as F

from . import ddp
from .allocator import tune_allocator
from .augment import BatchAugment
from .checkpoint import restore, save_checkpoint
from .compile import GraphModule
from .data import normalization_of, permutation
from .features import FeatureCache
from .loop import Task, run_epochs
from .precision import autocast, chosen_settings, uses_bf16
from .train import (TrainingDiverged, TrainResult, _Batches, _trajectory, make_optimizer, make_scheduler,
                    prepared_run, resolve_hparams)

MIXINGS = ("alternate", "proportional")


@dataclass
class HeadTask:
    """One head's task as the engine takes it."""
    name: str
    output: str
    train_ds: Any
    val_ds: Any = None
    weight: float = 1.0


def schedule(batches: list[int], mixing: str) -> list[tuple[int, int]]:
    """An epoch's steps as (task index, batch index of that task), every batch of every task once."""
    if mixing not in MIXINGS:
        raise ValueError(f"hparams.task_mixing: expected one of {', '.join(MIXINGS)}, found {mixing!r}")
    if mixing == "alternate":
        return [(t, k) for k in range(max(batches)) for t, n in enumerate(batches) if k < n]
    return [(t, k) for _, t, k in sorted(((k + 0.5) / n, t, k) for t, n in enumerate(batches) for k in range(n))]


def train_tasks(model: GraphModule, tasks: list[HeadTask], hparams: dict[str, Any] | None = None, *,
                on_epoch: Callable[[dict], None] | None = None, on_step: Callable[[dict], None] | None = None,
                checkpoint_dir: str | Path | None = None, resume_from: str | Path | None = None,
                should_stop: Callable[[], bool] | None = None,
                feature_cache: FeatureCache | None = None) -> TrainResult:
    """Train `model`'s heads in place, one task per output (engine.train's hyperparameters plus task_mixing).
    The normalization is hparams.normalization (a foundation's), else the first task's data's."""
    started = time.perf_counter()
    tune_allocator()
    h = resolve_hparams(hparams)
    if ddp.topology()[1] > 1:
        raise ValueError("tasks: several heads train in one process; use nproc 1")
    _check_tasks(model, tasks)
    with prepared_run(model, h, resume_from, feature_cache) as run:
        device, channels_last, cache = run.device, run.channels_last, run.cache
        norm = normalization_of(tasks[0].train_ds, h["normalization"])
        bf16 = uses_bf16(device, h["precision"])
        data, val = [], []
        for t, task in enumerate(tasks):
            augment = (BatchAugment(h["augment"], int(task.train_ds.images.shape[-1]), h["seed"] + t,
                                    -norm["mean"] / norm["std"]) if h["augment"] else None)
            data.append(_Batches(model, task.train_ds, norm, device, channels_last, cache, bf16, should_stop,
                                 augment, h["stream"]))
            val.append(_Batches(model, task.val_ds, norm, device, channels_last, cache, bf16, should_stop,
                                stream=h["stream"]) if task.val_ds is not None else None)
        job = _Heads(model, tasks, data, val, h, checkpoint_dir)
        job.opt = make_optimizer(h, run.groups, device)
        job.sched = make_scheduler(h, job.opt, job.steps_per_epoch * h["epochs"])
        history: list[dict[str, Any]] = []
        start = 0
        if run.meta is not None:
            restore(run.meta, run.tensors, model, job.opt, job.sched)
            start, history = run.meta["epoch"], run.meta["history"]
        model.normalization = norm
        states = [d.cache_state for d in data]
        cache_state = "miss" if "miss" in states else states[0]
        job.result = TrainResult(history, 0.0, start, 0.0, str(device), norm, cache_state, False, h)
        train_s = run_epochs(job, job.opt, job.sched, epochs=h["epochs"], seed=h["seed"],
                             batch_size=h["batch_size"], device=device, history=history, start=start,
                             on_step=on_step, on_epoch=on_epoch, should_stop=should_stop, progress=h["progress"])
        model.eval()
        result = job.result
        result.samples_per_s = job.seen / train_s if train_s else 0.0
        result.precision = chosen_settings(device, h["precision"], bf16, channels_last)
        result.tasks = {task.name: {"output": task.output, "steps": job.steps[t] * (h["epochs"] - start),
                                    "samples": data[t].n, "weight": task.weight} for t, task in enumerate(tasks)}
        result.seconds = time.perf_counter() - started
        return result


def _check_tasks(model: GraphModule, tasks: list[HeadTask]) -> None:
    outputs = [t.output for t in tasks]
    if sorted(outputs) != sorted(model.outputs) or len(set(outputs)) != len(outputs):
        raise ValueError(f"tasks: expected exactly one task per network output ({', '.join(model.outputs)}), "
                         f"found tasks for {', '.join(outputs)}")
    names = [t.name for t in tasks]
    if len(set(names)) != len(names):
        raise ValueError(f"tasks: expected distinct task names, found {', '.join(names)}")


class _Heads(Task):
    """Cross entropy of each step's task on its head, times the task's weight; per-task tallies."""

    def __init__(self, model: GraphModule, tasks: list[HeadTask], data: list[_Batches], val: list, h: dict,
                 checkpoint_dir):
        self.model, self.tasks, self.data, self.val, self.h = model, tasks, data, val, h
        self.checkpoint_dir, self.seen, self.bs = checkpoint_dir, 0, h["batch_size"]
        self.runners = [model.head_runner(t.output) for t in tasks]
        self.steps = [-(-d.n // self.bs) for d in data]
        self.plan = schedule(self.steps, h["task_mixing"])
        self.steps_per_epoch = len(self.plan)
        self.n = sum(d.n for d in data)
        self.device = data[0].device

    def order(self, epoch: int, seed: int, device: torch.device) -> list[torch.Tensor]:
        # task 0's order is what it would be alone; the others draw from seeds of their own
        return [permutation(d.n, seed + t, epoch).to(device) for t, d in enumerate(self.data)]

    def batch(self, order: list[torch.Tensor], step: int, batch_size: int) -> torch.Tensor:
        t, k = self.plan[step]
        return order[t][k * batch_size:(k + 1) * batch_size]

    def begin_epoch(self) -> None:
        self.model.train()
        self.stats = [b for m in self.model.modules() if m.training for b in m.buffers(recurse=False)
                      if b.is_floating_point()]
        zeros = lambda dtype=None: [torch.zeros((), device=self.device, dtype=dtype) for _ in self.tasks]  # noqa: E731
        self.loss_sum, self.hit_sum, self.count = zeros(), zeros(torch.long), [0] * len(self.tasks)

    def loss(self, idx: torch.Tensor, epoch: int, step: int) -> torch.Tensor:
        t, k = self.plan[step]
        self.t, data = t, self.data[t]
        self.y = y = data.labels[idx]
        if k == 0 and data.augment is not None:
            data.augment.begin_epoch(epoch)
        saved = [b.clone() for b in self.stats] if self.stats else None
        with autocast(data.device, data.bf16):
            self.out = out = self.runners[t](data.inputs(idx))
        ce = F.cross_entropy(out.float(), y, label_smoothing=self.h["label_smoothing"])
        if not torch.isfinite(ce):
            if saved:
                torch._foreach_copy_(self.stats, saved)
            raise TrainingDiverged(epoch + 1, step + 1, float(ce.detach()))
        self.ce = ce
        return ce * self.tasks[t].weight if self.tasks[t].weight != 1.0 else ce

    def tally(self, loss: torch.Tensor, idx: torch.Tensor) -> None:
        t = self.t
        self.loss_sum[t] += self.ce.detach() * len(idx)
        self.hit_sum[t] += (self.out.detach().argmax(1) == self.y).sum()
        self.count[t] += len(idx)

    def step_info(self, step: int, e0: float) -> dict[str, Any]:
        count = max(sum(self.count), 1)
        return {"loss": float(sum(self.loss_sum)) / count, "accuracy": int(sum(self.hit_sum)) / count,
                "samples_per_s": sum(self.count) / max(time.perf_counter() - e0, 1e-9)}

    def end_epoch(self, epoch: int, e0: float) -> dict[str, Any]:
        per_task, total = {}, sum(self.count)
        self.seen += total
        for t, task in enumerate(self.tasks):
            row = {"train_loss": float(self.loss_sum[t]) / self.count[t],
                   "train_accuracy": int(self.hit_sum[t]) / self.count[t]}
            if self.val[t] is not None:
                row.update(_validate_head(self.model, self.runners[t], self.val[t], self.h["eval_batch_size"]))
            per_task[task.name] = row
        row = {"epoch": epoch + 1, "train_loss": float(sum(self.loss_sum)) / total,
               "train_accuracy": int(sum(self.hit_sum)) / total, "lr": self.opt.param_groups[0]["lr"],
               "seconds": round(time.perf_counter() - e0, 3)}
        validated = [(v.n, per_task[task.name]) for v, task in zip(self.val, self.tasks) if v is not None]
        if validated:
            n = sum(k for k, _ in validated)
            row["val_loss"] = sum(k * r["val_loss"] for k, r in validated) / n
            row["val_accuracy"] = sum(k * r["val_accuracy"] for k, r in validated) / n
        row["tasks"] = per_task
        return row

    def saved(self, epochs_done: int, history: list[dict]) -> None:
        self.result.epochs_done = epochs_done
        if self.checkpoint_dir is not None:
            save_checkpoint(self.checkpoint_dir, epoch=epochs_done, model=self.model, optimizer=self.opt,
                            scheduler=self.sched, extra={"history": history, "hparams": _trajectory(self.h)})


@torch.no_grad()
def _validate_head(model: GraphModule, runner, val: _Batches, batch_size: int) -> dict[str, float]:
    model.eval()
    loss_sum = torch.zeros((), device=val.device)
    hit_sum = torch.zeros((), device=val.device, dtype=torch.long)
    for i in range(0, val.n, batch_size):
        idx = torch.arange(i, min(i + batch_size, val.n), device=val.device)
        with autocast(val.device, val.bf16):
            out = runner(val.inputs(idx)).float()
        y = val.labels[idx]
        loss_sum += F.cross_entropy(out, y, reduction="sum")
        hit_sum += (out.argmax(1) == y).sum()
    return {"val_loss": float(loss_sum) / max(val.n, 1), "val_accuracy": int(hit_sum) / max(val.n, 1)}
