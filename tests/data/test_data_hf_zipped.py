"""A Hugging Face `datasets` folder zipped for upload (save_to_disk with train/test, or several parquet files)
imports as the folder does: kind hf, the same classes, split sizes and dataset hash; the dry run sees the same.
Hostile members are refused with nothing kept, messages name members as `pets.zip:…`, and the unpacked copy
is gone from the workspace's tmp/ afterwards, whatever happened."""
from __future__ import annotations

import json
import zipfile

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import graft
from datahelpers import image_bytes
from graft.data import DataError, Limits, read_dataset, sniff_kind
from graft.ops.cancel import Cancelled

FEATURES = {"image": {"_type": "Image"}, "label": {"_type": "ClassLabel", "names": ["cat", "dog", "fox"]}}
SCHEMA = pa.schema([("image", pa.struct([("bytes", pa.binary()), ("path", pa.string())])), ("label", pa.int64())])


def table(n: int, seed: int, labels: list[int] | None = None) -> pa.Table:
    rng = np.random.default_rng(seed)
    cells = [{"bytes": image_bytes(rng.integers(0, 256, (5, 4, 3)).astype(np.uint8)), "path": None}
             for _ in range(n)]
    return pa.table({"image": cells, "label": labels or rng.integers(0, 3, n).tolist()}, schema=SCHEMA)


def write_saved(root, tables):
    """A DatasetDict.save_to_disk folder: dataset_dict.json and one folder of Arrow stream + state per split."""
    for split, t in tables.items():
        (root / split).mkdir(parents=True)
        with pa.OSFile(str(root / split / "data-00000-of-00001.arrow"), "wb") as sink:
            with pa.ipc.new_stream(sink, t.schema) as writer:
                for batch in t.to_batches(max_chunksize=5):
                    writer.write_batch(batch)
        (root / split / "dataset_info.json").write_text(json.dumps({"features": FEATURES}))
        (root / split / "state.json").write_text(json.dumps({"_split": split}))
    (root / "dataset_dict.json").write_text(json.dumps({"splits": list(tables)}))


def write_parquet_files(root, files):
    """Parquet files as on the Hub: data/<split>-0000i-of-0000n.parquet, and a README the reader ignores."""
    (root / "data").mkdir(parents=True)
    meta = {b"huggingface": json.dumps({"info": {"features": FEATURES}}).encode()}
    for name, t in files.items():
        pq.write_table(t.replace_schema_metadata(meta), root / "data" / name, row_group_size=4)
    (root / "README.md").write_text("---\nlicense: mit\n---\n")


def zip_folder(folder, zip_path, top: str | None, extra: dict[str, bytes] | None = None):
    """The folder's files in a zip, under `top/` (as zipping the folder itself does) or at the root."""
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                rel = p.relative_to(folder).as_posix()
                zf.write(p, f"{top}/{rel}" if top else rel)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return zip_path


@pytest.fixture
def ws(tmp_path):
    w = graft.Workspace(tmp_path / "ws")
    yield w
    w.close()


def same_import(ws, folder, zipped, filename):
    by_folder = graft.import_dataset(ws, folder, name="f")
    by_zip = graft.import_dataset(ws, zipped, name="z", filename=filename)
    assert by_zip["kind"] == by_folder["kind"] == "hf"
    assert by_zip["classes"] == by_folder["classes"]
    assert by_zip["sizes"] == by_folder["sizes"]
    assert by_zip["fingerprint"] == by_folder["fingerprint"]
    assert list(ws.tmp.iterdir()) == []
    return by_zip


@pytest.mark.parametrize("top", ["pets", None], ids=["under-a-top-folder", "at-the-root"])
def test_zipped_save_to_disk_imports_as_the_folder(tmp_path, ws, top):
    write_saved(tmp_path / "pets", {"train": table(13, 0), "test": table(6, 1)})
    zipped = zip_folder(tmp_path / "pets", tmp_path / "upload.zip", top)
    assert sniff_kind(zipped) == "hf"
    rec = same_import(ws, tmp_path / "pets", zipped, "pets.zip")
    assert rec["classes"] == ["cat", "dog", "fox"] and rec["sizes"] == {"train": 13, "test": 6}
    assert rec["source"] == {"file": "pets.zip"}
    preview = graft.import_dataset(ws, zipped, dry_run=True, filename="pets.zip")
    assert preview["format"] == "hf" and preview["classes"] == ["cat", "dog", "fox"]
    assert {s: v["count"] for s, v in preview["splits"].items()} == {"train": 13, "test": 6}
    assert len(preview["samples"]["items"]) == 16 and list(ws.tmp.iterdir()) == []


def test_zipped_parquet_files_import_as_the_folder(tmp_path, ws):
    files = {"train-00000-of-00002.parquet": table(9, 2), "train-00001-of-00002.parquet": table(7, 3),
             "test-00000-of-00001.parquet": table(5, 4)}
    write_parquet_files(tmp_path / "hub", files)
    zipped = zip_folder(tmp_path / "hub", tmp_path / "hub.zip", None, {"__MACOSX/data/._x.parquet": b"junk"})
    rec = same_import(ws, tmp_path / "hub", zipped, "hub.zip")
    assert rec["sizes"] == {"train": 16, "test": 5}
    ds = graft.load_dataset({"dataset": rec["id"]}, "train", workspace_root=ws)
    assert ds.images.shape == (16, 3, 5, 4)


def test_a_zip_slip_member_is_refused_and_nothing_is_kept(tmp_path, ws):
    write_saved(tmp_path / "pets", {"train": table(4, 5)})
    zipped = zip_folder(tmp_path / "pets", tmp_path / "upload.zip", "pets",
                        {"pets/../../escaped.json": b"{}"})
    for dry_run in (True, False):
        with pytest.raises(DataError) as err:
            graft.import_dataset(ws, zipped, dry_run=dry_run, filename="pets.zip")
        assert str(err.value).startswith("pets.zip:pets/../../escaped.json: member name leaves the archive")
    assert ws.list_datasets() == [] and list(ws.tmp.iterdir()) == []
    assert not list(tmp_path.rglob("escaped.json"))


def test_a_member_that_cannot_be_unpacked_is_named_without_a_server_path(tmp_path, ws):
    write_saved(tmp_path / "pets", {"train": table(3, 9)})
    zipped = zip_folder(tmp_path / "pets", tmp_path / "upload.zip", None,
                        {"train.json": b"{}", "train.json/data.arrow": b"x"})   # a file, then a folder of its name
    with pytest.raises(DataError) as err:
        graft.import_dataset(ws, zipped, filename="pets.zip")
    assert str(err.value).startswith("pets.zip:train.json/data.arrow: cannot be unpacked")
    assert str(ws.root) not in str(err.value) and list(ws.tmp.iterdir()) == []


def test_a_bad_row_is_named_as_the_zip_member_and_a_cancel_leaves_nothing(tmp_path, ws):
    write_saved(tmp_path / "pets", {"train": table(4, 6, labels=[0, 1, -1, 2])})
    zipped = zip_folder(tmp_path / "pets", tmp_path / "upload.zip", "pets")
    with pytest.raises(DataError) as err:
        graft.import_dataset(ws, zipped, filename="pets.zip")
    assert str(err.value).startswith("pets.zip:pets/train/data-00000-of-00001.arrow[row 2]: label must be")
    assert str(ws.root) not in str(err.value) and list(ws.tmp.iterdir()) == []
    calls = []
    with pytest.raises(Cancelled):   # the user cancels after the first image
        graft.import_dataset(ws, zipped, filename="pets.zip", should_stop=lambda: calls.append(1) or len(calls) > 1)
    assert ws.list_datasets() == [] and list(ws.tmp.iterdir()) == []


def test_a_zip_over_the_size_limit_is_refused_before_it_is_unpacked(tmp_path):
    write_saved(tmp_path / "pets", {"train": table(4, 7)})
    zipped = zip_folder(tmp_path / "pets", tmp_path / "upload.zip", None,
                        {"train/pad.json": b" " * 50_000})   # compresses to almost nothing
    with pytest.raises(DataError, match=r"^pets.zip: uncompressed total exceeds the limit of 20000 bytes"):
        read_dataset(zipped, display_name="pets.zip", limits=Limits(max_total_bytes=20_000))


def test_a_zip_of_class_folders_is_still_class_folders(tmp_path):
    rng = np.random.default_rng(8)
    with zipfile.ZipFile(tmp_path / "photos.zip", "w") as zf:
        for i in range(4):
            zf.writestr(f"{'ab'[i % 2]}/{i}.png", image_bytes(rng.integers(0, 256, (4, 4, 3)).astype(np.uint8)))
        zf.writestr("notes.json", b"{}")
    assert sniff_kind(tmp_path / "photos.zip") == "zip"
    assert read_dataset(tmp_path / "photos.zip").classes == ["a", "b"]
