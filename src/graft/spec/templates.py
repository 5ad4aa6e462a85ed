"""Built-in networks by name, as plain documents. Node ids are part of the contract (workflows slice at them)."""
from __future__ import annotations

import copy
from typing import Any

from .issues import Issue, SpecError
from .network import NETWORK_FORMAT

MNIST = [1, 28, 28]


def _chain(name: str, description: str, layers: list[tuple[str, str, dict]]) -> dict[str, Any]:
    """A straight chain: each node reads the one before it (the first reads the input)."""
    nodes, prev = [], "input"
    for node_id, layer_type, params in layers:
        nodes.append({"id": node_id, "type": layer_type, "params": params, "inputs": [prev]})
        prev = node_id
    return {"format": NETWORK_FORMAT, "name": name, "description": description, "input": {"shape": MNIST},
            "nodes": nodes}


TEMPLATES: dict[str, dict[str, Any]] = {
    "mlp": _chain("mlp", "Two-layer perceptron for 28x28 images.", [
        ("flatten", "Flatten", {}),
        ("fc1", "Linear", {"out_features": 128}),
        ("relu1", "ReLU", {}),
        ("fc2", "Linear", {"out_features": 10}),
    ]),
    "lenet5": _chain("lenet5", "LeNet-5 with ReLU and max pooling (28x28 input, padded first convolution).", [
        ("conv1", "Conv2d", {"out_channels": 6, "kernel_size": 5, "padding": 2}),
        ("relu1", "ReLU", {}),
        ("pool1", "MaxPool2d", {"kernel_size": 2}),
        ("conv2", "Conv2d", {"out_channels": 16, "kernel_size": 5}),
        ("relu2", "ReLU", {}),
        ("pool2", "MaxPool2d", {"kernel_size": 2}),
        ("flatten", "Flatten", {}),
        ("fc1", "Linear", {"out_features": 120}),
        ("relu3", "ReLU", {}),
        ("fc2", "Linear", {"out_features": 84}),
        ("relu4", "ReLU", {}),
        ("fc3", "Linear", {"out_features": 10}),
    ]),
    "example-cnn": _chain("example-cnn", "The classic Keras MNIST CNN (1,199,882 parameters).", [
        ("conv1", "Conv2d", {"out_channels": 32, "kernel_size": 3}),
        ("relu1", "ReLU", {}),
        ("conv2", "Conv2d", {"out_channels": 64, "kernel_size": 3}),
        ("relu2", "ReLU", {}),
        ("pool", "MaxPool2d", {"kernel_size": 2}),
        ("drop1", "Dropout", {"p": 0.25}),
        ("flatten", "Flatten", {}),
        ("fc1", "Linear", {"out_features": 128}),
        ("relu3", "ReLU", {}),
        ("drop2", "Dropout", {"p": 0.5}),
        ("fc2", "Linear", {"out_features": 10}),
    ]),
    "cnn-bn": _chain("cnn-bn", "example-cnn with batch normalisation after each convolution.", [
        ("conv1", "Conv2d", {"out_channels": 32, "kernel_size": 3}),
        ("bn1", "BatchNorm2d", {}),
        ("relu1", "ReLU", {}),
        ("conv2", "Conv2d", {"out_channels": 64, "kernel_size": 3}),
        ("bn2", "BatchNorm2d", {}),
        ("relu2", "ReLU", {}),
        ("pool", "MaxPool2d", {"kernel_size": 2}),
        ("drop1", "Dropout", {"p": 0.25}),
        ("flatten", "Flatten", {}),
        ("fc1", "Linear", {"out_features": 128}),
        ("relu3", "ReLU", {}),
        ("drop2", "Dropout", {"p": 0.5}),
        ("fc2", "Linear", {"out_features": 10}),
    ]),
    "fast-cnn": _chain("fast-cnn", "Two padded conv blocks with batch norm and pooling: as accurate as example-cnn "
                       "on MNIST with a third of its arithmetic (the seed workflow's base network).", [
        ("conv1", "Conv2d", {"out_channels": 32, "kernel_size": 3, "padding": 1}),
        ("bn1", "BatchNorm2d", {}),
        ("relu1", "ReLU", {}),
        ("pool1", "MaxPool2d", {"kernel_size": 2}),
        ("conv2", "Conv2d", {"out_channels": 64, "kernel_size": 3, "padding": 1}),
        ("bn2", "BatchNorm2d", {}),
        ("relu2", "ReLU", {}),
        ("pool2", "MaxPool2d", {"kernel_size": 2}),
        ("drop1", "Dropout", {"p": 0.25}),
        ("flatten", "Flatten", {}),
        ("fc1", "Linear", {"out_features": 128}),
        ("relu3", "ReLU", {}),
        ("drop2", "Dropout", {"p": 0.5}),
        ("fc2", "Linear", {"out_features": 10}),
    ]),
}


def get_template(name: str) -> dict[str, Any]:
    """A fresh copy of a built-in network document; SpecError (code unknown_template) for other names."""
    if name not in TEMPLATES:
        raise SpecError([Issue("unknown_template", f"there is no built-in network '{name}'", field="template",
                               expected=sorted(TEMPLATES), found=name)])
    return copy.deepcopy(TEMPLATES[name])
