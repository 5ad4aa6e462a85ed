"""Corrupt IDX files: each problem is a DataError naming the file and what is wrong."""
from __future__ import annotations

import gzip

import numpy as np
import pytest

from datahelpers import idx_bytes
from graft.data import DataError, import_dataset
from graft.data import idx


def _pair(tmp_path, images: bytes, labels: bytes, gz: bool = False):
    ip, lp = tmp_path / "bad-images-idx3-ubyte", tmp_path / "bad-labels-idx1-ubyte"
    if gz:
        ip, lp = ip.with_suffix(".gz"), lp.with_suffix(".gz")
        images, labels = gzip.compress(images), gzip.compress(labels)
    ip.write_bytes(images)
    lp.write_bytes(labels)
    return ip, lp


GOOD_IMAGES = idx_bytes(np.zeros((3, 2, 2), dtype=np.uint8))
GOOD_LABELS = idx_bytes(np.array([0, 1, 2], dtype=np.uint8))


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("images, labels, bad_file, message", [
    (b"\x01\x00" + GOOD_IMAGES[2:], GOOD_LABELS, "images", "bad IDX magic"),
    (GOOD_IMAGES[:2] + b"\x07" + GOOD_IMAGES[3:], GOOD_LABELS, "images", "bad IDX type byte 0x07"),
    (GOOD_IMAGES[:-1], GOOD_LABELS, "images", r"payload too short .* \(expected 12 bytes, found 11\)"),
    (GOOD_IMAGES + b"\0\0", GOOD_LABELS, "images", "2 trailing"),
    (GOOD_IMAGES, GOOD_LABELS[:-1], "labels", "payload too short"),
    (GOOD_IMAGES, idx_bytes(np.array([0, 1], dtype=np.uint8)), "labels", r"count mismatch \(3 images"),
    (GOOD_IMAGES[:6], GOOD_LABELS, "images", "header truncated"),
    (GOOD_IMAGES[:3] + b"\x09" + GOOD_IMAGES[4:], GOOD_LABELS, "images", "dimension count 9"),
    (idx_bytes(np.zeros((3, 2, 2), dtype=">i4"), 0x0C), GOOD_LABELS, "images", "unsigned bytes"),
    (GOOD_IMAGES, idx_bytes(np.zeros((3, 1), dtype=np.uint8)), "labels", "labels need 1 dimension"),
])
def test_corrupt_idx(tmp_path, images, labels, bad_file, message, gz):
    ip, lp = _pair(tmp_path, images, labels, gz)
    with pytest.raises(DataError, match=message) as err:
        import_dataset((ip, lp))
    assert str(ip if bad_file == "images" else lp) in str(err.value)


@pytest.mark.parametrize("labels, n_classes, message", [
    (np.array([0, -1, 2], dtype=np.int8), None, "label -1 at index 1 is negative"),
    (np.array([0, 1, 3], dtype=np.uint8), 3, r"label 3 at index 2 is out of range \(expected 0 to 2"),
])
def test_labels_out_of_range(tmp_path, labels, n_classes, message):
    lab = idx_bytes(labels, 0x09 if labels.dtype == np.int8 else 0x08)
    ip, lp = _pair(tmp_path, GOOD_IMAGES, lab)
    classes = [f"c{i}" for i in range(n_classes)] if n_classes else None
    with pytest.raises(DataError, match=message) as err:
        import_dataset((ip, lp), classes=classes)
    assert str(lp) in str(err.value)


def test_plain_idx_is_memory_mapped_and_gz_is_capped(tmp_path):
    ip, lp = _pair(tmp_path, GOOD_IMAGES, GOOD_LABELS)
    assert isinstance(idx.read_idx(ip), np.memmap)
    gz = tmp_path / "big.gz"
    gz.write_bytes(gzip.compress(b"\0\0\x08\x01" + (10_000).to_bytes(4, "big") + bytes(10_000)))
    with pytest.raises(DataError, match="decompresses to more than the limit of 1000 bytes"):
        idx.read_idx(gz, max_bytes=1000)


def test_not_gzip_after_gzip_magic(tmp_path):
    p = tmp_path / "x.gz"
    p.write_bytes(b"\x1f\x8b" + b"garbage" * 10)
    with pytest.raises(DataError, match="not a readable gzip file") as err:
        idx.read_idx(p)
    assert "x.gz" in str(err.value)


def test_write_then_read_round_trip(tmp_path):
    arr = np.arange(24, dtype=np.int32).reshape(2, 3, 4)
    idx.write_idx(tmp_path / "a", arr)
    assert np.array_equal(idx.read_idx(tmp_path / "a"), arr)
