"""Importing gzipped IDX (files or zip members) and CSV streams: while an import spools into its staging folder,
the input is decompressed / parsed a chunk at a time into a file there and comes back memory-mapped, the file
unlinked at once. The stored data set is the one the in-memory reader gives, and nothing else is left behind."""
from __future__ import annotations

import gzip
import mmap
import zipfile

import numpy as np
import pytest

from datahelpers import digits_like, idx_bytes
from graft.data import DataError, Limits, idx, import_to, load_dataset, read_dataset


def file_backed(arr) -> bool:
    while arr is not None and not isinstance(arr, mmap.mmap):
        arr = getattr(arr, "base", None)
    return arr is not None


def write_gz_set(folder, n=300):
    images, labels = digits_like(n)
    folder.mkdir()
    (folder / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(images)))
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(labels)))
    return images, labels


def write_csv(path, images, labels, where: str):
    flat = images.reshape(len(images), -1).astype(int)
    rows = [([lab] + list(r)) if where == "first" else (list(r) + [lab]) if where == "last"
            else (list(r[:10]) + [lab] + list(r[10:])) for r, lab in zip(flat, labels.tolist())]
    path.write_text("\n".join(",".join(map(str, r)) for r in rows) + "\n")


def test_gzipped_idx_spools_to_a_mapped_file_and_leaves_nothing(tmp_path):
    images, labels = write_gz_set(tmp_path / "gz")
    spool = tmp_path / "spool"
    with idx.spooling(spool):
        found = read_dataset(tmp_path / "gz", display_name="gz")
        got, got_labels = found.splits["train"]
        assert file_backed(got) and list(spool.iterdir()) == []
        assert np.array_equal(got[:, 0], images) and np.array_equal(got_labels, labels)
    meta = import_to(tmp_path / "gz", tmp_path / "staged", name="gz")
    train = meta["splits"]["train"]
    assert sorted(p.name for p in (tmp_path / "staged").iterdir()) == sorted(
        ["dataset.json", train["images"], train["labels"]])


def test_a_zip_of_gzipped_idx_imports_the_same_streamed(tmp_path):
    images, labels = write_gz_set(tmp_path / "gz")
    with zipfile.ZipFile(tmp_path / "set.zip", "w") as zf:
        for p in (tmp_path / "gz").iterdir():
            zf.write(p, f"mnist/{p.name}")
    import_to(tmp_path / "set.zip", tmp_path / "ws" / "artifacts" / "ds-000000000001", name="z")
    stored = load_dataset({"dataset": "ds-000000000001"}, "train", workspace_root=tmp_path / "ws")
    assert np.array_equal(stored.images[:, 0], images) and np.array_equal(stored.labels, labels)


def test_a_gzip_bomb_is_refused_while_spooling(tmp_path):
    (tmp_path / "bomb").mkdir()
    big = np.zeros((4000, 28, 28), dtype=np.uint8)
    (tmp_path / "bomb" / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(big)))
    (tmp_path / "bomb" / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.zeros(4000, np.uint8))))
    with pytest.raises(DataError, match="decompresses to more than the limit of 100000 bytes"):
        import_to(tmp_path / "bomb", tmp_path / "staged", name="bomb", limits=Limits(max_total_bytes=100_000))
    assert not (tmp_path / "staged").exists()


@pytest.mark.parametrize("where", ["first", "last", "middle"])
def test_csv_spools_its_pixel_rows_and_reads_as_in_memory(tmp_path, where):
    images, labels = digits_like(200, seed=1)
    write_csv(tmp_path / "d.csv", images, labels, where)
    label_column = 10 if where == "middle" else None
    in_memory = read_dataset(tmp_path / "d.csv", label_column=label_column)
    spool = tmp_path / "spool"
    with idx.spooling(spool):
        spooled = read_dataset(tmp_path / "d.csv", label_column=label_column)
        got, got_labels = spooled.splits["train"]
        assert file_backed(got) and list(spool.iterdir()) == []
    assert np.array_equal(got[:, 0], images) and np.array_equal(got_labels, labels)
    assert np.array_equal(in_memory.splits["train"][0], got)
    assert spooled.label_column == in_memory.label_column


def test_a_bad_csv_row_while_spooling_leaves_no_file(tmp_path):
    images, labels = digits_like(5000, seed=2)
    write_csv(tmp_path / "d.csv", images, labels, "last")
    with open(tmp_path / "d.csv", "a") as fh:
        fh.write(",".join(["1"] * 784) + ",x\n")
    with pytest.raises(DataError, match="is not a number"):
        import_to(tmp_path / "d.csv", tmp_path / "staged", name="bad")
    assert not (tmp_path / "staged").exists()


@pytest.mark.parametrize("mix", ["grey", "colour", "mixed"])
def test_an_image_zip_spools_one_image_at_a_time_and_reads_as_in_memory(tmp_path, mix):
    from datahelpers import png_bytes
    rng = np.random.default_rng(3)
    with zipfile.ZipFile(tmp_path / "photos.zip", "w") as zf:
        for i in range(12):
            colour = mix == "colour" or (mix == "mixed" and i % 3 == 0)
            shape = (6 + i % 2, 5, 3) if colour else (6 + i % 2, 5)
            split = "test" if i % 4 == 0 else "train"
            zf.writestr(f"{split}/{'ab'[i % 2]}/{i}.png", png_bytes(rng.integers(0, 256, shape).astype(np.uint8)))
    in_memory = read_dataset(tmp_path / "photos.zip", resize=(4, 4))
    spool = tmp_path / "spool"
    with idx.spooling(spool):
        spooled = read_dataset(tmp_path / "photos.zip", resize=(4, 4))
        assert all(file_backed(im) for im, _ in spooled.splits.values()) and list(spool.iterdir()) == []
    assert spooled.splits.keys() == in_memory.splits.keys() == {"train", "test"}
    for split, (im, lab) in in_memory.splits.items():
        assert im.shape[1] == (1 if mix == "grey" else 3)
        assert np.array_equal(spooled.splits[split][0], im) and np.array_equal(spooled.splits[split][1], lab)
    assert spooled.warnings == in_memory.warnings and spooled.preprocessing == in_memory.preprocessing


def test_mixed_image_sizes_are_refused_while_spooling_and_leave_nothing(tmp_path):
    from datahelpers import png_bytes
    with zipfile.ZipFile(tmp_path / "photos.zip", "w") as zf:
        zf.writestr("a/1.png", png_bytes(np.zeros((4, 4), np.uint8)))
        zf.writestr("b/2.png", png_bytes(np.zeros((5, 4), np.uint8)))
    with pytest.raises(DataError, match=r"photos.zip:b/2.png.*image is 5x4"):
        import_to(tmp_path / "photos.zip", tmp_path / "staged", name="p", display_name="photos.zip")
    assert not (tmp_path / "staged").exists()
