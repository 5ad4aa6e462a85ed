"""Foundation parameters applied to a compiled network: freezing and per-block learning rates.

A frozen foundation gets `requires_grad=False` and stays in eval mode while the rest trains, so its
BatchNorm statistics and dropout masks do not move either: its outputs are a fixed function of its input.
A trainable foundation gets its own optimizer param group at `lr * lr_multiplier`.

`mode` (hparams.foundation) overrides every node's params: "frozen", or "finetune" at `multiplier`, whole or,
with `unfreeze_from`, from that inner node on (the nodes before it in the foundation's order stay frozen and in
eval mode: GraphModule.pinned).
"""
from __future__ import annotations

from typing import Any

from .compile import GraphModule


def apply_foundation_params(model: GraphModule, lr: float, mode: str | None = None,
                            unfreeze_from: str | None = None, multiplier: float = 0.1) -> list[dict[str, Any]]:
    """Freeze/unfreeze the foundation blocks; return optimizer param groups (empty groups left out)."""
    if unfreeze_from is not None and mode != "finetune":
        raise ValueError(f"hparams.unfreeze_from: only with hparams.foundation finetune; found foundation {mode!r}")
    starts = _unfreeze_points(model, unfreeze_from) if unfreeze_from is not None else {}
    groups: list[dict[str, Any]] = []
    for node_id, params in model.foundations.items():
        block = model.get_submodule(node_id)
        if mode is None:
            frozen, mult = params.frozen or params.lr_multiplier == 0, params.lr_multiplier
        else:
            frozen, mult = mode == "frozen" or multiplier == 0, multiplier
        if unfreeze_from is not None and node_id not in starts:
            frozen = True                      # the inner node named is in another foundation
        block.frozen = frozen
        block.pinned = set()
        for p in block.parameters():
            p.requires_grad_(not frozen)
        if not frozen and node_id in starts:
            block.pinned = set(block.order[:block.order.index(starts[node_id])])
            for inner in block.pinned:
                for p in block.get_submodule(inner).parameters():
                    p.requires_grad_(False)
        if frozen:
            block.eval()
        else:
            block.train(model.training)
            trainable = [p for p in block.parameters() if p.requires_grad]
            groups.append({"params": trainable, "lr": lr * mult, "name": node_id})
    head = [p for name, p in model.named_parameters() if name.split(".", 1)[0] not in model.foundations]
    for p in head:
        p.requires_grad_(True)
    groups.insert(0, {"params": head, "lr": lr, "name": "head"})
    return [g for g in groups if g["params"]]


def _unfreeze_points(model: GraphModule, node: str) -> dict[str, str]:
    """{foundation node id: `node`} for the foundation(s) whose network has that node; ValueError if none has."""
    found = {fid: node for fid in model.foundations if node in model.get_submodule(fid).order}
    if not found:
        inner = {fid: model.get_submodule(fid).order for fid in model.foundations}
        listing = "; ".join(f"{fid}: {', '.join(ids)}" for fid, ids in inner.items()) or "no Foundation nodes"
        raise ValueError(f"hparams.unfreeze_from: expected a node inside a foundation ({listing}), found {node!r}")
    return found


def frozen_blocks(model: GraphModule) -> list[str]:
    return [node_id for node_id in model.foundations if model.get_submodule(node_id).frozen]


def trainable_parameters(model: GraphModule) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
