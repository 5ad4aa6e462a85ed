"""Property tests: random bytes thrown at every parser give a DataError or a valid result, never another
exception."""
from __future__ import annotations

import gzip
import io
import os
import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datahelpers import idx_bytes, png_bytes
from graft.data import DataError, Limits, import_dataset
from graft.data import idx

FUZZ = settings(max_examples=int(os.environ.get("GRAFT_FUZZ_EXAMPLES", 100)), deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
SMALL = Limits(max_member_bytes=1 << 16, max_total_bytes=1 << 20, max_pixels=1 << 14)


def _import_bytes(data: bytes, kind: str, suffix: str):
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / f"input{suffix}"
        p.write_bytes(data)
        stage = Path(d) / "stage"
        try:
            images, labels, classes = import_dataset(p, kind=kind, staging_dir=stage, limits=SMALL)
        except DataError:
            return None
        assert images.dtype == np.uint8 and images.ndim == 4 and labels.dtype == np.int64
        assert len(images) == len(labels) > 0 and int(labels.max()) < len(classes)
        assert {q.name for q in Path(d).iterdir()} == {p.name, "stage"}
        return images


# IDX: random tails after plausible headers, so parsing goes past the magic check
idx_inputs = st.one_of(
    st.binary(max_size=64),
    st.builds(lambda t, n, rest: bytes([0, 0, t, n]) + rest,
              st.sampled_from([0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E, 0x00, 0xFF]), st.integers(0, 6),
              st.binary(max_size=80)),
)


@FUZZ
@given(idx_inputs)
def test_idx_bytes_parser(data):
    try:
        arr = idx.parse_idx_bytes(data)
    except DataError:
        return
    assert arr.nbytes == len(data) - 4 - 4 * arr.ndim


@FUZZ
@given(idx_inputs, idx_inputs, st.booleans())
def test_idx_pair_files(images, labels, gz):
    with tempfile.TemporaryDirectory() as d:
        ip, lp = Path(d) / "i", Path(d) / "l"
        ip.write_bytes(gzip.compress(images) if gz else images)
        lp.write_bytes(labels)
        try:
            import_dataset((ip, lp), kind="idx", limits=SMALL)
        except DataError:
            pass


csv_cell = st.one_of(st.integers(-5, 300).map(str), st.sampled_from(["", " ", "x", "1.5", "nan", "1e2", "\"3\"",
                                                                       "label", "-0", "inf"]))
csv_text = st.lists(st.lists(csv_cell, min_size=0, max_size=6).map(",".join), max_size=6).map("\n".join)


@FUZZ
@given(st.one_of(csv_text.map(str.encode), st.binary(max_size=200)))
def test_csv_parser(data):
    _import_bytes(data, "csv", ".csv")


def _zip_of(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buf, "w") as zf:
        warnings.simplefilter("ignore", UserWarning)  # duplicate names are part of what is being tested
        for name, content in members:
            zf.writestr(name, content)
    return buf.getvalue()


def _npy(values: list[int], ndim: int, cut: int = 0) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.array(values, dtype=np.uint8).reshape((len(values),) + (1,) * (ndim - 1)))
    raw = buf.getvalue()
    return raw[: len(raw) - cut]


def npy_like(ndim: int):
    return st.one_of(st.binary(max_size=120),
                     st.builds(_npy, st.lists(st.integers(0, 255), max_size=6), st.just(ndim), st.integers(0, 3)))


@FUZZ
@given(st.one_of(st.binary(max_size=300),
                 st.builds(lambda x, y: _zip_of([("x.npy", x), ("y.npy", y)]), npy_like(3), npy_like(1))))
def test_npz_parser(data):
    _import_bytes(data, "npz", ".npz")


member_names = st.one_of(st.sampled_from(["a/1.png", "b/2.png", "../x.png", "/abs.png", "a/../b.png", "1.png",
                                          "a\\b.png", "c/d/e.png", "a/", ".hidden/x.png"]),
                         st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), min_size=1,
                                 max_size=12).map(lambda s: s + ".png"))
member_data = st.one_of(st.binary(max_size=100),
                        st.builds(lambda v, s: png_bytes(np.full((s, s), v, dtype=np.uint8)),
                                  st.integers(0, 255), st.integers(1, 6)))


@FUZZ
@given(st.one_of(st.binary(max_size=300),
                 st.lists(st.tuples(member_names, member_data), max_size=5).map(_zip_of)))
def test_zip_parser(data):
    _import_bytes(data, "zip", ".zip")


def test_fuzz_helpers_produce_valid_inputs():
    """The generators can reach the success path, so the properties above test more than refusals."""
    assert _import_bytes(_zip_of([("a/1.png", png_bytes(np.zeros((2, 2), np.uint8)))]), "zip", ".zip") is not None
    assert _import_bytes(b"0,1,2,3,4\n1,5,6,7,8\n", "csv", ".csv") is not None
    assert idx.parse_idx_bytes(idx_bytes(np.zeros((2, 2), np.uint8))).shape == (2, 2)
    assert _import_bytes(_zip_of([("x.npy", _npy([1, 2, 3], 3)), ("y.npy", _npy([0, 1, 2], 1))]), "npz", ".npz") \
        is not None
