"""Small networks and a few hundred MNIST samples: every engine test runs in seconds."""
from __future__ import annotations

import copy
from types import SimpleNamespace

import numpy as np
import pytest

from graft.data.dataset import Dataset, load_dataset


def small_cnn(bn: bool = True) -> dict:
    """A shrunken example-cnn (8/16 channels) with BatchNorm, ending in a 10-way Linear."""
    nodes = [{"id": "conv1", "type": "Conv2d", "params": {"out_channels": 8, "kernel_size": 3}, "inputs": ["input"]}]
    prev = "conv1"
    if bn:
        nodes.append({"id": "bn1", "type": "BatchNorm2d", "inputs": ["conv1"]})
        prev = "bn1"
    nodes += [
        {"id": "relu1", "type": "ReLU", "inputs": [prev]},
        {"id": "conv2", "type": "Conv2d", "params": {"out_channels": 16, "kernel_size": 3, "stride": 2},
         "inputs": ["relu1"]},
        {"id": "relu2", "type": "ReLU", "inputs": ["conv2"]},
        {"id": "pool", "type": "MaxPool2d", "params": {"kernel_size": 2}, "inputs": ["relu2"]},
        {"id": "drop1", "type": "Dropout", "params": {"p": 0.25}, "inputs": ["pool"]},
        {"id": "flatten", "type": "Flatten", "inputs": ["drop1"]},
        {"id": "fc1", "type": "Linear", "params": {"out_features": 32}, "inputs": ["flatten"]},
        {"id": "relu3", "type": "ReLU", "inputs": ["fc1"]},
        {"id": "drop2", "type": "Dropout", "params": {"p": 0.5}, "inputs": ["relu3"]},
        {"id": "fc2", "type": "Linear", "params": {"out_features": 10}, "inputs": ["drop2"]},
    ]
    return {"name": "small-cnn", "input": {"shape": [1, 28, 28]}, "nodes": nodes}


def foundation_of(doc: dict, end: str = "flatten") -> dict:
    """The nodes of `doc` up to and including `end` as a network (what slicing keeps)."""
    out = copy.deepcopy(doc)
    ids = [n["id"] for n in out["nodes"]]
    out["nodes"] = out["nodes"][:ids.index(end) + 1]
    out["name"] = "foundation"
    return out


def grafted(foundation: dict, frozen: bool = True, lr_multiplier: float = 1.0) -> dict:
    """A new head (fc 32 -> relu -> dropout -> fc 10) on a Foundation node `base`."""
    return {"name": "grafted", "input": {"shape": [1, 28, 28]}, "nodes": [
        {"id": "base", "type": "Foundation", "network": foundation, "inputs": ["input"],
         "params": {"ref": "fnd-000000000000", "frozen": frozen, "lr_multiplier": lr_multiplier}},
        {"id": "fc1", "type": "Linear", "params": {"out_features": 32}, "inputs": ["base"]},
        {"id": "relu", "type": "ReLU", "inputs": ["fc1"]},
        {"id": "drop", "type": "Dropout", "params": {"p": 0.5}, "inputs": ["relu"]},
        {"id": "fc2", "type": "Linear", "params": {"out_features": 10}, "inputs": ["drop"]},
    ]}


@pytest.fixture(scope="session")
def train_small() -> Dataset:
    return load_dataset({"dataset": "mnist", "transforms": [{"limit": 320}]}, "train")


@pytest.fixture(scope="session")
def test_small() -> Dataset:
    return load_dataset({"dataset": "mnist", "transforms": [{"limit": 200}]}, "test")


def with_images(ds: Dataset, images: np.ndarray, tag: str) -> Dataset:
    return Dataset(name=ds.name, images=images, labels=ds.labels, classes=ds.classes,
                   fingerprint=ds.fingerprint + tag, split=ds.split)


FAST = {"epochs": 1, "batch_size": 32, "lr": 3e-3, "seed": 0, "progress": False}


@pytest.fixture(scope="session")
def nets() -> SimpleNamespace:
    """The helpers above, for the test modules (conftest is not importable by name)."""
    return SimpleNamespace(small_cnn=small_cnn, foundation_of=foundation_of, grafted=grafted,
                           with_images=with_images, fast=dict(FAST))
