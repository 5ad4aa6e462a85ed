"""NPZ while an import spools: each image array is copied from its zip member (stored or deflated) a chunk at a
time into the staging folder and memory-mapped; the stored data set is the one the in-memory reader gives (same
arrays, same dataset hash), refusals are the same, and nothing is left behind."""
from __future__ import annotations

import mmap

import numpy as np
import pytest

from graft.data import DataError, idx, import_to, read_dataset
from graft.data import ingest, npzstream


def file_backed(arr) -> bool:
    while arr is not None and not isinstance(arr, mmap.mmap):
        arr = getattr(arr, "base", None)
    return arr is not None


def in_memory_meta(path, staged):
    return ingest.stage(read_dataset(path, display_name="d.npz"), staged, "d", "d.npz")


ARRAYS = {
    "uint8 NHW": lambda r: {"x": r.integers(0, 256, (70, 9, 7), dtype=np.uint8), "y": r.integers(0, 4, 70)},
    "int64 NHWC": lambda r: {"images": r.integers(0, 256, (70, 6, 5, 3)), "labels": r.integers(0, 3, 70),
                             "classes": np.array(["cat", "dog", "eel"])},
    "float NCHW, Keras splits": lambda r: {"x_train": r.integers(0, 256, (60, 3, 4, 4)).astype(np.float32),
                                           "y_train": r.integers(0, 5, 60).astype(np.float64),
                                           "x_test": r.integers(0, 256, (20, 3, 4, 4)).astype(np.float32),
                                           "y_test": r.integers(0, 5, 20)},
    "bool, Fortran order": lambda r: {"x": np.asfortranarray(r.integers(0, 2, (50, 8, 8)).astype(bool)),
                                      "y": r.integers(0, 2, 50)},
}


@pytest.mark.parametrize("compressed", [False, True], ids=["stored", "deflated"])
@pytest.mark.parametrize("case", list(ARRAYS))
def test_npz_spools_and_stores_what_the_in_memory_reader_stores(tmp_path, monkeypatch, case, compressed):
    monkeypatch.setattr(idx, "SPOOL_CHUNK", 1000)   # many chunks even for small arrays
    arrays = ARRAYS[case](np.random.default_rng(4))
    path = tmp_path / "d.npz"
    (np.savez_compressed if compressed else np.savez)(path, **arrays)
    in_memory = read_dataset(path, display_name="d.npz")
    spool = tmp_path / "spool"
    with idx.spooling(spool):
        spooled = read_dataset(path, display_name="d.npz")
        assert all(file_backed(im) for im, _ in spooled.splits.values()) and list(spool.iterdir()) == []
    assert spooled.splits.keys() == in_memory.splits.keys() and spooled.classes == in_memory.classes
    for split, (im, lab) in in_memory.splits.items():
        assert np.array_equal(spooled.splits[split][0], im) and np.array_equal(spooled.splits[split][1], lab)
    streamed = import_to(path, tmp_path / "staged", display_name="d.npz", name="d")
    assert streamed["sha256"] == in_memory_meta(path, tmp_path / "mem")["sha256"]
    assert {p.name for p in (tmp_path / "staged").iterdir()} == {"dataset.json", *streamed["files"]}


@pytest.mark.parametrize("arrays, message", [
    ({"x": np.zeros((2, 3, 3)), "y": np.array([0, None], dtype=object)}, "object arrays"),
    ({"x": np.array([[[0, None]]], dtype=object), "y": np.zeros(1)}, "object arrays"),
    ({"a": np.zeros((2, 3, 3)), "b": np.zeros(2)}, r"expected arrays named x and y.*found \['a', 'b'\]"),
    ({"x": np.full((2, 3, 3), 0.5), "y": np.zeros(2, dtype=int)}, "whole numbers 0-255"),
    ({"x": np.concatenate([np.zeros((40, 3, 3)), np.full((2, 3, 3), 300.0), -np.ones((40, 3, 3))]),
      "y": np.zeros(82, dtype=int)}, r"0-255 \(found -1.0 to 300.0\)"),
    ({"x": np.zeros((2, 3, 3)), "y": np.zeros(3, dtype=int)}, "count mismatch"),
    ({"x": np.zeros((2, 5, 5, 5)), "y": np.zeros(2, dtype=int)}, r"found \[2, 5, 5, 5\]"),
    ({"x": np.zeros((2, 3, 3)), "y": np.array(["a", "b"])}, "labels must be whole numbers"),
])
def test_npz_refusals_while_spooling_match_and_leave_nothing(tmp_path, monkeypatch, arrays, message):
    monkeypatch.setattr(idx, "SPOOL_CHUNK", 100)
    p = tmp_path / "upload.npz"
    np.savez(p, **arrays)
    with pytest.raises(DataError, match=message) as in_memory:
        read_dataset(p, display_name="bad.npz")
    with pytest.raises(DataError, match=message) as spooled:
        import_to(p, tmp_path / "staged", display_name="bad.npz", name="bad")
    assert str(spooled.value) == str(in_memory.value) and "bad.npz" in str(spooled.value)
    assert "upload" not in str(spooled.value) and not (tmp_path / "staged").exists()


def test_a_truncated_or_corrupt_member_is_refused_while_spooling(tmp_path):
    import zipfile
    x = np.random.default_rng(0).integers(0, 256, (30, 8, 8), dtype=np.uint8)
    header = npzstream.np.lib.format
    with zipfile.ZipFile(tmp_path / "short.npz", "w") as zf:
        with zf.open("x.npy", "w") as fh:
            header.write_array_header_1_0(fh, header.header_data_from_array_1_0(x))
            fh.write(x.tobytes()[:-10])
        zf.writestr("y.npy", _npy(np.zeros(30, dtype=np.uint8)))
    with pytest.raises(DataError, match=r"short.npz:x: array data truncated \(expected 1920 bytes, found 1910\)"):
        import_to(tmp_path / "short.npz", tmp_path / "staged", display_name="short.npz", name="s")
    assert not (tmp_path / "staged").exists()


def _npy(arr):
    import io
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()
