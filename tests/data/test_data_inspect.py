"""Look before you import: inspect_dataset reports what an import would give, and warns, writing nothing.
Messages name the file as the user called it, never the server's staging path."""
from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest

from datahelpers import digits_like, files_under, image_bytes
from graft.data import DataError, import_dataset, inspect_dataset


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _rgb(h: int, w: int, v: int) -> np.ndarray:
    rng = np.random.default_rng(v)
    return rng.integers(0, 256, (h, w, 3)).astype(np.uint8)


def test_inspect_mixed_size_colour_zip(tmp_path):
    members = {f"train/cat/{i}.jpg": image_bytes(_rgb(30 + i, 40, i), "JPEG") for i in range(3)}
    members |= {f"train/dog/{i}.png": image_bytes(_rgb(30, 40, 10 + i)) for i in range(3)}
    members |= {"test/cat/0.png": image_bytes(_rgb(30, 40, 10)),  # the same pixels as train/dog/0.png
                "test/dog/1.png": image_bytes(_rgb(50, 50, 99))}
    z = _zip(tmp_path / "photos.zip", members)
    before = files_under(tmp_path)
    report = inspect_dataset(z, display_name="photos.zip", sample=4)
    assert files_under(tmp_path) == before
    json.dumps(report)  # JSON-ready
    assert report["format"] == "zip" and report["classes"] == ["cat", "dog"]
    assert report["splits"] == {"train": {"count": 6, "counts": {"cat": 3, "dog": 3}},
                                "test": {"count": 2, "counts": {"cat": 1, "dog": 1}}}
    assert report["sizes"][0] == {"height": 30, "width": 40, "count": 5} and len(report["sizes"]) == 4
    assert report["channels"] == {"3": 8} and report["shape"] is None
    codes = {w["code"]: w["message"] for w in report["warnings"]}
    assert "resize=(30, 40)" in codes["mixed_sizes"]
    assert "1 image appears in both train and test" in codes["train_test_overlap"]
    assert "one size" in report["error"]
    items = report["samples"]["items"]
    assert len(items) == 4 and items[0]["image"].startswith("data:image/png;base64,")
    assert {i["class"] for i in items} <= {"cat", "dog"}
    resized = inspect_dataset(z, resize=(16, 16), sample=1, sample_format="array")
    assert resized["error"] is None and resized["shape"] == [3, 16, 16]
    assert np.array(resized["samples"]["items"][0]["image"]).shape == (16, 16, 3)
    assert "fitted to 16x16" in {w["code"]: w["message"] for w in resized["warnings"]}["mixed_sizes"]


def test_inspect_warns_one_class_and_imbalance(tmp_path):
    images, _ = digits_like(110)
    np.savez(tmp_path / "one.npz", x=images, y=np.zeros(110, dtype=int))
    codes = [w["code"] for w in inspect_dataset(tmp_path / "one.npz")["warnings"]]
    assert "one_class" in codes
    np.savez(tmp_path / "skew.npz", x=images, y=(np.arange(110) >= 100).astype(int))
    report = inspect_dataset(tmp_path / "skew.npz")
    imbalance = next(w["message"] for w in report["warnings"] if w["code"] == "imbalance")
    assert "'0' has 100 images, '1' 10" in imbalance and "10:1" in imbalance
    assert report["shape"] == [1, 28, 28] and report["sizes"] == [{"height": 28, "width": 28, "count": 110}]


def test_inspect_csv_reports_the_label_column_or_its_candidates(tmp_path):
    images, labels = digits_like(100)
    flat = images.reshape(100, -1)
    p = tmp_path / "d.csv"
    p.write_text("\n".join(",".join(map(str, [*px, lab])) for px, lab in zip(flat, labels)) + "\n")
    report = inspect_dataset(p)
    assert report["label_column"]["column"] == 784 and report["splits"]["train"]["count"] == 100
    flat = flat.copy()
    flat[:, 0] = np.arange(100) % 2
    p.write_text("\n".join(",".join(map(str, [*px, lab])) for px, lab in zip(flat, labels)) + "\n")
    report = inspect_dataset(p, display_name="mine.csv")
    assert [c["column"] for c in report["label_candidates"]] == [0, 784]
    assert report["error"].startswith("mine.csv: two columns could be the label")
    assert inspect_dataset(p, label_column=784)["label_column"]["by"] == "given"


def test_messages_name_the_upload_not_the_staging_file():
    with tempfile.TemporaryDirectory() as d:
        staged = Path(d) / "tmpudishlzj.zip"
        _zip(staged, {"cat/0.png": image_bytes(_rgb(4, 4, 0)), "cat/1.jpg": b"\xff\xd8 not a jpeg"})
        with pytest.raises(DataError) as err:
            import_dataset(staged, display_name="photos.zip", staging_dir=Path(d) / "stage")
        message = str(err.value)
        assert message.startswith("photos.zip:cat/1.jpg: not a readable image")
        assert "tmpudishlzj" not in message and d not in message
        assert sorted(os.listdir(d)) == ["tmpudishlzj.zip"]   # nothing staged
        csv = Path(d) / "tmpabc.csv"
        csv.write_text("label,a,b,c,d\n0,1,2,3,4\n1,2,3,999,5\n")
        with pytest.raises(DataError, match=r"^digits.csv, row 3: column 4 pixel value 999") as err:
            import_dataset(csv, display_name="digits.csv")
        assert d not in str(err.value)


@pytest.mark.parametrize("member", ["../evil/x.png", "/etc/x.png"])
def test_zip_slip_in_an_idx_zip_is_refused_with_nothing_written(tmp_path, member):
    from datahelpers import idx_bytes
    z = _zip(tmp_path / "m.zip", {"train-images-idx3-ubyte": idx_bytes(np.zeros((2, 2, 2), np.uint8)),
                                  "train-labels-idx1-ubyte": idx_bytes(np.zeros(2, np.uint8)),
                                  member: b"x"})
    before = files_under(tmp_path)
    with pytest.raises(DataError, match="leaves the archive") as err:
        import_dataset(z, staging_dir=tmp_path / "stage", display_name="m.zip")
    assert str(err.value).startswith(f"m.zip:{member}") and files_under(tmp_path) == before
