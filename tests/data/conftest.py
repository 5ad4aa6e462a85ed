"""Fixtures for the data tests: tiny IDX inputs built in tmp folders."""
from __future__ import annotations

import gzip

import numpy as np
import pytest

from datahelpers import idx_bytes


@pytest.fixture
def tiny_arrays():
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(12, 4, 4), dtype=np.uint8)
    labels = np.arange(12, dtype=np.uint8) % 3
    return images, labels


@pytest.fixture
def idx_pair(tmp_path, tiny_arrays):
    images, labels = tiny_arrays
    folder = tmp_path / "idx"
    folder.mkdir()
    (folder / "imgs-idx3-ubyte").write_bytes(idx_bytes(images))
    (folder / "labs-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(labels)))
    return folder
