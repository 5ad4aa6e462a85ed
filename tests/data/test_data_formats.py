"""The formats people have, split as they come: MNIST-format IDX zips and folders, CSV with the label
anywhere, class folders with train/ and test/, NPZ with split keys, Hugging Face parquet and save_to_disk."""
from __future__ import annotations

import gzip
import json
import zipfile

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datahelpers import digits_like, files_under, idx_bytes, image_bytes
from graft.data import DataError, LabelColumnError, Limits, import_dataset, load_dataset, read_dataset

DS = "ds-00000000abcd"


def _mnist_files(gz: bool, test: bool = True) -> dict[str, bytes]:
    tr, tr_lab = digits_like(30, seed=1)
    te, te_lab = digits_like(10, seed=2)
    sets = {"train": (tr, tr_lab), **({"t10k": (te, te_lab)} if test else {})}
    out = {}
    for prefix, (im, lab) in sets.items():
        for role, arr, n in (("images", im, 3), ("labels", lab, 1)):
            name, data = f"{prefix}-{role}-idx{n}-ubyte", idx_bytes(arr)
            out[name + (".gz" if gz else "")] = gzip.compress(data) if gz else data
    return out


def _stage(tmp_path, path, **kw) -> dict:
    stage = tmp_path / "ws" / "artifacts" / DS
    import_dataset(path, staging_dir=stage, **kw)
    return json.loads((stage / "dataset.json").read_text())


@pytest.mark.parametrize("gz", [True, False])
def test_mnist_zip_of_four_files_keeps_train_and_test(tmp_path, gz):
    z = tmp_path / "mnist.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for name, data in _mnist_files(gz).items():
            zf.writestr(f"mnist/{name}", data)
    meta = _stage(tmp_path, z, test_fraction=0.2)  # the data has a test split: the fraction is not used
    assert {s: v["count"] for s, v in meta["splits"].items()} == {"train": 30, "test": 10}
    assert meta["split_from"] == "data" and "test_fraction 0.2 was not used" in meta["warnings"][0]
    test = load_dataset(DS, "test", workspace_root=tmp_path / "ws")
    assert np.array_equal(test.images[:, 0], digits_like(10, seed=2)[0]) and test.classes == [str(i) for i in range(10)]


def test_mnist_folder_raw_and_train_only_zip(tmp_path):
    folder = tmp_path / "fashion"
    folder.mkdir()
    for name, data in _mnist_files(gz=False).items():
        (folder / name).write_bytes(data)
    images, labels, classes = import_dataset(folder)
    assert images.shape == (40, 1, 28, 28) and len(classes) == 10
    z = tmp_path / "train-only.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for name, data in _mnist_files(gz=True, test=False).items():
            zf.writestr(name, data)
    meta = _stage(tmp_path, z, test_fraction=0.2)
    assert {s: v["count"] for s, v in meta["splits"].items()} == {"train": 24, "test": 6}
    assert meta["split_from"] == "test_fraction"


def test_idx_zip_with_two_image_files_for_one_split_is_refused(tmp_path):
    files = _mnist_files(gz=True)
    files["train-images-copy-idx3-ubyte.gz"] = files["train-images-idx3-ubyte.gz"]
    z = tmp_path / "m.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    with pytest.raises(DataError, match="one IDX images file and one IDX labels file for the train split"):
        import_dataset(z)


def _csv_rows(images, labels, label_at: str) -> str:
    flat = images.reshape(len(images), -1)
    rows = [[*map(str, px), str(lab)] if label_at == "last" else [str(lab), *map(str, px)]
            for px, lab in zip(flat, labels)]
    return "\n".join(",".join(r) for r in rows) + "\n"


@pytest.mark.parametrize("border", [True, False])
def test_csv_label_last_without_header_is_detected_with_evidence(tmp_path, border):
    images, labels = digits_like(200)
    if not border:  # random pixels everywhere: the first column varies like any pixel
        images = np.random.default_rng(3).integers(0, 256, images.shape).astype(np.uint8)
    p = tmp_path / "digits.csv"
    p.write_text(_csv_rows(images, labels, "last"))
    found = read_dataset(p)
    got_images, got_labels = found.splits["train"]
    assert np.array_equal(got_labels, labels) and np.array_equal(got_images[:, 0], images)
    assert found.classes == [str(i) for i in range(10)]
    assert found.label_column["column"] == 784 and found.label_column["by"] == "values"
    assert "last column" in found.label_column["evidence"] and "10 distinct" in found.label_column["evidence"]
    meta = _stage(tmp_path, p)
    assert meta["label_column"]["column"] == 784


def test_csv_header_named_target_and_label_column_by_name_or_index(tmp_path):
    images, labels = digits_like(20, side=10)
    header = ",".join([f"px{i}" for i in range(100)] + ["target"])
    p = tmp_path / "h.csv"
    p.write_text(header + "\n" + _csv_rows(images, labels, "last"))
    found = read_dataset(p)
    assert found.label_column["by"] == "header" and np.array_equal(found.splits["train"][1], labels)
    assert read_dataset(p, label_column="TARGET").label_column["by"] == "given"
    assert np.array_equal(read_dataset(p, label_column=100).splits["train"][1], labels)


def test_csv_two_possible_label_columns_are_refused_listing_both(tmp_path):
    images, labels = digits_like(200)
    flat = images.reshape(200, -1).copy()
    flat[:, 0] = np.arange(200) % 3          # a first "pixel" that looks just like a label
    p = tmp_path / "amb.csv"
    p.write_text(_csv_rows(flat, labels, "last"))
    with pytest.raises(LabelColumnError, match="two columns could be the label.*pass label_column") as err:
        import_dataset(p)
    assert [c["column"] for c in err.value.candidates] == [0, 784]
    images_, got, _ = import_dataset(p, label_column=0)
    assert got.tolist() == (np.arange(200) % 3).tolist() and images_.shape == (200, 1, 28, 28)


def test_csv_a_column_with_one_value_is_never_the_label(tmp_path):
    rng = np.random.default_rng(0)
    flat = rng.integers(0, 256, (100, 16)).astype(np.uint8)
    flat[:, 0] = 7                            # constant: never a label
    p = tmp_path / "c.csv"
    p.write_text(_csv_rows(flat, np.arange(100) % 4, "last"))
    found = read_dataset(p, shape=[1, 4, 4])
    assert found.label_column["column"] == 16 and found.classes == ["0", "1", "2", "3"]
    p.write_text(_csv_rows(flat, rng.integers(0, 256, 100), "last"))   # the last looks like pixels too
    with pytest.raises(LabelColumnError, match="no column looks like the label: the first has one value"):
        read_dataset(p, shape=[1, 4, 4])


def _photo(h: int, w: int, colour=(200, 30, 30)) -> np.ndarray:
    arr = np.zeros((h, w, 3), dtype=np.uint8)
    arr[...] = colour
    if w > h:
        arr[:, :3], arr[:, -3:] = (0, 0, 250), (0, 0, 250)   # blue edges a centre crop drops and a stretch keeps
    return arr


def _photo_folder(root, with_val: bool = False):
    sizes = {"train": [(20, 30), (24, 24), (40, 20)], "test": [(30, 30)], **({"val": [(16, 16)]} if with_val else {})}
    for split, shapes in sizes.items():
        for cls in ("cat", "dog"):
            (root / split / cls).mkdir(parents=True)
            for i, (h, w) in enumerate(shapes):
                fmt = "JPEG" if i % 2 else "PNG"
                (root / split / cls / f"{i}.{fmt.lower()}").write_bytes(image_bytes(_photo(h, w), fmt))
    return root


def test_mixed_size_colour_folders_need_resize_and_keep_their_splits(tmp_path):
    root = _photo_folder(tmp_path / "photos", with_val=True)
    with pytest.raises(DataError, match=r"^photos/train/cat/0.png: image is 20x30 \(height x width\), the first image is 30x30 .*"
                                        r"found height x width 30x30 \(2 images\), 20x30 .*16x16 .*resize=\(height, width\)") as err:
        import_dataset(root, display_name="photos")
    assert str(tmp_path) not in str(err.value)
    meta = _stage(tmp_path, root, resize=(8, 8))
    assert {s: v["count"] for s, v in meta["splits"].items()} == {"train": 6, "val": 2, "test": 2}
    assert meta["shape"] == [3, 8, 8] and meta["classes"] == ["cat", "dog"]
    assert meta["preprocessing"] == [{"resize": [8, 8], "method": "scale to cover, centre crop",
                                      "interpolation": "bilinear"}]
    train = load_dataset(DS, "train", workspace_root=tmp_path / "ws")
    val = load_dataset(DS, "val", workspace_root=tmp_path / "ws")   # the stored val split, no val_fraction
    assert train.images.shape == (6, 3, 8, 8) and len(val) == 2 and train.counts() == {"cat": 3, "dog": 3}
    wide = train.images[0]                   # 20x30 (h x w): fitted to 8x12, then its centre 8x8
    assert wide[2].max() < 60 and wide[0].min() > 150


def test_same_size_colour_imports_at_native_size_and_grey_mixed_in_becomes_rgb(tmp_path):
    for i, cls in enumerate(("a", "b")):
        (tmp_path / "set" / cls).mkdir(parents=True)
        (tmp_path / "set" / cls / "c.jpg").write_bytes(image_bytes(_photo(48, 64), "JPEG"))
        (tmp_path / "set" / cls / "g.png").write_bytes(image_bytes(np.full((48, 64), 90 + i, np.uint8)))
    found = read_dataset(tmp_path / "set")
    assert found.shape == [3, 48, 64] and found.preprocessing[0] == {"to_rgb": True, "images": 2}
    assert "2 of 4 images are grayscale" in found.warnings[0]


def test_npz_with_train_and_test_keys(tmp_path):
    rng = np.random.default_rng(0)
    p = tmp_path / "mnist.npz"
    np.savez(p, x_train=rng.integers(0, 256, (8, 5, 5)), y_train=np.arange(8) % 2,
             x_test=rng.integers(0, 256, (4, 5, 5)), y_test=np.arange(4) % 2)
    meta = _stage(tmp_path, p)
    assert {s: v["count"] for s, v in meta["splits"].items()} == {"train": 8, "test": 4}
    with pytest.raises(DataError, match="images are 5x5 pixels, over the limit of 16"):
        import_dataset(p, limits=Limits(max_pixels=16))


def _hf_table(n: int, seed: int, sizes=((12, 10), (9, 9))) -> pa.Table:
    rng = np.random.default_rng(seed)
    cells = []
    for i in range(n):
        h, w = sizes[i % len(sizes)]
        cells.append({"bytes": image_bytes(rng.integers(0, 256, (h, w, 3)).astype(np.uint8)), "path": f"{i}.png"})
    features = {"image": {"_type": "Image"}, "label": {"_type": "ClassLabel", "names": ["ant", "bee", "cow"]}}
    schema = pa.schema([("image", pa.struct([("bytes", pa.binary()), ("path", pa.string())])),
                        ("label", pa.int64())],
                       metadata={b"huggingface": json.dumps({"info": {"features": features}}).encode()})
    return pa.table({"image": cells, "label": [i % 3 for i in range(n)]}, schema=schema)


def test_hf_parquet_folder_with_image_and_label_columns(tmp_path):
    (tmp_path / "hub" / "data").mkdir(parents=True)
    pq.write_table(_hf_table(9, 0), tmp_path / "hub" / "data" / "train-00000-of-00001.parquet")
    pq.write_table(_hf_table(3, 1), tmp_path / "hub" / "data" / "test-00000-of-00001.parquet")
    meta = _stage(tmp_path, tmp_path / "hub", resize=(8, 8))
    assert meta["kind"] == "hf" and meta["classes"] == ["ant", "bee", "cow"]
    assert {s: v["count"] for s, v in meta["splits"].items()} == {"train": 9, "test": 3}
    assert meta["label_column"]["column"] == "label" and meta["shape"] == [3, 8, 8]
    one = read_dataset(tmp_path / "hub" / "data" / "test-00000-of-00001.parquet", resize=(8, 8))
    assert list(one.splits) == ["test"] and one.splits["test"][1].tolist() == [0, 1, 2]


def test_hf_save_to_disk_folder_read_without_the_datasets_package(tmp_path):
    root = tmp_path / "saved"
    features = {"image": {"_type": "Image"}, "label": {"_type": "ClassLabel", "names": ["ant", "bee", "cow"]}}
    for split, n in (("train", 6), ("test", 3)):
        (root / split).mkdir(parents=True)
        table = _hf_table(n, 2, sizes=((7, 7),)).replace_schema_metadata(None)
        with pa.OSFile(str(root / split / "data-00000-of-00001.arrow"), "wb") as sink:
            with pa.ipc.new_stream(sink, table.schema) as writer:
                writer.write_table(table)
        (root / split / "dataset_info.json").write_text(json.dumps({"features": features}))
        (root / split / "state.json").write_text(json.dumps({"_data_files": [
            {"filename": "data-00000-of-00001.arrow"}], "_split": split}))
    (root / "dataset_dict.json").write_text(json.dumps({"splits": ["train", "test"]}))
    before = files_under(tmp_path)
    found = read_dataset(root)
    assert files_under(tmp_path) == before
    assert found.classes == ["ant", "bee", "cow"] and found.shape == [3, 7, 7]
    assert {s: len(v[1]) for s, v in found.splits.items()} == {"train": 6, "test": 3}


def test_hf_image_stored_by_path_only_is_refused(tmp_path):
    table = pa.table({"image": [{"bytes": None, "path": "/etc/passwd"}], "label": [0]})
    pq.write_table(table, tmp_path / "x.parquet")
    with pytest.raises(DataError, match=r"upload.parquet\[row 0\]: image has no bytes"):
        import_dataset(tmp_path / "x.parquet", display_name="upload.parquet")
