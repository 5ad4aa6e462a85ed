"""Zip archives and folders of images: class folders, colour handling, and hostile archives refused."""
from __future__ import annotations

import os
import stat
import struct
import zipfile
import zlib

import numpy as np
import pytest

from datahelpers import files_under, png_bytes
from graft.data import DataError, Limits, import_dataset

GREY = np.arange(16, dtype=np.uint8).reshape(4, 4) * 10


def _zip(path, members: dict[str, bytes], symlinks: tuple[str, ...] = ()):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            if name in symlinks:
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, data)
    return path


def _png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge image (the decompression-bomb shape)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) \
        + chunk(b"IEND", b"")


def test_zip_of_class_folders(tmp_path):
    members = {f"root/{c}/{i}.png": png_bytes(GREY + i) for c in ("10", "2", "9") for i in range(2)}
    members["root/README.txt"] = b"ignored"
    members["__MACOSX/root/2/._0.png"] = b"junk"
    images, labels, classes = import_dataset(_zip(tmp_path / "d.zip", members))
    assert classes == ["2", "9", "10"]  # numeric folder names sort as numbers
    assert images.shape == (6, 1, 4, 4) and labels.tolist() == [2, 2, 0, 0, 1, 1]
    assert np.array_equal(images[2, 0], GREY)


def test_colour_anywhere_makes_all_rgb(tmp_path):
    colour = np.zeros((4, 4, 3), dtype=np.uint8)
    colour[..., 0] = 200
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    (tmp_path / "a" / "g.png").write_bytes(png_bytes(GREY))
    (tmp_path / "b" / "c.png").write_bytes(png_bytes(colour))
    images, labels, classes = import_dataset(tmp_path)
    assert images.shape == (2, 3, 4, 4) and classes == ["a", "b"]
    assert np.array_equal(images[0, 2], GREY) and images[1, :, 0, 0].tolist() == [200, 0, 0]


def test_sizes_must_match_unless_resized(tmp_path):
    members = {"a/1.png": png_bytes(GREY), "b/2.png": png_bytes(np.zeros((8, 6), dtype=np.uint8))}
    z = _zip(tmp_path / "d.zip", members)
    with pytest.raises(DataError, match=r"d.zip:b/2.png: image is 8x6 \(height x width\), the first image is 4x4"):
        import_dataset(z)
    assert import_dataset(z, resize=True)[0].shape == (2, 1, 4, 4)


@pytest.mark.parametrize("member, message", [
    ("../evil/x.png", "leaves the archive"),
    ("a/../../x.png", "leaves the archive"),
    ("/etc/x.png", "leaves the archive"),
    ("C:/x.png", "leaves the archive"),
    ("a\\..\\..\\x.png", "leaves the archive"),
])
def test_zip_slip_and_absolute_names_refused(tmp_path, member, message):
    stage = tmp_path / "stage"
    before = files_under(tmp_path)
    z = _zip(tmp_path / "d.zip", {"ok/1.png": png_bytes(GREY), member: png_bytes(GREY)})
    with pytest.raises(DataError, match=message) as err:
        import_dataset(z, staging_dir=stage)
    assert member in str(err.value)
    assert files_under(tmp_path) - before == {"d.zip"}  # nothing extracted anywhere, not even to staging


def test_duplicate_member_refused(tmp_path):
    # the same path spelled with a Windows separator: one would silently shadow the other
    z = _zip(tmp_path / "d.zip", {"a/1.png": png_bytes(GREY), "a\\1.png": png_bytes(GREY)})
    with pytest.raises(DataError, match="appears twice"):
        import_dataset(z)


def test_zip_symlink_refused(tmp_path):
    z = _zip(tmp_path / "d.zip", {"a/1.png": png_bytes(GREY), "a/link.png": b"/etc/passwd"},
             symlinks=("a/link.png",))
    with pytest.raises(DataError, match="a/link.png: member is a symbolic link"):
        import_dataset(z)


def test_folder_symlink_refused(tmp_path):
    (tmp_path / "data" / "a").mkdir(parents=True)
    (tmp_path / "data" / "a" / "1.png").write_bytes(png_bytes(GREY))
    os.symlink(tmp_path / "data" / "a" / "1.png", tmp_path / "data" / "a" / "2.png")
    with pytest.raises(DataError, match="symbolic link"):
        import_dataset(tmp_path / "data")


def test_member_and_total_size_limits(tmp_path):
    z = _zip(tmp_path / "d.zip", {f"a/{i}.png": png_bytes(GREY) for i in range(3)})
    size = len(png_bytes(GREY))
    with pytest.raises(DataError, match=f"member is {size} bytes"):
        import_dataset(z, limits=Limits(max_member_bytes=size - 1))
    with pytest.raises(DataError, match="uncompressed total exceeds"):
        import_dataset(z, limits=Limits(max_total_bytes=2 * size + 1))


def test_member_whose_declared_size_lies_is_refused(tmp_path):
    z = _zip(tmp_path / "d.zip", {"a/1.png": png_bytes(GREY)})
    raw = bytearray(z.read_bytes())
    # shrink the declared size in the central directory: the member must not be trusted or decoded
    cd = raw.rfind(b"PK\x01\x02")
    raw[cd + 24: cd + 28] = struct.pack("<I", 10)
    z.write_bytes(bytes(raw))
    with pytest.raises(DataError, match="d.zip:a/1.png: cannot read member"):
        import_dataset(z, limits=Limits(max_member_bytes=20))


@pytest.mark.parametrize("limits", [Limits(), Limits(max_pixels=100)])
def test_decompression_bomb_refused(tmp_path, limits):
    huge = (100_000, 100_000) if limits.max_pixels > 100 else (11, 10)
    z = _zip(tmp_path / "d.zip", {"a/1.png": png_bytes(GREY), "a/bomb.png": _png_declaring(*huge)})
    with pytest.raises(DataError, match=r"a/bomb.png: image declares .*decompression bomb"):
        import_dataset(z, limits=limits)


def test_corrupt_image_and_empty_archive(tmp_path):
    z = _zip(tmp_path / "d.zip", {"a/1.png": b"\x89PNG\r\n\x1a\nbroken"})
    with pytest.raises(DataError, match="a/1.png: not a readable image"):
        import_dataset(z)
    with pytest.raises(DataError, match="no images found"):
        import_dataset(_zip(tmp_path / "e.zip", {"notes.txt": b"hi"}))
    with pytest.raises(DataError, match="not inside a class folder"):
        import_dataset(_zip(tmp_path / "f.zip", {"1.png": png_bytes(GREY)}))
