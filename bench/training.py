"""Training throughput on the example CNN: graft's engine against a plain PyTorch loop and Lightning's Trainer,
and a head-only epoch on a frozen foundation (naive, cache filling, cache filled, and the plain floor).

All in one process, on the same model (spec.templates example-cnn, compiled by graft, the same initial weights),
data, batch size, optimizer (Adam, lr 1e-3, no schedule) and thread count, in alternating order. The peers run
both as a user first writes them (float32 plain loop with a DataLoader, Lightning "32-true") and at their best
(bfloat16 autocast where the CPU has it natively, channels-last, fused Adam; Lightning "bf16-mixed").
"""
from __future__ import annotations

import statistics
import time
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from graft.data.dataset import load_dataset
from graft.engine.compile import compile_network
from graft.engine.evaluate import evaluate
from graft.engine.features import FeatureCache
from graft.engine.calibrate import calibration
from graft.engine.precision import uses_bf16
from graft.engine.train import train
from graft.spec.templates import get_template

BATCH, LR, SEED = 128, 1e-3, 0
FOUNDATION_END = "flatten"


def datasets(n_train: int, n_test: int):
    train_ds = load_dataset({"dataset": "mnist", "transforms": [{"limit": n_train}]}, "train")
    test_ds = load_dataset({"dataset": "mnist", "transforms": [{"limit": n_test}]}, "test")
    return train_ds, test_ds


def fresh_cnn(seed: int = SEED, stock: bool = False) -> torch.nn.Module:
    """example-cnn with seeded weights; `stock` swaps graft's Dropout and Flatten (engine.modules) for nn's,
    so the plain loop and Lightning train the model a user would write by hand."""
    torch.manual_seed(seed)
    model = compile_network(get_template("example-cnn"))
    if stock:
        for name, module in list(model.named_children()):
            if isinstance(module, torch.nn.Dropout):
                setattr(model, name, torch.nn.Dropout(module.p))
            elif isinstance(module, torch.nn.Flatten):
                setattr(model, name, torch.nn.Flatten())
    return model


def normalized(ds) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.from_numpy(ds.images.astype(np.float32) / 255.0)
    return (x - float(ds.mean)) / float(ds.std), torch.from_numpy(ds.labels.astype(np.int64))


def accuracy(model, test_ds, norm) -> float:
    return float(evaluate(model, test_ds, normalization=norm, device="cpu")["accuracy"])


# -- the three ways to train ------------------------------------------------------------------------------------
def run_graft(train_ds, seed: int = SEED) -> tuple[float, float, torch.nn.Module]:
    model = fresh_cnn(seed)
    t0 = time.perf_counter()
    res = train(model, train_ds, hparams={"epochs": 1, "batch_size": BATCH, "lr": LR, "seed": seed,
                                           "schedule": "none", "progress": False, "device": "cpu"})
    return res.history[0]["seconds"], time.perf_counter() - t0, model


def run_plain(train_ds, seed: int = SEED) -> tuple[float, float, torch.nn.Module]:
    """What a user writes from the PyTorch tutorial: TensorDataset, DataLoader(shuffle), Adam, loss.item()."""
    model = fresh_cnn(seed, stock=True)
    t0 = time.perf_counter()
    x, y = normalized(train_ds)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=BATCH, shuffle=True,
                                         generator=torch.Generator().manual_seed(seed))
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    model.train()
    e0 = time.perf_counter()
    running = 0.0
    for xb, yb in loader:
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        running += loss.item()
    epoch = time.perf_counter() - e0
    model.eval()
    return epoch, time.perf_counter() - t0, model


def run_plain_best(train_ds, seed: int = SEED) -> tuple[float, float, torch.nn.Module]:
    """A plain loop at its best on this CPU: tensors batched by index (no DataLoader), channels-last, fused Adam,
    bfloat16 autocast where the CPU multiplies bfloat16 natively, no per-step host sync."""
    model = fresh_cnn(seed, stock=True).to(memory_format=torch.channels_last)
    t0 = time.perf_counter()
    x, y = normalized(train_ds)
    x = x.contiguous(memory_format=torch.channels_last)
    opt = torch.optim.Adam(model.parameters(), lr=LR, fused=True)
    bf16 = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    model.train()
    e0 = time.perf_counter()
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    for i in range(0, len(x), BATCH):
        idx = order[i:i + BATCH]
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = F.cross_entropy(model(x.index_select(0, idx)), y.index_select(0, idx))
        loss.backward()
        opt.step()
    epoch = time.perf_counter() - e0
    model.eval()
    return epoch, time.perf_counter() - t0, model


def run_lightning(train_ds, seed: int = SEED, precision: str = "32-true") -> tuple[float, float, torch.nn.Module]:
    import lightning as L

    class Module(L.LightningModule):
        def __init__(self, net):
            super().__init__()
            self.net = net

        def training_step(self, batch, _):
            xb, yb = batch
            return F.cross_entropy(self.net(xb), yb)

        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), lr=LR)

    class EpochTimer(L.Callback):
        def on_train_epoch_start(self, *_):
            self.t0 = time.perf_counter()

        def on_train_epoch_end(self, *_):
            self.seconds = time.perf_counter() - self.t0

    model = fresh_cnn(seed, stock=True)
    best = precision == "bf16-mixed"         # Lightning at its best: bfloat16 mixed precision, channels-last
    if best:
        model.to(memory_format=torch.channels_last)
    t0 = time.perf_counter()
    x, y = normalized(train_ds)
    if best:
        x = x.contiguous(memory_format=torch.channels_last)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=BATCH, shuffle=True,
                                         generator=torch.Generator().manual_seed(seed))
    timer = EpochTimer()
    trainer = L.Trainer(max_epochs=1, accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
                        precision=precision,
                        enable_progress_bar=False, enable_model_summary=False, callbacks=[timer],
                        num_sanity_val_steps=0)
    trainer.fit(Module(model), loader)
    model.eval()
    return timer.seconds, time.perf_counter() - t0, model


def run_lightning_bf16(train_ds, seed: int = SEED) -> tuple[float, float, torch.nn.Module]:
    return run_lightning(train_ds, seed, precision="bf16-mixed")


RUNNERS = {"graft": run_graft, "plain": run_plain, "plain_best": run_plain_best, "lightning": run_lightning,
           "lightning_bf16": run_lightning_bf16}


def throughput(n_train: int = 6400, n_test: int = 2000, rounds: int = 3) -> dict[str, Any]:
    """Round r trains every contender once with seed r (initial weights and sample order), in rotating order;
    times are medians over the rounds, accuracies means (one 6,400-image epoch varies by ~1 point by seed)."""
    import logging

    import warnings

    for name in ("lightning", "lightning.pytorch", "lightning.pytorch.utilities.rank_zero", "lightning.fabric"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="lightning")
    warnings.filterwarnings("ignore", message=".*treespec.*")
    train_ds, test_ds = datasets(n_train, n_test)
    warm = load_dataset({"dataset": "mnist", "transforms": [{"limit": 512}]}, "train")
    for fn in RUNNERS.values():                 # first-call costs (allocator, kernels, imports) out of the way
        fn(warm)
    norm = {"mean": float(train_ds.mean), "std": float(train_ds.std)}
    epochs: dict[str, list[float]] = {k: [] for k in RUNNERS}
    calls: dict[str, list[float]] = {k: [] for k in RUNNERS}
    accs: dict[str, list[float]] = {k: [] for k in RUNNERS}
    names = list(RUNNERS)
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:    # rotate who goes first
            epoch_s, call_s, model = RUNNERS[name](train_ds, seed=r)
            epochs[name].append(epoch_s)
            calls[name].append(call_s)
            accs[name].append(accuracy(model, test_ds, norm))
    acc = {k: round(statistics.mean(v), 4) for k, v in accs.items()}
    med = {k: statistics.median(v) for k, v in epochs.items()}
    out: dict[str, Any] = {
        "train_subset": n_train, "batch_size": BATCH, "rounds": rounds, "threads": torch.get_num_threads(),
        "epoch_seconds": epochs, "call_seconds": calls,
        "samples_per_s": {k: round(n_train / v, 1) for k, v in med.items()},
        "test_accuracy": acc, "test_accuracy_per_round": accs,
        "precision": "bf16" if uses_bf16(torch.device("cpu"), "auto") else "fp32",
        "precision_why": calibration()["why"], "calibration_s": calibration()["calibration_s"],
        "train_throughput_ratio_vs_plain": round(med["plain"] / med["graft"], 3),
        "train_throughput_ratio_vs_best_plain": round(med["plain_best"] / med["graft"], 3),
        "train_throughput_ratio_vs_lightning": round(med["lightning"] / med["graft"], 3),
        "train_throughput_ratio_vs_lightning_bf16": round(med["lightning_bf16"] / med["graft"], 3),
        "lightning_vs_plain_time": round(med["lightning"] / med["plain"], 3),
    }
    model = fresh_cnn()
    train(model, train_ds, hparams={"epochs": 1, "progress": False, "device": "cpu", "schedule": "none"})
    full_test = load_dataset("mnist", "test")
    t0 = time.perf_counter()
    evaluate(model, full_test, device="cpu")
    out["eval_samples_per_s"] = round(len(full_test) / (time.perf_counter() - t0), 1)
    out["trained_cnn"] = model
    return out


# -- a head on a frozen foundation ------------------------------------------------------------------------------
def head_network(base: torch.nn.Module) -> torch.nn.Module:
    nodes = get_template("example-cnn")["nodes"]
    ids = [n["id"] for n in nodes]
    foundation = {"name": "foundation", "input": {"shape": [1, 28, 28]},
                  "nodes": nodes[:ids.index(FOUNDATION_END) + 1]}
    doc = {"name": "head", "input": {"shape": [1, 28, 28]}, "nodes": [
        {"id": "base", "type": "Foundation", "network": foundation, "inputs": ["input"],
         "params": {"ref": "fnd-000000000000", "frozen": True}},
        {"id": "fc1", "type": "Linear", "params": {"out_features": 128}, "inputs": ["base"]},
        {"id": "relu", "type": "ReLU", "inputs": ["fc1"]},
        {"id": "drop", "type": "Dropout", "params": {"p": 0.5}, "inputs": ["relu"]},
        {"id": "fc2", "type": "Linear", "params": {"out_features": 10}, "inputs": ["drop"]}]}
    torch.manual_seed(SEED + 1)
    model = compile_network(doc)
    kept = {k: v for k, v in base.state_dict().items() if k.split(".")[0] in ids[:ids.index(FOUNDATION_END) + 1]}
    model.get_submodule("base").load_state_dict(kept)
    return model


def _graft_head(base, train_ds, cache, precision: str = "auto") -> tuple[float, float, str | None, torch.nn.Module]:
    model = head_network(base)
    hp = {"epochs": 1, "batch_size": BATCH, "lr": LR, "seed": SEED, "schedule": "none", "progress": False,
          "device": "cpu", "feature_cache": cache is not None, "precision": precision}
    t0 = time.perf_counter()
    res = train(model, train_ds, hparams=hp, feature_cache=cache)
    return res.history[0]["seconds"], time.perf_counter() - t0, res.feature_cache, model


def _floor(base, train_ds) -> float:
    """A plain loop training the same head on precomputed features (the features are not timed)."""
    model = head_network(base)
    x, _ = normalized(train_ds)
    with torch.no_grad():
        feats = torch.cat([model.base(x[i:i + 512]) for i in range(0, len(x), 512)])
    y = torch.from_numpy(train_ds.labels.astype(np.int64))
    head = torch.nn.Sequential(model.fc1, torch.nn.ReLU(), torch.nn.Dropout(0.5), model.fc2).train()
    opt = torch.optim.Adam(head.parameters(), lr=LR)
    t0 = time.perf_counter()
    perm = torch.randperm(len(y))
    for i in range(0, len(y), BATCH):
        idx = perm[i:i + BATCH]
        opt.zero_grad()
        loss = F.cross_entropy(head(feats[idx]), y[idx])
        loss.backward()
        opt.step()
    return time.perf_counter() - t0


def _plain_naive(base, train_ds) -> float:
    """What a user writes by hand: a DataLoader loop, the frozen part run under no_grad at every step."""
    model = head_network(base)
    frozen = model.base.eval()
    for p in frozen.parameters():
        p.requires_grad_(False)
    x, y = normalized(train_ds)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=BATCH, shuffle=True,
                                         generator=torch.Generator().manual_seed(SEED))
    head = torch.nn.Sequential(model.fc1, torch.nn.ReLU(), torch.nn.Dropout(0.5), model.fc2).train()
    opt = torch.optim.Adam(head.parameters(), lr=LR)
    t0 = time.perf_counter()
    for xb, yb in loader:
        with torch.no_grad():
            f = frozen(xb)
        opt.zero_grad()
        loss = F.cross_entropy(head(f), yb)
        loss.backward()
        opt.step()
    return time.perf_counter() - t0


def frozen_head(base: torch.nn.Module, n_train: int = 6400, n_test: int = 2000, rounds: int = 4) -> dict:
    train_ds, test_ds = datasets(n_train, n_test)
    norm = {"mean": float(train_ds.mean), "std": float(train_ds.std)}
    naive, cold_call, warm, floor = [], [], [], []
    naive_call: list[float] = []
    plain_naive: list[float] = []
    states = []
    for _ in range(rounds):
        epoch_s, call_s, _, naive_model = _graft_head(base, train_ds, None)
        naive.append(epoch_s)
        naive_call.append(call_s)
        cache = FeatureCache()                           # empty: this call computes the features
        _, call_s, state, _ = _graft_head(base, train_ds, cache)
        cold_call.append(call_s)
        epoch_s, _, warm_state, warm_model = _graft_head(base, train_ds, cache)   # a second head, cache filled
        warm.append(epoch_s)
        states.append((state, warm_state))
        floor.append(_floor(base, train_ds))
        plain_naive.append(_plain_naive(base, train_ds))
    med = {k: statistics.median(v) for k, v in
           {"naive": naive, "naive_call": naive_call, "cold_call": cold_call, "warm": warm, "floor": floor}.items()}
    acc_naive, acc_cached = accuracy(naive_model, test_ds, norm), accuracy(warm_model, test_ds, norm)
    # the same pair in float32: what caching saves where the frozen part's forward pass is not cheap
    naive32 = _graft_head(base, train_ds, None, "fp32")[0]
    cache32 = FeatureCache()
    _graft_head(base, train_ds, cache32, "fp32")
    warm32 = _graft_head(base, train_ds, cache32, "fp32")[0]
    return {
        "head_subset": n_train, "cache_states": states,
        "naive_epoch_s": naive, "naive_call_s": naive_call, "cold_call_s": cold_call, "warm_epoch_s": warm,
        "floor_epoch_s": floor, "test_accuracy_naive": acc_naive, "test_accuracy_cached": acc_cached,
        "frozen_head_epoch_speedup": round(med["naive"] / med["warm"], 2),
        "frozen_head_vs_floor": round(med["warm"] / med["floor"], 2),
        "frozen_head_cold_vs_naive": round(med["cold_call"] / med["naive_call"], 2),
        "frozen_head_accuracy_delta": round(100 * (acc_cached - acc_naive), 2),
        "fp32_naive_epoch_s": naive32, "fp32_warm_epoch_s": warm32,
        "frozen_head_epoch_speedup_fp32": round(naive32 / warm32, 2),
        "plain_naive_epoch_s": plain_naive,
        "frozen_head_speedup_vs_plain_naive": round(statistics.median(plain_naive) / med["warm"], 2),
    }
