"""Self-training: after a semi-supervised head, fine-tune the whole network (foundation included) on the labelled
and the unlabeled images, with consistency targets (FixMatch, Sohn et al., 2020) seeded by label propagation.

Per step a batch of unlabeled images and a few labelled ones: the network's prediction on a weakly augmented
view of each unlabeled image becomes the target of a strongly augmented view where it is at least `threshold`
confident; elsewhere the target is the image's propagated label at its propagation weight (engine.propagate).
The labelled images add plain cross entropy on a weak view. Each later round propagates the labels again over
the fine-tuned foundation's features, which cluster the classes better than the pretrained ones did.
The unlabeled images' labels are never read.
"""
from __future__ import annotations

import dataclasses
import math
import time
from typing import Any, Callable

import torch
import torch.nn.functional as F

from .augment import Augment, augment
from .cancel import check
from .compile import GraphModule
from .features import compute_features
from .loop import Task, run_epochs
from .precision import autocast

WEAK = Augment(shift=0.1, rotate=10.0, zoom=(0.9, 1.1))
STRONG = Augment(shift=0.15, rotate=20.0, zoom=(0.8, 1.2), noise=0.2, erase=0.5)
LABELLED_SHARE = 4            # a step's labelled rows: a quarter of its unlabeled batch (at most all of them)


def options_of(semi: dict | None) -> dict[str, Any]:
    """The fine-tuning options of a semi_supervised mapping (contracts.SemiSupervised), defaults filled in."""
    from ..contracts.hparams import FINE_TUNING, SemiSupervised

    return {k: (semi or {}).get(k, SemiSupervised.model_fields[k].default) for k in FINE_TUNING}


class _Consistency(Task):
    """One fine-tuning round over the unlabeled images: the epoch row has the loss and the share of confident
    targets (`confident`)."""

    report_every_step = False

    def __init__(self, model: GraphModule, xl: torch.Tensor, yl: torch.Tensor, xu: Any, yu: torch.Tensor,
                 wu: torch.Tensor, threshold: float, background: Any, gen: torch.Generator, device: torch.device,
                 bf16: bool, batch_size: int, first_epoch: int, flip: bool = False):
        self.model, self.xl, self.yl, self.xu, self.yu, self.wu = model, xl, yl, xu, yu, wu
        self.threshold, self.background, self.gen, self.device, self.bf16 = threshold, background, gen, device, bf16
        self.n, self.steps_per_epoch = len(yu), max(len(yu) // batch_size, 1)
        self.labelled = min(len(yl), max(batch_size // LABELLED_SHARE, 1))
        self.first_epoch = first_epoch
        self.weak, self.strong = ((dataclasses.replace(WEAK, flip=0.5), dataclasses.replace(STRONG, flip=0.5))
                                  if flip else (WEAK, STRONG))

    def begin_epoch(self) -> None:
        self.model.train()
        self.total, self.confident, self.steps = 0.0, 0.0, 0

    def loss(self, idx: torch.Tensor, epoch: int, step: int) -> torch.Tensor:
        from .train import TrainingDiverged

        xb = self.xu.index_select(0, idx)
        li = torch.randint(0, len(self.yl), (self.labelled,), generator=self.gen).to(self.device)
        with torch.no_grad(), autocast(self.device, self.bf16):
            self.model.eval()
            guess = F.softmax(self.model(augment(xb, self.weak, self.background, self.gen)).float(), 1)
            self.model.train()
        conf, pred = guess.max(1)
        sure = conf >= self.threshold
        target = torch.where(sure, pred, self.yu[idx])
        weight = torch.where(sure, torch.ones_like(conf), self.wu[idx])
        views = torch.cat([augment(self.xl.index_select(0, li), self.weak, self.background, self.gen),
                           augment(xb, self.strong, self.background, self.gen)])
        with autocast(self.device, self.bf16):
            out = self.model(views).float()
        k = self.labelled
        loss = F.cross_entropy(out[:k], self.yl[li]) + (F.cross_entropy(out[k:], target, reduction="none")
                                                        * weight).mean()
        self.value = float(loss.detach())
        if not math.isfinite(self.value):
            raise TrainingDiverged(epoch + 1, step + 1, self.value)
        self.confident += float(sure.float().mean())
        return loss

    def tally(self, loss: torch.Tensor, idx: torch.Tensor) -> None:
        self.total += self.value
        self.steps += 1

    def step_info(self, step: int, e0: float) -> dict[str, Any]:
        return {"loss": self.total / max(self.steps, 1)}

    def end_epoch(self, epoch: int, e0: float) -> dict[str, Any]:
        return {"epoch": self.first_epoch + epoch + 1, "phase": "finetune", "train_loss": self.total / self.steps,
                "confident": round(self.confident / self.steps, 4), "seconds": round(time.perf_counter() - e0, 3)}


def self_train(model: GraphModule, xl: torch.Tensor, yl: torch.Tensor, xu: Any, propagate: Callable, *,
               options: dict[str, Any], h: dict[str, Any], background: Any, device: torch.device, bf16: bool,
               first_epoch: int, history: list[dict], on_step: Callable | None = None,
               on_epoch: Callable | None = None, should_stop: Callable | None = None) -> list[dict]:
    """Fine-tune `model` in place for `options["rounds"]` rounds of `finetune_epochs` epochs; returns a summary
    per round. `propagate(model)` gives (labels, weights) for the rows of `xu` from the model's current
    foundation features (the first round's come from the head's training)."""
    from .train import make_optimizer

    rounds: list[dict] = []
    gen = torch.Generator().manual_seed(int(h["seed"]) + 17)
    for foundation in model.foundations:         # every foundation trains now, in train mode
        block = model.get_submodule(foundation)
        block.frozen, block.pinned = False, set()
    for p in model.parameters():
        p.requires_grad_(True)
    epochs, bs = int(options["finetune_epochs"]), min(int(h["batch_size"]), len(xu))
    for r in range(int(options["rounds"])):
        check(should_stop)
        t0 = time.perf_counter()
        yu, wu, summary = propagate(model, r)
        task = _Consistency(model, xl, yl, xu, yu.to(device), wu.to(device), float(options["threshold"]),
                            background, gen, device, bf16, bs, first_epoch + r * epochs, bool(options["flip"]))
        opt = make_optimizer({**h, "lr": options["finetune_lr"]}, [{"params": list(model.parameters()),
                                                                     "lr": options["finetune_lr"]}], device)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=options["finetune_lr"], pct_start=0.15,
                                                    total_steps=task.steps_per_epoch * epochs)
        run_epochs(task, opt, sched, epochs=epochs, seed=int(h["seed"]) + 1000 * (r + 1), batch_size=bs,
                   device=device, history=history, on_step=on_step, on_epoch=on_epoch, should_stop=should_stop)
        rounds.append({**summary, "round": r + 1, "seconds": round(time.perf_counter() - t0, 3)})
    model.eval()
    return rounds


@torch.no_grad()
def foundation_features(model: GraphModule, x: Any, bf16: bool) -> torch.Tensor:
    """The concatenated outputs of the network's foundations for every row of `x` (fresh: the weights moved)."""
    parts = [compute_features(model.get_submodule(fid), x, torch.float32, bf16).flatten(1)
             for fid in model.foundations]
    return torch.cat(parts, 1)

