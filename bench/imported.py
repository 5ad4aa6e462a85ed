"""A head on a frozen imported foundation: ResNet-18 (transformers, randomly initialised, imported with
graft.from_torch) cut before its classifier, a Linear head grafted on, trained on 3x64x64 images.

Naive: the trunk runs at every step. Warm: a second head on the same foundation, its features from the cache the
first one filled. Feature extraction (in graft's precision for this CPU, and in float32) is also given as a
fraction of this machine's matrix-multiply rate in the same precision (2048x2048, measured here), from the
trunk's FLOPs per image as torch's FlopCounterMode counts them.
"""
from __future__ import annotations

import statistics
import time

import numpy as np
import torch
from torch import nn

from graft.data.dataset import Dataset
from graft.engine.compile import compile_network
from graft.engine.features import FeatureCache
from graft.engine.precision import autocast, prefers_channels_last, uses_bf16
from graft.engine.train import train
from graft.ops.import_torch import from_torch
from graft.spec.cuts import cut_points
from graft.spec.graph import graft_network, slice_network

SHAPE, CLASSES, BATCH, SEED = (3, 64, 64), 10, 128, 0


def resnet18_head() -> tuple[dict, dict[str, torch.Tensor]]:
    """The grafted network (ResNet-18 trunk as a frozen Foundation `base`, then `fc`) and the trunk's weights."""
    from transformers import ResNetConfig, ResNetForImageClassification

    torch.manual_seed(SEED)
    config = ResNetConfig(layer_type="basic", depths=[2, 2, 2, 2], hidden_sizes=[64, 128, 256, 512], num_labels=1000,
                          return_dict=False)      # logits, not a ModelOutput
    doc, weights, _ = from_torch(ResNetForImageClassification(config), torch.randn(1, *SHAPE))
    cut = next(c for c in cut_points(doc) if c["kind"] == "classifier")
    trunk = slice_network(doc, end=cut["node"], name="resnet18-trunk")
    kept = {n.id for n in trunk.nodes}
    head = graft_network(trunk, "fnd-bench-resnet18", [{"id": "fc", "type": "Linear",
                                                        "params": {"out_features": CLASSES}}])
    return head.model_dump(), {k: torch.from_numpy(np.asarray(v)) for k, v in weights.items()
                                if k.split(".")[0] in kept}


def synthetic(n: int) -> Dataset:
    """n random 3x64x64 images; the labels follow each image's mean colour, so there is something to learn."""
    rng = np.random.default_rng(SEED)
    images = rng.integers(0, 256, size=(n, *SHAPE), dtype=np.uint8)
    labels = (images.reshape(n, 3, -1).mean(-1).argmax(1) * 3 + rng.integers(0, 3, n)).clip(0, CLASSES - 1)
    return Dataset("synthetic-64", images, labels.astype(np.int64), [str(i) for i in range(CLASSES)],
                   fingerprint=f"bench-synthetic-64-{n}")


def _model(doc: dict, trunk: dict) -> nn.Module:
    torch.manual_seed(SEED + 1)
    model = compile_network(doc)
    model.get_submodule("base").load_state_dict(trunk)
    return model


def _epoch(doc, trunk, ds, cache) -> float:
    hp = {"epochs": 1, "batch_size": BATCH, "lr": 1e-3, "seed": SEED, "schedule": "none", "progress": False,
          "device": "cpu", "feature_cache": cache is not None}
    return train(_model(doc, trunk), ds, hparams=hp, feature_cache=cache).history[0]["seconds"]


def matmul_gflops(dtype: torch.dtype, n: int = 2048, reps: int = 5) -> float:
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    a @ b
    t0 = time.perf_counter()
    for _ in range(reps):
        a @ b
    return 2 * n ** 3 * reps / (time.perf_counter() - t0) / 1e9


def extract_seconds(base: nn.Module, x: torch.Tensor, bf16: bool, channels_last: bool) -> float:
    """The trunk over every image in batches, as the feature cache fills (eval, no grad, graft's precision)."""
    if channels_last:
        base, x = base.to(memory_format=torch.channels_last), x.contiguous(memory_format=torch.channels_last)
    with torch.no_grad(), autocast(x.device, bf16):
        base(x[:BATCH])                                  # first-call costs out of the way
        t0 = time.perf_counter()
        for i in range(0, len(x), BATCH):
            base(x[i:i + BATCH])
        return time.perf_counter() - t0


def imported_foundation(n: int = 1000, rounds: int = 3) -> dict:
    from torch.utils.flop_counter import FlopCounterMode

    doc, trunk = resnet18_head()
    ds = synthetic(n)
    base = _model(doc, trunk).get_submodule("base").eval()
    x = (torch.from_numpy(ds.images).float() / 255 - ds.mean) / ds.std
    with torch.no_grad(), FlopCounterMode(display=False) as flops:
        base(x[:1])
    gflop = flops.get_total_flops() / 1e9
    cpu = torch.device("cpu")
    bf16, channels_last = uses_bf16(cpu, "auto"), prefers_channels_last(cpu)
    extract = {"fp32": extract_seconds(base, x, False, False), "graft": extract_seconds(base, x, bf16, channels_last)}
    rate = {"fp32": matmul_gflops(torch.float32), "graft": matmul_gflops(torch.bfloat16 if bf16 else torch.float32)}
    _epoch(doc, trunk, ds, None)                         # warm-up: allocator, kernels
    naive, warm = [], []
    for _ in range(rounds):
        naive.append(_epoch(doc, trunk, ds, None))
        cache = FeatureCache()
        _epoch(doc, trunk, ds, cache)                    # fills the cache
        warm.append(_epoch(doc, trunk, ds, cache))
    per_s = {k: n / v for k, v in extract.items()}
    return {
        "imported_subset": n, "imported_input": list(SHAPE), "imported_trunk_gflop_per_image": round(gflop, 3),
        "imported_trunk_params": sum(p.numel() for p in base.parameters()),
        "imported_precision": ("bf16" if bf16 else "fp32") + (", channels-last" if channels_last else ""),
        "imported_naive_epoch_s": naive, "imported_warm_epoch_s": warm,
        "imported_head_epoch_speedup": round(statistics.median(naive) / statistics.median(warm), 1),
        "imported_extract_images_per_s": round(per_s["graft"], 1),
        "imported_extract_images_per_s_fp32": round(per_s["fp32"], 1),
        "matmul_gflops": round(rate["graft"], 1), "matmul_gflops_fp32": round(rate["fp32"], 1),
        "imported_extract_fraction_of_matmul": round(per_s["graft"] * gflop / rate["graft"], 3),
        "imported_extract_fraction_of_matmul_fp32": round(per_s["fp32"] * gflop / rate["fp32"], 3),
    }
