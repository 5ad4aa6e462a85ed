"""The training loop: seeded, resumable, cancellable, and fast on a small CPU.

No DataLoader: the data set is normalized once into a tensor on the training device and batches are rows of a
seeded per-epoch permutation. With frozen foundations feeding the head, the head trains on cached foundation
outputs (engine.features). Loss and accuracy are accumulated on the device, so the GPU path syncs only for the
divergence check (one scalar per step, needed to stop before a NaN reaches the weights) and at progress reports.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import torch
import torch.nn.functional as F

from ..contracts.hparams import TrainHparams
from ..spec.network import INPUT
from .checkpoint import load_checkpoint, restore, save_checkpoint
from .compile import GraphModule
from . import ddp
from .data import StreamedImages, batches_of, blank_value, has_conv, input_tensor, label_tensor, normalization_of, pick_device
from .features import FeatureCache, cacheable_foundations, default_cache, take, to_tensor
from .freeze import apply_foundation_params
from .allocator import tune_allocator
from .augment import BatchAugment
from .cancel import Cancelled  # noqa: F401  (raised by the loop; callers catch it from here too)
from .loop import REPORTS_PER_SECOND, Task, run_epochs
from .precision import PRECISIONS, autocast, chosen_settings, prefers_channels_last, uses_bf16

DEFAULTS: dict[str, Any] = {  # the contract's hyperparameters, then the loop's own knobs
    **TrainHparams.defaults(), "deterministic": False, "channels_last": "auto", "threads": None,
    "feature_cache": True, "progress": True, "eval_batch_size": 256, "normalization": None,
    "stream": "auto",   # gather each batch from the uint8 images (engine.data.streams: auto above 1 GiB of float32)
}
CHOICES = {"optimizer": ("adam", "adamw", "sgd"), "schedule": ("none", "onecycle", "cosine"), "precision": PRECISIONS,
           "stream": ("auto", True, False)}
# hparams that change the trajectory: a checkpoint only resumes a run that agrees on all of them
TRAJECTORY = ("optimizer", "lr", "epochs", "batch_size", "seed", "weight_decay", "momentum", "schedule",
              "label_smoothing", "normalization")


class TrainingDiverged(RuntimeError):
    def __init__(self, epoch: int, step: int, value: float):
        self.epoch, self.step, self.value = epoch, step, value
        super().__init__(f"training diverged: the loss was {value} at epoch {epoch}, step {step}; "
                         "lower the learning rate or check the data for non-finite values")


@dataclass
class TrainResult:
    history: list[dict[str, Any]]
    seconds: float
    epochs_done: int
    samples_per_s: float
    device: str
    normalization: dict[str, float]
    feature_cache: str | None = None        # "hit", "miss" or None when not used
    cancelled: bool = False
    hparams: dict[str, Any] = field(default_factory=dict)
    pseudo_labels: dict | None = None       # engine.propagate summary when unlabeled images were used
    precision: dict | None = None           # what ran (bf16, channels_last) and why: engine.precision.chosen_settings
    tasks: dict | None = None               # several heads (engine.multitask): {name: {output, steps, samples}}
    self_training: list | None = None       # engine.selftrain rounds when the whole network was fine-tuned


def resolve_hparams(hparams: dict[str, Any] | None) -> dict[str, Any]:
    h = dict(DEFAULTS)
    for key, value in (hparams or {}).items():
        if key not in DEFAULTS:
            raise ValueError(f"hparams.{key}: unknown hyperparameter (expected one of {', '.join(DEFAULTS)})")
        h[key] = value
    for key, allowed in CHOICES.items():
        if h[key] not in allowed:
            raise ValueError(f"hparams.{key}: expected one of {', '.join(allowed)}, found {h[key]!r}")
    for key in ("epochs", "batch_size"):
        if isinstance(h[key], bool) or not isinstance(h[key], int) or h[key] < 1:
            raise ValueError(f"hparams.{key}: expected a whole number >= 1, found {h[key]!r}")
    if not isinstance(h["augment"], list):
        raise ValueError(f"hparams.augment: expected a list of ops such as [{{flip: true}}], found {h['augment']!r:.60}")
    if not isinstance(h["lr"], (int, float)) or not 0 < h["lr"] < 100:
        raise ValueError(f"hparams.lr: expected a number above 0, found {h['lr']!r}")
    return h


def make_optimizer(h: dict[str, Any], groups: list[dict[str, Any]], device: torch.device) -> torch.optim.Optimizer:
    # fused kernels: one pass over each parameter tensor; on the 2-core CPU a frozen-foundation head's step
    # (1.2 M parameters) took 0.33 s an epoch of 6,400 images fused against 0.44 s with foreach (bench/head)
    fast = {"fused": True} if device.type in ("cuda", "cpu") else {"foreach": True}
    if h["optimizer"] == "sgd":
        return torch.optim.SGD(groups, lr=h["lr"], momentum=h["momentum"], weight_decay=h["weight_decay"], **fast)
    cls = torch.optim.AdamW if h["optimizer"] == "adamw" else torch.optim.Adam
    return cls(groups, lr=h["lr"], weight_decay=h["weight_decay"], **fast)


def make_scheduler(h: dict[str, Any], opt: torch.optim.Optimizer, total_steps: int) -> Any:
    if h["schedule"] == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[g["lr"] for g in opt.param_groups],
                                                   total_steps=total_steps)
    if h["schedule"] == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total_steps)
    return None


class _Batches:
    """Where a batch's network inputs come from: the normalized images, or cached foundation outputs."""

    def __init__(self, model: GraphModule, ds: Any, norm: dict[str, float], device: torch.device,
                 channels_last: bool, cache: FeatureCache | None, bf16: bool = False,
                 should_stop: Callable[[], bool] | None = None, augment: BatchAugment | None = None,
                 stream: Any = "auto"):
        self.device, self.n, self.bf16, self.should_stop = device, len(ds), bf16, should_stop
        self.augment = augment      # training batches only: a validation _Batches has none
        self.labels = label_tensor(ds, device)
        x = batches_of(ds, norm, device, channels_last, stream)
        self.features: dict[str, Any] = {}
        self.cache_state: str | None = None
        fids = cacheable_foundations(model) if cache is not None else []
        if fids and augment is not None:   # the foundation must see each augmented batch: no cached outputs
            fids, self.cache_state = [], "off: augmentation"
        if fids and isinstance(x, StreamedImages):   # the cache holds a whole set's outputs: not for streamed sets
            fids, self.cache_state = [], "off: streamed"
        if fids:
            hits = cache.hits
            for fid in fids:
                f = cache.features(model.get_submodule(fid), x, ds.fingerprint, norm["mean"], norm["std"], bf16,
                                   should_stop=should_stop)
                self.features[fid] = f.to(device) if isinstance(f, torch.Tensor) else f
            self.cache_state = "hit" if cache.hits - hits == len(self.features) else "miss"
            x = None
        self.x = x
        self.weights: torch.Tensor | None = None       # per-sample loss weights (pseudo-labelled samples)
        self.pseudo: dict | None = None

    def add_pseudo_labelled(self, model: GraphModule, unlabeled: Any, norm: dict[str, float],
                            cache: FeatureCache | None, options: dict | None) -> None:
        """Append the `unlabeled` images with labels propagated from this data set's (engine.propagate)."""
        from .propagate import pseudo_labels

        if not self.features:
            raise ValueError("semi_supervised: label propagation works on the outputs of frozen foundations that "
                             "alone read the input; this network has none (freeze its Foundation nodes, and "
                             "feed the input to nothing else)")
        x = input_tensor(unlabeled, norm, torch.device("cpu"))
        extra = {fid: to_tensor(cache.features(model.get_submodule(fid), x, unlabeled.fingerprint, norm["mean"],
                                               norm["std"], self.bf16, should_stop=self.should_stop))
                 for fid in self.features}
        del x
        mine = {fid: to_tensor(f).cpu() for fid, f in self.features.items()}
        n_classes = int(self.labels.max()) + 1
        found = pseudo_labels(torch.cat([mine[f].flatten(1) for f in mine], 1), self.labels.cpu(),
                              torch.cat([extra[f].flatten(1) for f in extra], 1), n_classes, options,
                              should_stop=self.should_stop)
        self.features = {fid: torch.cat([mine[fid], extra[fid].to(mine[fid].dtype)]).to(self.device) for fid in mine}
        self.weights = torch.cat([torch.ones(self.n), found.weights]).to(self.device)
        self.labels = torch.cat([self.labels, found.labels.to(self.device)])
        self.n += len(found.labels)
        self.pseudo = found.summary()

    def inputs(self, idx: torch.Tensor) -> dict[str, torch.Tensor]:
        if not self.features:
            x = self.x.index_select(0, idx)   # 4x faster than x[idx] on the CPU
            return {INPUT: self.augment(x) if self.augment is not None else x}
        return {fid: take(f, idx, self.device) for fid, f in self.features.items()}


def train(model: GraphModule, train_ds: Any, val_ds: Any = None, hparams: dict[str, Any] | None = None, *,
          on_epoch: Callable[[dict], None] | None = None, on_step: Callable[[dict], None] | None = None,
          checkpoint_dir: str | Path | None = None, resume_from: str | Path | None = None,
          should_stop: Callable[[], bool] | None = None, feature_cache: FeatureCache | None = None,
          unlabeled_ds: Any = None, semi_supervised: dict | None = None) -> TrainResult:
    """Train `model` in place; see DEFAULTS for the hyperparameters. Raises TrainingDiverged on a NaN/inf loss
    and engine.cancel.Cancelled when `should_stop` (a CancelToken or any callable) says so, checked per batch
    here and in feature extraction.

    With `unlabeled_ds`, its images join the training set with labels propagated from `train_ds`'s through the
    frozen foundations' features (engine.propagate; `semi_supervised` holds its options).
    """
    started = time.perf_counter()
    tune_allocator()
    h = resolve_hparams(hparams)
    rank, world = ddp.topology()
    if rank:   # one rank writes and reports (dropout draws differ per rank, the weights come from rank 0)
        checkpoint_dir = on_epoch = on_step = None
        h["progress"] = False
    with prepared_run(model, h, resume_from, feature_cache, rank) as run:
        device, channels_last, cache = run.device, run.channels_last, run.cache
        net = ddp.wrap(model, device)
        if unlabeled_ds is not None and cache is None:
            cache = FeatureCache()      # propagation needs the foundation's outputs: a private, in-memory cache
        norm = normalization_of(train_ds, h["normalization"])
        bf16 = uses_bf16(device, h["precision"])
        augment = (BatchAugment(h["augment"], int(train_ds.shape[-1]), h["seed"] + rank, blank_value(norm))
                   if h["augment"] else None)
        data = _Batches(model, train_ds, norm, device, channels_last, cache, bf16, should_stop, augment, h["stream"])
        propagation, fine_tune = split_options(semi_supervised)
        if unlabeled_ds is not None:
            data.add_pseudo_labelled(model, unlabeled_ds, norm, cache, propagation)
        val = (_Batches(model, val_ds, norm, device, channels_last, cache, bf16, should_stop, stream=h["stream"])
               if val_ds is not None else None)
        steps_per_epoch = ddp.steps_per_epoch(data.n, h["batch_size"], world)
        opt = make_optimizer(h, run.groups, device)
        sched = make_scheduler(h, opt, steps_per_epoch * h["epochs"])
        history: list[dict[str, Any]] = []
        start = 0
        if run.meta is not None:
            restore(run.meta, run.tensors, model, opt, sched)
            start, history = run.meta["epoch"], run.meta["history"]
        model.normalization = norm
        result = _loop(model, net, data, val, h, opt, sched, start, history, steps_per_epoch, device,
                       on_epoch, on_step, checkpoint_dir, should_stop, norm)
        if unlabeled_ds is not None and fine_tune["finetune_epochs"]:
            result.self_training = _self_train(model, train_ds, unlabeled_ds, data, norm, h, propagation,
                                               fine_tune, device, channels_last, bf16, history, on_step,
                                               on_epoch, should_stop)
        result.precision = chosen_settings(device, h["precision"], bf16, channels_last)
        result.seconds = time.perf_counter() - started   # with data preparation, feature caching, propagation
        return result


@dataclass
class PreparedRun:
    """What every training run sets up the same way before its data: see prepared_run."""
    device: torch.device
    channels_last: bool
    groups: list[dict[str, Any]]            # the optimizer's param groups (foundation multiplier, frozen nodes)
    cache: FeatureCache | None
    meta: dict[str, Any] | None = None      # the checkpoint resumed from, restored into the optimizer later
    tensors: dict[str, torch.Tensor] | None = None


@contextmanager
def prepared_run(model: GraphModule, h: dict[str, Any], resume_from: str | Path | None,
                 feature_cache: FeatureCache | None, rank: int = 0) -> Iterator[PreparedRun]:
    """The set-up shared by engine.train and engine.multitask: device, threads, determinism (restored on exit),
    channels-last, the seed, the model on its device with the resumed weights, the foundation's param groups and
    the feature cache. The order matters to the weights: keep it."""
    device = pick_device(h["device"])
    if h["threads"]:
        torch.set_num_threads(int(h["threads"]))
    was_deterministic = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(bool(h["deterministic"]), warn_only=True)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = not h["deterministic"]
    channels_last = h["channels_last"] if h["channels_last"] != "auto" else \
        has_conv(model) and prefers_channels_last(device)
    try:
        torch.manual_seed(h["seed"] + rank)
        model.to(device)
        if channels_last:
            model.to(memory_format=torch.channels_last)
        meta = tensors = None
        if resume_from is not None:
            meta, tensors = load_checkpoint(resume_from)
            _check_same_run(meta, h, resume_from)
            # before any feature is cached: a frozen foundation's outputs must come from the saved weights
            model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
        groups = apply_foundation_params(model, h["lr"], h["foundation"], h["unfreeze_from"],
                                         h["foundation_lr_multiplier"])
        cache = (feature_cache or default_cache()) if h["feature_cache"] else None
        yield PreparedRun(device, channels_last, groups, cache, meta, tensors)
    finally:
        torch.use_deterministic_algorithms(was_deterministic)


class _Supervised(Task):
    """Cross entropy on labelled (and pseudo-labelled, weighted) samples; the epoch row has loss and accuracy."""

    def __init__(self, model, net, data: _Batches, val: _Batches | None, h: dict[str, Any], opt, sched,
                 steps_per_epoch: int, checkpoint_dir, result: TrainResult):
        self.model, self.net, self.data, self.val, self.h, self.opt, self.sched = model, net, data, val, h, opt, sched
        self.n, self.steps_per_epoch, self.checkpoint_dir, self.result = data.n, steps_per_epoch, checkpoint_dir, result
        self.seen = 0

    def begin_epoch(self) -> None:
        self.model.train()
        self.stats = [b for m in self.model.modules() if m.training for b in m.buffers(recurse=False)
                      if b.is_floating_point()]
        self.loss_sum = torch.zeros((), device=self.data.device)
        self.hit_sum = torch.zeros((), device=self.data.device, dtype=torch.long)
        self.count = 0

    def loss(self, idx: torch.Tensor, epoch: int, step: int) -> torch.Tensor:
        data, smoothing = self.data, self.h["label_smoothing"]
        self.y = y = data.labels[idx]
        if step == 0 and data.augment is not None:
            data.augment.begin_epoch(epoch)
        # a train-mode forward updates BatchNorm statistics: keep them to undo a diverged step
        saved = [b.clone() for b in self.stats] if self.stats else None
        with autocast(data.device, data.bf16):
            self.out = out = self.net(data.inputs(idx))
        if data.weights is None:
            loss = F.cross_entropy(out.float(), y, label_smoothing=smoothing)
        else:
            loss = (F.cross_entropy(out.float(), y, label_smoothing=smoothing, reduction="none")
                    * data.weights[idx]).mean()
        if not torch.isfinite(loss):
            if saved:
                torch._foreach_copy_(self.stats, saved)
            raise TrainingDiverged(epoch + 1, step + 1, float(loss.detach()))
        return loss

    def tally(self, loss: torch.Tensor, idx: torch.Tensor) -> None:
        self.loss_sum += loss.detach() * len(idx)
        self.hit_sum += (self.out.detach().argmax(1) == self.y).sum()
        self.count += len(idx)

    def step_info(self, step: int, e0: float) -> dict[str, Any]:
        done = min((step + 1) * self.h["batch_size"], self.n)
        return {"loss": float(self.loss_sum) / self.count, "accuracy": int(self.hit_sum) / self.count,
                "samples_per_s": done / max(time.perf_counter() - e0, 1e-9)}

    def end_epoch(self, epoch: int, e0: float) -> dict[str, Any]:
        loss_sum, hit_sum = ddp.all_sum(self.loss_sum, self.hit_sum)
        count = min(self.steps_per_epoch * self.h["batch_size"], self.n)
        self.seen += count
        row = {"epoch": epoch + 1, "train_loss": float(loss_sum) / count, "train_accuracy": int(hit_sum) / count,
               "lr": self.opt.param_groups[0]["lr"], "seconds": round(time.perf_counter() - e0, 3)}
        if self.val is not None:
            row.update(_validate(self.model, self.val, self.h["eval_batch_size"]))
        return row

    def saved(self, epochs_done: int, history: list[dict]) -> None:
        self.result.epochs_done = epochs_done
        if self.checkpoint_dir is not None:
            save_checkpoint(self.checkpoint_dir, epoch=epochs_done, model=self.model, optimizer=self.opt,
                            scheduler=self.sched, extra={"history": history, "hparams": _trajectory(self.h)})


def _loop(model, net, data, val, h, opt, sched, start, history, steps_per_epoch, device, on_epoch, on_step,
          checkpoint_dir, should_stop, norm) -> TrainResult:
    rank, world = ddp.topology()
    result = TrainResult(history, 0.0, start, 0.0, str(device), norm, data.cache_state, False, h, data.pseudo)
    task = _Supervised(model, net, data, val, h, opt, sched, steps_per_epoch, checkpoint_dir, result)
    train_s = run_epochs(task, opt, sched, epochs=h["epochs"], seed=h["seed"], batch_size=h["batch_size"],
                         device=device, history=history, start=start,
                         shard=(lambda idx: ddp.shard(idx, rank, world)) if world > 1 else None,
                         on_step=on_step, on_epoch=on_epoch, should_stop=should_stop, progress=h["progress"])
    result.samples_per_s = task.seen / train_s if train_s else 0.0
    ddp.barrier()
    model.eval()
    return result


@torch.no_grad()
def _validate(model: GraphModule, val: _Batches, batch_size: int) -> dict[str, float]:
    model.eval()
    loss_sum = torch.zeros((), device=val.device)
    hit_sum = torch.zeros((), device=val.device, dtype=torch.long)
    for i in range(0, val.n, batch_size):
        idx = torch.arange(i, min(i + batch_size, val.n), device=val.device)
        with autocast(val.device, val.bf16):
            out = model.run(val.inputs(idx)).float()
        y = val.labels[idx]
        loss_sum += F.cross_entropy(out, y, reduction="sum")
        hit_sum += (out.argmax(1) == y).sum()
    return {"val_loss": float(loss_sum) / max(val.n, 1), "val_accuracy": int(hit_sum) / max(val.n, 1)}


def _trajectory(h: dict[str, Any]) -> dict[str, Any]:
    augment = {"augment": h["augment"]} if h["augment"] else {}   # absent when off: older checkpoints resume
    return {**{k: h[k] for k in TRAJECTORY}, **augment}


def _check_same_run(meta: dict[str, Any], h: dict[str, Any], where: Any) -> None:
    saved = meta.get("hparams", {})
    for key, value in _trajectory(h).items():
        if saved.get(key) != value:
            raise ValueError(f"{where}: the checkpoint was made with hparams.{key} = {saved.get(key)!r}, "
                             f"this run has {value!r}; resume with the same hyperparameters")


def split_options(semi: dict | None) -> tuple[dict, dict]:
    """semi_supervised options as (label propagation's, self-training's: engine.selftrain.options_of)."""
    from .selftrain import options_of

    fine_tune = options_of(semi)
    return {k: v for k, v in (semi or {}).items() if k not in fine_tune}, fine_tune


def _self_train(model, train_ds, unlabeled_ds, data: _Batches, norm, h, propagation, options, device,
                channels_last, bf16, history, on_step, on_epoch, should_stop) -> list[dict]:
    """Fine-tune the whole network after its semi-supervised head (engine.selftrain), seeded by the labels the
    head trained on; later rounds propagate again over the fine-tuned foundation."""
    from .propagate import pseudo_labels
    from .selftrain import foundation_features, self_train

    xl = input_tensor(train_ds, norm, device, channels_last)
    xu = input_tensor(unlabeled_ds, norm, device, channels_last)
    n_l = len(xl)
    yl = data.labels[:n_l]

    def propagate(net, round_: int):
        if round_ == 0:
            return data.labels[n_l:], data.weights[n_l:], dict(data.pseudo or {})
        found = pseudo_labels(foundation_features(net, xl, bf16), yl.cpu(), foundation_features(net, xu, bf16),
                              int(yl.max()) + 1, propagation, should_stop=should_stop)
        return found.labels, found.weights, found.summary()

    return self_train(model, xl, yl, xu, propagate, options=options, h=h, background=blank_value(norm),
                      device=device, bf16=bf16, first_epoch=len(history), history=history, on_step=on_step,
                      on_epoch=on_epoch, should_stop=should_stop)
