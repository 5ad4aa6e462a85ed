"""Data-parallel training with torch.distributed: what engine.train needs to run as one rank of many.

The launcher (graft.ops.distributed, through torchrun) starts the processes and calls `init()`; engine.train
then asks `topology()` whether it is one of several ranks. Every rank walks the same seeded permutation and
takes its stride of each global batch (`shard`), so the global batch stays `batch_size` and DDP's gradient
average is the one-process gradient of that batch. Only rank 0 writes checkpoints and reports progress.
"""
from __future__ import annotations

import math
import os
from datetime import timedelta
from typing import Any, Callable

import torch
import torch.distributed as dist
from torch import nn


def topology() -> tuple[int, int]:
    """(rank, world size); (0, 1) outside a process group."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def init(timeout_s: float = 600.0) -> torch.device:
    """Join the process group torchrun describes in the environment: nccl with one GPU per local rank on CUDA,
    gloo on the CPU. Returns this rank's device."""
    if torch.cuda.is_available():
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
        backend = "nccl"
    else:
        device, backend = torch.device("cpu"), "gloo"
    dist.init_process_group(backend, timeout=timedelta(seconds=timeout_s))
    return device


def barrier() -> None:
    """Wait for every rank (no-op alone): training ends together, so that no rank tears down its connections
    while a peer is still inside a collective (a gloo peer that loses its connection mid-operation aborts)."""
    if topology()[1] > 1:
        dist.barrier()


def close() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def steps_per_epoch(n: int, batch_size: int, world: int) -> int:
    """Global steps per epoch; a last global batch too small to give every rank a sample is dropped."""
    steps = math.ceil(n / batch_size)
    if world > 1 and steps > 1 and n - (steps - 1) * batch_size < world:
        steps -= 1
    return steps


def shard(batch: torch.Tensor, rank: int, world: int) -> torch.Tensor:
    """This rank's part of a global batch of sample indices (a stride, so the sizes differ by at most one)."""
    return batch if world == 1 else batch[rank::world]


class _Runner(nn.Module):
    """GraphModule.run as a forward(), so that DDP can wrap a network fed by cached foundation outputs."""

    def __init__(self, graph: nn.Module):
        super().__init__()
        self.graph = graph

    def forward(self, values: dict[str, torch.Tensor]) -> Any:
        return self.graph.run(values)


def wrap(model: nn.Module, device: torch.device) -> Callable[[dict[str, torch.Tensor]], Any]:
    """The callable the training step runs: `model.run` alone, or DDP around it in a process group.

    Wrapping broadcasts rank 0's parameters and buffers, so call it before any frozen foundation's outputs are
    cached: every rank then computes its features from the same weights.
    """
    if topology()[1] == 1:
        return model.run
    ids = [device.index] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(_Runner(model), device_ids=ids)


def all_sum(*values: torch.Tensor) -> list[torch.Tensor]:
    """Sums over ranks (one collective per tensor; called once per epoch)."""
    if topology()[1] == 1:
        return list(values)
    out = []
    for v in values:
        v = v.clone()
        dist.all_reduce(v, op=dist.ReduceOp.SUM)
        out.append(v)
    return out
