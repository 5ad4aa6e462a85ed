import os

import pytest

# Tests share two CPU cores with everything else; one intra-op thread keeps them predictable.
os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture
def tiny_data():
    """A small, balanced MNIST subset: 20 images per class (200 in all)."""
    return {"dataset": "mnist", "transforms": [{"per_class": 20, "seed": 0}]}


@pytest.fixture
def tiny_cnn():
    return {
        "name": "tiny-cnn",
        "input": {"shape": [1, 28, 28]},
        "nodes": [
            {"id": "conv1", "type": "Conv2d", "params": {"out_channels": 4, "kernel_size": 3}, "inputs": ["input"]},
            {"id": "relu1", "type": "ReLU", "inputs": ["conv1"]},
            {"id": "pool", "type": "MaxPool2d", "params": {"kernel_size": 4}, "inputs": ["relu1"]},
            {"id": "flatten", "type": "Flatten", "inputs": ["pool"]},
            {"id": "fc", "type": "Linear", "params": {"out_features": 10}, "inputs": ["flatten"]},
        ],
    }
