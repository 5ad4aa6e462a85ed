"""Built-in data sets: shipped MNIST, verified on load; Fashion-MNIST from Debian or a verified download."""
from __future__ import annotations

import dataclasses
import gzip
import io
import re
import shutil

import numpy as np
import pytest

from graft.data import DataError, builtin, list_builtin, load_dataset

FASHION_PRESENT = (builtin.FASHION_SYSTEM_DIR / "train-labels-idx1-ubyte.gz").is_file()


@pytest.fixture
def fresh_cache():
    builtin.load_builtin.cache_clear()
    yield
    builtin.load_builtin.cache_clear()


def test_mnist_sizes_shapes_and_classes():
    train, test = load_dataset("mnist", "train"), load_dataset("mnist", "test")
    assert train.images.shape == (60000, 1, 28, 28) and train.images.dtype == np.uint8
    assert test.images.shape == (10000, 1, 28, 28)
    assert train.labels.dtype == np.int64 and len(train.labels) == 60000
    assert train.classes == [str(d) for d in range(10)]
    assert train.labels[:5].tolist() == [5, 0, 4, 1, 9]  # the well-known first MNIST labels
    assert sum(test.counts().values()) == 10000 and test.counts()["5"] == 892


def test_hashes_in_code_match_the_shipped_readme():
    readme = (builtin.MNIST_DIR / "README.md").read_text()
    listed = dict((name, digest) for digest, name in re.findall(r"([0-9a-f]{64})\s+(\S+)", readme))
    assert listed == builtin.BUILTINS["mnist"].hashes


def test_repeated_loads_are_cached_and_read_only():
    a = builtin.load_builtin("mnist", "test")
    b = builtin.load_builtin("mnist", "test")
    assert a[0] is b[0]
    with pytest.raises(ValueError):
        a[0][0, 0, 0, 0] = 1  # nobody can corrupt the shared cache


def test_tampered_copy_fails_naming_the_file(tmp_path, monkeypatch, fresh_cache):
    for f in builtin.MNIST_DIR.glob("t10k-*.gz"):
        shutil.copy(f, tmp_path / f.name)
    target = tmp_path / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(gzip.decompress(target.read_bytes()))
    raw[100] = (raw[100] + 1) % 10  # a plausible label, so only the hash can notice
    target.write_bytes(gzip.compress(bytes(raw)))
    b = dataclasses.replace(builtin.BUILTINS["mnist"], dirs=(tmp_path,))
    monkeypatch.setitem(builtin.BUILTINS, "mnist", b)
    with pytest.raises(DataError, match="SHA-256 mismatch") as err:
        load_dataset("mnist", "test")
    assert "t10k-labels-idx1-ubyte.gz" in str(err.value)


def test_mnist_missing_offline_says_how_to_get_it(tmp_path, monkeypatch, fresh_cache):
    monkeypatch.setenv("GRAFT_OFFLINE", "1")
    monkeypatch.setattr(builtin, "CACHE_DIR", tmp_path / "cache")
    b = dataclasses.replace(builtin.BUILTINS["fashion-mnist"], dirs=(tmp_path / "nowhere",))
    monkeypatch.setitem(builtin.BUILTINS, "fashion-mnist", b)
    with pytest.raises(DataError, match="dataset-fashion-mnist"):
        load_dataset("fashion-mnist", "test")
    assert [d["available"] for d in list_builtin() if d["name"] == "fashion-mnist"] == [False]


def test_unknown_dataset_lists_the_builtins():
    with pytest.raises(DataError, match="fashion-mnist"):
        load_dataset("cifar-10", "train")


@pytest.mark.skipif(not FASHION_PRESENT, reason="Debian package dataset-fashion-mnist not installed")
def test_fashion_mnist_from_debian():
    ds = load_dataset("fashion-mnist", "test")
    assert ds.images.shape == (10000, 1, 28, 28)
    assert ds.classes[0] == "T-shirt/top" and ds.classes[9] == "Ankle boot"
    assert set(ds.counts().values()) == {1000}


class _FakeResponse(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.skipif(not FASHION_PRESENT, reason="Debian package dataset-fashion-mnist not installed")
@pytest.mark.parametrize("tamper", [False, True])
def test_fashion_download_is_verified(tmp_path, monkeypatch, fresh_cache, tamper):
    monkeypatch.delenv("GRAFT_OFFLINE", raising=False)
    monkeypatch.setattr(builtin, "CACHE_DIR", tmp_path / "cache")
    b = dataclasses.replace(builtin.BUILTINS["fashion-mnist"], dirs=())
    monkeypatch.setitem(builtin.BUILTINS, "fashion-mnist", b)
    urls = []

    def fake_urlopen(url, timeout):
        urls.append(url)
        data = (builtin.FASHION_SYSTEM_DIR / url.rsplit("/", 1)[1]).read_bytes()
        if tamper and "labels" in url:
            data = gzip.compress(gzip.decompress(data)[:-1] + b"\x07")
        return _FakeResponse(data)

    monkeypatch.setattr("urllib.request.urlopen", fake_urlopen)
    if tamper:
        with pytest.raises(DataError, match="SHA-256 mismatch"):
            load_dataset("fashion-mnist", "test")
        kept = [p.name for p in (tmp_path / "cache" / "fashion-mnist").iterdir()]
        assert kept == ["t10k-images-idx3-ubyte.gz"]  # the good file stays, the bad one is not kept
    else:
        ds = load_dataset("fashion-mnist", "test")
        assert len(ds) == 10000 and urls[0].startswith("http")
        assert (tmp_path / "cache" / "fashion-mnist" / "t10k-images-idx3-ubyte.gz").is_file()
