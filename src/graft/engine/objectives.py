"""Self-supervised objectives: train an encoder from images alone (no labels).

- autoencoder: a decoder (an MLP on the flattened encoder output) reconstructs the input; MSE.
- denoising: the same, but the encoder sees a corrupted copy (noise, shifted pixels, a blanked patch) and the
  decoder must give back the clean image.
- simclr: two random views of each image (shift, zoom, rotation, noise) go through the encoder and a
  projection MLP; NT-Xent pulls the two views of an image together and pushes the other images away.

The decoder / projection head exist only during pretraining: the caller keeps the encoder. Batches come from
one normalized tensor and a seeded permutation: the same loop as engine.train (engine.loop).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import nn

from ..contracts.hparams import PretrainHparams
from .allocator import tune_allocator
from .augment import Augment, add_noise, augment, random_affine, random_erase
from .data import blank_value, input_tensor, normalization_of, pick_device
from .loop import Task, run_epochs
from .precision import PRECISIONS, autocast, uses_bf16
from .train import TrainingDiverged, make_optimizer

OBJECTIVES = ("autoencoder", "denoising", "simclr")
DEFAULTS: dict[str, Any] = {**PretrainHparams.defaults(), "threads": None, "normalization": None}


def resolve(objective: str, hparams: dict[str, Any] | None) -> dict[str, Any]:
    if objective not in OBJECTIVES:
        raise ValueError(f"objective: expected one of {', '.join(OBJECTIVES)}, found {objective!r}")
    h = dict(DEFAULTS)
    for key, value in (hparams or {}).items():
        if key not in DEFAULTS:
            raise ValueError(f"hparams.{key}: unknown pretraining hyperparameter (expected one of "
                             f"{', '.join(DEFAULTS)})")
        h[key] = value
    for key in ("epochs", "batch_size", "projection_dim", "hidden"):
        if isinstance(h[key], bool) or not isinstance(h[key], int) or h[key] < 1:
            raise ValueError(f"hparams.{key}: expected a whole number >= 1, found {h[key]!r}")
    if objective == "simclr" and h["batch_size"] < 2:
        raise ValueError("hparams.batch_size: simclr needs at least 2 images per batch")
    for key in ("lr", "temperature"):
        if isinstance(h[key], bool) or not isinstance(h[key], (int, float)) or h[key] <= 0:
            raise ValueError(f"hparams.{key}: expected a number above 0, found {h[key]!r}")
    zoom = h["zoom"]
    if not (isinstance(zoom, (list, tuple)) and len(zoom) == 2 and 0 < zoom[0] <= zoom[1]):
        raise ValueError(f"hparams.zoom: expected [low, high] with 0 < low <= high, found {zoom!r}")
    if h["optimizer"] not in ("adam", "adamw", "sgd"):
        raise ValueError(f"hparams.optimizer: expected adam, adamw or sgd, found {h['optimizer']!r}")
    if h["precision"] not in PRECISIONS:
        raise ValueError(f"hparams.precision: expected one of {', '.join(PRECISIONS)}, found {h['precision']!r}")
    if h["schedule"] not in ("none", "cosine"):
        raise ValueError(f"hparams.schedule: expected none or cosine, found {h['schedule']!r}")
    for key in ("erase", "flip"):     # chances
        if isinstance(h[key], bool) or not isinstance(h[key], (int, float)) or not 0 <= h[key] <= 1:
            raise ValueError(f"hparams.{key}: expected a chance from 0 to 1, found {h[key]!r}")
    return h


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float) -> torch.Tensor:
    """SimCLR's normalized-temperature cross entropy: each view must pick its partner among 2N-1 others."""
    n = z1.shape[0]
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    sim = z @ z.t() / temperature
    sim.fill_diagonal_(float("-inf"))
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return F.cross_entropy(sim, target)


def _mlp(d_in: int, hidden: int, d_out: int) -> nn.Module:
    return nn.Sequential(nn.Linear(d_in, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Linear(hidden, d_out))


class Objective(nn.Module):
    """The part that exists only while pretraining (decoder or projection) and the loss over a batch."""

    def __init__(self, objective: str, encoder: nn.Module, input_shape: tuple[int, ...], h: dict[str, Any],
                 background: float):
        super().__init__()
        self.kind, self.encoder, self.h, self.background = objective, encoder, h, background
        self.input_shape = tuple(input_shape)
        self.aug = Augment.from_hparams(h)
        with torch.no_grad():
            was = encoder.training
            d = encoder.eval()(torch.zeros(2, *self.input_shape)).flatten(1).shape[1]
            encoder.train(was)
        d_out = h["projection_dim"] if objective == "simclr" else math.prod(self.input_shape)
        self.extra = _mlp(d, h["hidden"], d_out)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x).flatten(1)

    def loss(self, x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        if self.kind == "simclr":
            n = x.shape[0]
            views = augment(torch.cat([x, x]), self.aug, self.background, gen)
            z = self.extra(self.embed(views)).float()
            return nt_xent(z[:n], z[n:], self.h["temperature"])
        seen = x
        if self.kind == "denoising":
            seen = random_affine(x, Augment(shift=0.05, rotate=5.0, zoom=(0.95, 1.05)), self.background, gen)
            seen = random_erase(seen, 0.5, self.background, gen)
            seen = add_noise(seen, self.h["noise"], gen)
        out = self.extra(self.embed(seen)).view(x.shape).float()
        return F.mse_loss(out, x)


class _Pretext(Task):
    """An objective's loss over whole batches of images; the epoch row is the mean of the steps' losses."""

    report_every_step = True

    def __init__(self, obj: Objective, x_all: torch.Tensor, gen: torch.Generator, device: torch.device,
                 bf16: bool, steps: int):
        self.obj, self.x_all, self.gen, self.device, self.bf16 = obj, x_all, gen, device, bf16
        self.n, self.steps_per_epoch = len(x_all), steps

    def begin_epoch(self) -> None:
        self.obj.train()
        self.total = 0.0

    def loss(self, idx: torch.Tensor, epoch: int, step: int) -> torch.Tensor:
        with autocast(self.device, self.bf16):
            loss = self.obj.loss(self.x_all[idx], self.gen)
        self.value = float(loss.detach())
        if not math.isfinite(self.value):
            raise TrainingDiverged(epoch + 1, step + 1, self.value)
        return loss

    def tally(self, loss: torch.Tensor, idx: torch.Tensor) -> None:
        self.total += self.value

    def step_info(self, step: int, e0: float) -> dict[str, Any]:
        return {"loss": self.total / (step + 1)}

    def end_epoch(self, epoch: int, e0: float) -> dict[str, Any]:
        return {"epoch": epoch + 1, "loss": self.total / self.steps_per_epoch,
                "seconds": round(time.perf_counter() - e0, 3)}


@dataclass
class PretrainResult:
    history: list[dict[str, Any]]
    seconds: float
    normalization: dict[str, float]
    device: str
    samples_per_s: float


def pretrain(encoder: nn.Module, ds: Any, objective: str, hparams: dict[str, Any] | None = None, *,
             on_epoch: Callable[[dict], None] | None = None, on_step: Callable[[dict], None] | None = None,
             should_stop: Callable[[], bool] | None = None, progress: bool = False) -> PretrainResult:
    """Train `encoder` in place on the images of `ds` (labels unused), in engine.loop's training loop.
    Raises TrainingDiverged on NaN/inf, engine.cancel.Cancelled when `should_stop` says so (checked per batch)."""
    h = resolve(objective, hparams)
    tune_allocator()
    device = pick_device(h["device"])
    bf16 = uses_bf16(device, h["precision"])
    if h["threads"]:
        torch.set_num_threads(int(h["threads"]))
    torch.manual_seed(h["seed"])
    norm = normalization_of(ds, h["normalization"])
    background = blank_value(norm)
    x_all = input_tensor(ds, norm, device)
    obj = Objective(objective, encoder, tuple(x_all.shape[1:]), h, background).to(device)
    n, bs = len(x_all), min(h["batch_size"], len(x_all))
    steps = n // bs          # whole batches only: a ragged last batch of one breaks BatchNorm and NT-Xent
    groups = [{"params": [p for p in obj.parameters() if p.requires_grad], "lr": h["lr"]}]
    opt = make_optimizer(h, groups, device)
    sched = (torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps * h["epochs"])
             if h["schedule"] == "cosine" else None)
    gen = torch.Generator().manual_seed(h["seed"])
    history: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    task = _Pretext(obj, x_all, gen, device, bf16, steps)
    run_epochs(task, opt, sched, epochs=h["epochs"], seed=h["seed"], batch_size=bs, device=device,
               history=history, on_step=on_step, on_epoch=on_epoch, should_stop=should_stop, progress=progress)
    seconds = time.perf_counter() - t0
    encoder.eval()
    return PretrainResult(history, seconds, norm, str(device), steps * bs * h["epochs"] / max(seconds, 1e-9))
