"""Importers for IDX pairs, NPZ and CSV; kind sniffing; the staged stored form."""
from __future__ import annotations

import json

import numpy as np
import pytest

from datahelpers import files_under
from graft.data import DataError, import_dataset, sniff_kind


def _csv(tmp_path, text: str, name: str = "d.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def _rows(n: int = 3, pixels: int = 4) -> list[str]:
    return [",".join([str(i % 2)] + [str((i * 7 + j) % 256) for j in range(pixels)]) for i in range(n)]


def test_csv_with_header_label_column_anywhere(tmp_path):
    text = "p0,p1,label,p2,p3\n1,2,1,3,4\n\n5,6,0,7,8\n"
    images, labels, classes = import_dataset(_csv(tmp_path, text))
    assert labels.tolist() == [1, 0] and classes == ["0", "1"]
    assert images.shape == (2, 1, 2, 2) and images[1, 0].ravel().tolist() == [5, 6, 7, 8]


def test_csv_without_header_uses_first_column_and_shape(tmp_path):
    images, labels, _ = import_dataset(_csv(tmp_path, "\n".join(_rows(5, 12)) + "\n"), shape=[3, 2, 2])
    assert images.shape == (5, 3, 2, 2) and labels.tolist() == [0, 1, 0, 1, 0]


@pytest.mark.parametrize("bad_row, row, message", [
    ("1,2,3", 3, "expected 5 columns, found 3"),
    ("1,2,x,4,5", 3, "column 3 is not a number"),
    ("1,2,256,4,5", 3, "pixel value 256 is outside 0-255"),
    ("1,2,-1,4,5", 3, "outside 0-255"),
    ("1,2,3.5,4,5", 3, "not a whole number"),
    ("-2,2,3,4,5", 3, "label -2 is negative"),
    ("1e12,2,3,4,5", 3, "label 1e12 is negative or too large"),
    ("1,2,nan,4,5", 3, "not a whole number"),
])
def test_csv_bad_rows_are_reported_with_their_row(tmp_path, bad_row, row, message):
    text = "label,a,b,c,d\n" + _rows(1)[0] + "\n" + bad_row + "\n" + _rows(1)[0] + "\n"
    with pytest.raises(DataError, match=message) as err:
        import_dataset(_csv(tmp_path, text))
    assert err.value.row == row and f"d.csv, row {row}" in str(err.value)


def test_csv_row_numbers_past_the_first_chunk(tmp_path):
    rows = _rows(5000)
    rows[4321] = "1,2,3"
    with pytest.raises(DataError) as err:
        import_dataset(_csv(tmp_path, "\n".join(rows)))
    assert err.value.row == 4322


def test_csv_not_square_and_not_utf8(tmp_path):
    with pytest.raises(DataError, match="3 pixel columns is not a square"):
        import_dataset(_csv(tmp_path, "1,2,3,4\n"))
    p = tmp_path / "latin.csv"
    p.write_bytes(b"1,2,3,4,5\n\xff\xfe,1\n")
    with pytest.raises(DataError, match="not UTF-8"):
        import_dataset(p)


def test_npz_keys_layouts_and_classes(tmp_path):
    x = np.random.default_rng(0).integers(0, 256, (6, 5, 5, 3)).astype(np.int64)  # NHWC, int64 in range
    p = tmp_path / "d.npz"
    np.savez(p, images=x, labels=np.array([0, 1, 2, 0, 1, 2]), classes=np.array(["cat", "dog", "eel"]))
    images, labels, classes = import_dataset(p)
    assert images.shape == (6, 3, 5, 5) and images.dtype == np.uint8 and classes == ["cat", "dog", "eel"]
    assert np.array_equal(images[2, 1], x[2, :, :, 1])


@pytest.mark.parametrize("arrays, message", [
    ({"x": np.zeros((2, 3, 3)), "y": np.array([0, None], dtype=object)}, "object arrays"),
    ({"a": np.zeros((2, 3, 3)), "b": np.zeros(2)}, r"expected arrays named x and y.*found \['a', 'b'\]"),
    ({"x": np.full((2, 3, 3), 0.5), "y": np.zeros(2, dtype=int)}, "whole numbers 0-255"),
    ({"x": np.full((2, 3, 3), 300), "y": np.zeros(2, dtype=int)}, "0-255"),
    ({"x": np.zeros((2, 3, 3)), "y": np.zeros(3, dtype=int)}, "count mismatch"),
    ({"x": np.zeros((2, 5, 5, 5)), "y": np.zeros(2, dtype=int)}, r"found \[2, 5, 5, 5\]"),
    ({"x": np.zeros((2, 3, 3)), "y": np.array(["a", "b"])}, "labels must be whole numbers"),
])
def test_npz_refusals(tmp_path, arrays, message):
    p = tmp_path / "bad.npz"
    np.savez(p, **arrays)
    with pytest.raises(DataError, match=message) as err:
        import_dataset(p)
    assert "bad.npz" in str(err.value)


def test_huge_label_without_class_names_is_refused(tmp_path):
    with pytest.raises(DataError, match="label 70000 implies more than 10000 classes"):
        import_dataset(_csv(tmp_path, "70000,1,2,3,4\n"))
    images, labels, classes = import_dataset(_csv(tmp_path, "1,1,2,3,4\n"), classes=["no", "yes"])
    assert classes == ["no", "yes"] and labels.tolist() == [1]


def test_npz_not_a_zip(tmp_path):
    p = tmp_path / "x.npz"
    p.write_bytes(b"\x93NUMPY not really")
    with pytest.raises(DataError, match="not an NPZ archive"):
        import_dataset(p)


def test_idx_folder_and_pair_import(idx_pair, tiny_arrays):
    images, labels, classes = import_dataset(idx_pair)
    assert np.array_equal(images[:, 0], tiny_arrays[0]) and classes == ["0", "1", "2"]
    pair = (idx_pair / "imgs-idx3-ubyte", idx_pair / "labs-idx1-ubyte.gz")
    assert np.array_equal(import_dataset(pair)[1], labels)


def test_sniffing(tmp_path, idx_pair):
    assert sniff_kind(idx_pair) == "idx"
    assert sniff_kind(_csv(tmp_path, "1,2\n", name="data.txt")) == "csv"
    np.savez(tmp_path / "arrays.npz", x=np.zeros((1, 2, 2)), y=np.zeros(1))
    (tmp_path / "arrays.npz").rename(tmp_path / "arrays.bin")
    assert sniff_kind(tmp_path / "arrays.bin") == "npz"  # by content: a zip of .npy members
    with pytest.raises(DataError, match="IDX file alone has no labels"):
        sniff_kind(idx_pair / "imgs-idx3-ubyte")
    (tmp_path / "blob").write_bytes(bytes(range(256)))
    with pytest.raises(DataError, match="cannot tell the kind"):
        sniff_kind(tmp_path / "blob")


def test_staging_writes_only_there(tmp_path, idx_pair):
    before = files_under(tmp_path)
    stage = tmp_path / "stage"
    import_dataset(idx_pair, name="tiny", staging_dir=stage, classes=["a", "b", "c"])
    assert files_under(tmp_path) - before == {"stage", *(f"stage/{f}" for f in files_under(stage))}
    meta = json.loads((stage / "dataset.json").read_text())
    assert meta["classes"] == ["a", "b", "c"] and meta["splits"]["train"]["count"] == 12
    assert len(meta["sha256"]) == 64 and meta["source"] == "idx"
