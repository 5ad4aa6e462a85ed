"""load_dataset: references, splits, transforms, fingerprints, imported data sets from a workspace."""
from __future__ import annotations

import numpy as np
import pytest

from graft.data import DataError, import_dataset, load_dataset

ODD_EVEN = {"relabel": {"map": {str(d): d % 2 for d in range(10)}, "classes": ["even", "odd"]}}


def test_keep_classes_gives_five_remapped_classes():
    ds = load_dataset({"dataset": "mnist", "transforms": [{"keep_classes": [5, 6, 7, 8, 9]}]}, "test")
    full = load_dataset("mnist", "test")
    assert ds.classes == ["5", "6", "7", "8", "9"]
    assert sorted(np.unique(ds.labels).tolist()) == [0, 1, 2, 3, 4]
    assert len(ds) == int((full.labels >= 5).sum())
    assert ds.counts()["5"] == full.counts()["5"]


def test_keep_classes_without_remap_keeps_labels_and_accepts_names():
    ds = load_dataset({"dataset": "mnist", "transforms": [{"keep_classes": ["7", 3], "remap": False}]}, "test")
    assert set(np.unique(ds.labels).tolist()) == {3, 7} and len(ds.classes) == 10


def test_odd_even_relabel():
    full = load_dataset("mnist", "test")
    ds = load_dataset({"dataset": "mnist", "transforms": [ODD_EVEN]}, "test")
    assert ds.classes == ["even", "odd"]
    assert np.array_equal(ds.labels, full.labels % 2)


def test_relabel_must_place_every_label():
    partial = {"relabel": {"map": {"0": 0, "1": 1}, "classes": ["a", "b"]}}
    with pytest.raises(DataError, match=r"transforms\[0\].*labels \[2, 3"):
        load_dataset({"dataset": "mnist", "transforms": [partial]}, "test")


def test_per_class_exact_counts_and_determinism():
    ref = {"dataset": "mnist", "transforms": [{"per_class": 7, "seed": 3}]}
    a, b = load_dataset(ref, "train"), load_dataset(ref, "train")
    assert set(a.counts().values()) == {7} and len(a) == 70
    assert np.array_equal(a.images, b.images) and a.fingerprint == b.fingerprint
    other = load_dataset({"dataset": "mnist", "transforms": [{"per_class": 7, "seed": 4}]}, "train")
    assert not np.array_equal(a.images, other.images) and a.fingerprint != other.fingerprint


def test_per_class_more_than_available_names_the_class():
    with pytest.raises(DataError, match="class '5' has only 892"):
        load_dataset({"dataset": "mnist", "transforms": [{"per_class": 900}]}, "test")


def test_limit_and_chain_order():
    ds = load_dataset({"dataset": "mnist", "transforms": [{"keep_classes": [1]}, {"limit": 5}]}, "train")
    assert len(ds) == 5 and ds.classes == ["1"] and ds.labels.tolist() == [0] * 5


@pytest.mark.parametrize("bad, message", [
    ([{"blur": 3}], "unknown transform 'blur'"),
    ([{"limit": 0}], "at least 1"),
    ([{"limit": 5, "seed": 1}], "unknown option 'seed' for limit"),
    ([{"keep_classes": [5, 5]}], "twice"),
    ([{"keep_classes": [10]}], "out of range"),
    ([{"relabel": {"map": [0, 2], "classes": ["a", "b"]}}], "sends 1 to 2"),
    ("limit", "expected a list"),
])
def test_bad_transforms_name_the_problem(bad, message):
    with pytest.raises(DataError, match=message) as err:
        load_dataset({"dataset": "mnist", "transforms": bad}, "test")
    assert isinstance(err.value, ValueError) and "transforms" in str(err.value)


def test_fingerprint_depends_on_chain_and_split_but_not_on_spelling():
    base = load_dataset("mnist", "test").fingerprint
    assert load_dataset({"dataset": "mnist", "transforms": []}, "test").fingerprint == base
    assert load_dataset("mnist", "train").fingerprint != base
    a = load_dataset({"dataset": "mnist", "transforms": [{"per_class": 3}]}, "test").fingerprint
    b = load_dataset({"dataset": "mnist", "transforms": [{"seed": 0, "per_class": 3}]}, "test").fingerprint
    assert a == b != base


def test_val_split_is_carved_from_train_deterministically():
    ref = {"dataset": "mnist", "val_fraction": 0.1}
    train, val = load_dataset(ref, "train"), load_dataset(ref, "val")
    assert (len(train), len(val)) == (54000, 6000)
    again = load_dataset(ref, "val")
    assert np.array_equal(val.images, again.images)
    # no sample is in both: compare whole images as bytes rows
    t = {bytes(r) for r in train.images[:, 0].reshape(len(train), -1)[::50]}
    assert not t & {bytes(r) for r in val.images[:, 0].reshape(len(val), -1)}
    assert train.fingerprint != load_dataset("mnist", "train").fingerprint
    assert load_dataset(ref, "test").fingerprint == load_dataset("mnist", "test").fingerprint


def test_split_from_ref_and_errors():
    assert len(load_dataset({"dataset": "mnist", "split": "test"})) == 10000
    with pytest.raises(DataError, match="val_fraction"):
        load_dataset("mnist", "val")
    with pytest.raises(DataError, match="unknown split 'dev'"):
        load_dataset("mnist", "dev")
    with pytest.raises(DataError, match="unknown field 'seed'"):
        load_dataset({"dataset": "mnist", "seed": 1}, "train")
    with pytest.raises(DataError, match="val_fraction"):
        load_dataset({"dataset": "mnist", "val_fraction": 1.5}, "train")


def test_stats_have_counts_and_pixel_statistics_not_data():
    stats = load_dataset({"dataset": "mnist", "transforms": [ODD_EVEN]}, "train").stats()
    assert stats["size"] == 60000 and stats["shape"] == [1, 28, 28]
    assert stats["counts"] == {"even": 29492, "odd": 30508}  # 5923+5958+5842+5918+5851 even
    assert stats["mean"] == pytest.approx(0.1307, abs=1e-4) and stats["std"] == pytest.approx(0.3081, abs=1e-4)
    assert all(not isinstance(v, np.ndarray) for v in stats.values())


def test_imported_dataset_loads_from_workspace_by_id(tmp_path, idx_pair, tiny_arrays):
    ds_id = "ds-0123456789ab"
    import_dataset(idx_pair, name="tiny", staging_dir=tmp_path / "ws" / "artifacts" / ds_id, test_fraction=0.25)
    train = load_dataset({"dataset": ds_id, "transforms": [{"keep_classes": [2, 0]}]}, "train",
                         workspace_root=tmp_path / "ws")
    test = load_dataset(ds_id, "test", workspace_root=tmp_path / "ws")
    assert len(test) == 3 and len(load_dataset(ds_id, "train", workspace_root=tmp_path / "ws")) == 9
    assert train.classes == ["2", "0"] and train.name == "tiny"
    images, labels = tiny_arrays
    assert isinstance(test.images, np.memmap)  # stored data is mapped, not read whole
    row = test.images[0, 0]
    assert any(np.array_equal(row, im) for im in images)
    with pytest.raises(DataError, match="workspace"):
        load_dataset(ds_id, "train")
    with pytest.raises(DataError, match="no such data set"):
        load_dataset("ds-ffffffffffff", "train", workspace_root=tmp_path / "ws")
