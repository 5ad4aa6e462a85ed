"""Recipes (spec.layers.Recipe: pure descriptions of a layer's module) into torch modules.

MODULES maps every op kind a recipe may name to its constructor, by an explicit table: a document's text
never selects a class by name. Dropout and Flatten are graft's faster drop-ins (engine.modules).
"""
from __future__ import annotations

from typing import Any, Callable

from torch import nn

from ..spec.layers import OPS, Recipe
from . import modules, modules_vit

MODULES: dict[str, Callable[..., nn.Module]] = {
    "Conv1d": nn.Conv1d, "Conv2d": nn.Conv2d, "ConvTranspose2d": nn.ConvTranspose2d,
    "MaxPool2d": nn.MaxPool2d, "AvgPool2d": nn.AvgPool2d, "AdaptiveAvgPool2d": nn.AdaptiveAvgPool2d,
    "Upsample": nn.Upsample, "BatchNorm1d": nn.BatchNorm1d, "BatchNorm2d": nn.BatchNorm2d, "LayerNorm": nn.LayerNorm,
    "Dropout": modules.Dropout, "ReLU": nn.ReLU, "LeakyReLU": nn.LeakyReLU, "GELU": nn.GELU, "SiLU": nn.SiLU,
    "Sigmoid": nn.Sigmoid, "Tanh": nn.Tanh, "Flatten": modules.Flatten, "Unflatten": nn.Unflatten,
    "Sequential": nn.Sequential, "Linear": nn.Linear, "Add": modules.AddModule, "Concat": modules.ConcatModule,
    "ReLU6": nn.ReLU6, "Hardswish": nn.Hardswish, "Hardsigmoid": nn.Hardsigmoid, "Mul": modules.MulModule,
    "ConstantPad2d": nn.ConstantPad2d, "Permute": modules.Permute, "Scale": modules.Scale,
    "LayerNormDim": modules.LayerNormDim, **modules_vit.MODULES,
}
assert set(MODULES) == OPS, sorted(set(MODULES) ^ OPS)


def build(recipe: Recipe) -> nn.Module:
    """The module a recipe describes (a Sequential's parts are built first, in order)."""
    return MODULES[recipe.op](*(_value(a) for a in recipe.args), **recipe.kwargs)


def _value(arg: Any) -> Any:
    return build(arg) if isinstance(arg, Recipe) else arg
