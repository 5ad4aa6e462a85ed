"""Hugging Face parquet files and save_to_disk Arrow streams are read a batch of rows at a time (never the whole
table) and, while an import spools, decoded straight into the staging folder: the stored set equals the one
read without spooling (same arrays in row order, same dataset hash) and the images the rows hold."""
from __future__ import annotations

import io
import json
import mmap

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from datahelpers import image_bytes
from graft.data import DataError, hf, idx, import_to, ingest, inspect_dataset, read_dataset

FEATURES = {"image": {"_type": "Image"}, "label": {"_type": "ClassLabel", "names": ["ant", "bee", "cow"]}}
SCHEMA = pa.schema([("image", pa.struct([("bytes", pa.binary()), ("path", pa.string())])), ("label", pa.int64())])


def file_backed(arr) -> bool:
    while arr is not None and not isinstance(arr, mmap.mmap):
        arr = getattr(arr, "base", None)
    return arr is not None


def table(n: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    cells = [{"bytes": image_bytes(rng.integers(0, 256, (6, 5, 3)).astype(np.uint8)), "path": None}
             for _ in range(n)]
    return pa.table({"image": cells, "label": rng.integers(0, 3, n).tolist()}, schema=SCHEMA)


def write_parquet_hub(root, tables):
    (root / "data").mkdir(parents=True)
    meta = {b"huggingface": json.dumps({"info": {"features": FEATURES}}).encode()}
    for split, t in tables.items():   # small row groups: rows cross group and batch boundaries
        pq.write_table(t.replace_schema_metadata(meta), root / "data" / f"{split}-00000-of-00001.parquet",
                       row_group_size=7)


def write_saved(root, tables):
    for split, t in tables.items():
        (root / split).mkdir(parents=True)
        with pa.OSFile(str(root / split / "data-00000-of-00001.arrow"), "wb") as sink:
            with pa.ipc.new_stream(sink, t.schema) as writer:
                for batch in t.to_batches(max_chunksize=9):
                    writer.write_batch(batch)
        (root / split / "dataset_info.json").write_text(json.dumps({"features": FEATURES}))
        (root / split / "state.json").write_text(json.dumps({"_split": split}))
    (root / "dataset_dict.json").write_text(json.dumps({"splits": list(tables)}))


def decoded(t: pa.Table) -> np.ndarray:
    return np.stack([np.asarray(Image.open(io.BytesIO(c["bytes"]))).transpose(2, 0, 1)
                     for c in t.column("image").to_pylist()])


@pytest.mark.parametrize("write", [write_parquet_hub, write_saved], ids=["parquet", "save_to_disk"])
def test_hf_rows_stream_and_store_what_the_unspooled_read_stores(tmp_path, monkeypatch, write):
    monkeypatch.setattr(hf, "BATCH_ROWS", 4)
    tables = {"train": table(30, 0), "test": table(11, 1)}
    write(tmp_path / "hf", tables)
    in_memory = read_dataset(tmp_path / "hf", display_name="hf")
    spool = tmp_path / "spool"
    with idx.spooling(spool):
        spooled = read_dataset(tmp_path / "hf", display_name="hf")
        assert all(file_backed(im) for im, _ in spooled.splits.values()) and list(spool.iterdir()) == []
    assert spooled.classes == in_memory.classes == ["ant", "bee", "cow"]
    for split, t in tables.items():
        im, lab = spooled.splits[split]
        assert np.array_equal(im, decoded(t)) and lab.tolist() == t.column("label").to_pylist()
        assert np.array_equal(in_memory.splits[split][0], im)
    meta = import_to(tmp_path / "hf", tmp_path / "staged", display_name="hf", name="hf")
    assert meta["sha256"] == ingest.stage(in_memory, tmp_path / "mem", "hf", "hf")["sha256"]
    report = inspect_dataset(tmp_path / "hf", display_name="hf")
    assert {s: v["count"] for s, v in report["splits"].items()} == {"train": 30, "test": 11}


def test_a_bad_row_past_the_first_batch_is_named_and_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(hf, "BATCH_ROWS", 4)
    rows = table(10, 2).to_pylist()
    rows[9]["label"] = -1
    write_parquet_hub(tmp_path / "hf", {"train": pa.Table.from_pylist(rows, schema=SCHEMA)})
    with pytest.raises(DataError, match=r"upload/data/train-00000-of-00001.parquet\[row 9\]: label must be"):
        import_to(tmp_path / "hf", tmp_path / "staged", display_name="upload", name="u")
    assert not (tmp_path / "staged").exists()


def test_an_empty_arrow_stream_is_refused(tmp_path):
    write_saved(tmp_path / "hf", {"train": table(0, 0)})
    with pytest.raises(DataError, match="no images found"):
        import_to(tmp_path / "hf", tmp_path / "staged", display_name="hf", name="e")
    with pytest.raises(DataError, match="no images found"):
        inspect_dataset(tmp_path / "hf", display_name="hf")
