"""Foundation parameters applied to a compiled network: freezing and per-block learning rates.

A frozen foundation gets `requires_grad=False` and stays in eval mode while the rest trains, so its
BatchNorm statistics and dropout masks do not move either: its outputs are a fixed function of its input.
A trainable foundation gets its own optimizer param group at `lr * lr_multiplier`.
"""
from __future__ import annotations

from typing import Any

from .compile import GraphModule


def apply_foundation_params(model: GraphModule, lr: float) -> list[dict[str, Any]]:
    """Freeze/unfreeze the foundation blocks; return optimizer param groups (empty groups left out)."""
    groups: list[dict[str, Any]] = []
    for node_id, params in model.foundations.items():
        block = model.get_submodule(node_id)
        frozen = params.frozen or params.lr_multiplier == 0
        block.frozen = frozen
        for p in block.parameters():
            p.requires_grad_(not frozen)
        if frozen:
            block.eval()
        else:
            block.train(model.training)
            groups.append({"params": list(block.parameters()), "lr": lr * params.lr_multiplier,
                           "name": node_id})
    head = [p for name, p in model.named_parameters() if name.split(".", 1)[0] not in model.foundations]
    for p in head:
        p.requires_grad_(True)
    groups.insert(0, {"params": head, "lr": lr, "name": "head"})
    return [g for g in groups if g["params"]]


def frozen_blocks(model: GraphModule) -> list[str]:
    return [node_id for node_id in model.foundations if model.get_submodule(node_id).frozen]


def trainable_parameters(model: GraphModule) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
