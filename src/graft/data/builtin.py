"""Built-in data sets: MNIST (shipped with graft) and Fashion-MNIST (Debian package or verified download).

Every file is checked against a known SHA-256 of its uncompressed bytes before use; decoded arrays are
cached per process so repeated loads are instant.
"""
from __future__ import annotations

import functools
import hashlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from graft.data import idx
from graft.data.errors import DataError
from graft.data.fingerprint import canonical_json, sha256_bytes, sha256_file

MNIST_DIR = Path(__file__).parent / "builtin" / "mnist"
FASHION_SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")
CACHE_DIR = Path(os.environ.get("GRAFT_CACHE_DIR", Path.home() / ".cache" / "graft"))
SPLIT_PREFIX = {"train": "train", "test": "t10k"}
_DOWNLOAD_LIMIT = 64 << 20


@dataclass(frozen=True)
class Builtin:
    name: str
    title: str
    classes: tuple[str, ...]
    sizes: dict[str, int]
    hashes: dict[str, str]          # uncompressed file name -> sha256
    source: str
    license: str
    mirrors: tuple[str, ...] = ()   # base URLs for <file>.gz, tried in order
    dirs: tuple[Path, ...] = field(default=())

    def search_dirs(self) -> list[Path]:
        return [*self.dirs, CACHE_DIR / self.name]

    @property
    def base_hash(self) -> str:
        return sha256_bytes(canonical_json(self.hashes).encode())


BUILTINS: dict[str, Builtin] = {
    b.name: b for b in [
        Builtin(
            name="mnist", title="MNIST handwritten digits", classes=tuple(str(d) for d in range(10)),
            sizes={"train": 60000, "test": 10000},
            hashes={
                "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
                "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
                "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
                "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
            },
            source="Yann LeCun, Corinna Cortes, Christopher J.C. Burges (shipped with graft)",
            license="CC BY-SA 3.0", dirs=(MNIST_DIR,)),
        Builtin(
            name="fashion-mnist", title="Fashion-MNIST (Zalando article images)",
            classes=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                     "Ankle boot"),
            sizes={"train": 60000, "test": 10000},
            hashes={
                "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
                "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
                "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
                "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
            },
            source="Zalando Research, https://github.com/zalandoresearch/fashion-mnist", license="MIT",
            mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                     "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"),
            dirs=(FASHION_SYSTEM_DIR,)),
    ]
}


def get_builtin(name: str) -> Builtin:
    if name not in BUILTINS:
        raise DataError(name, f"unknown data set (built-ins: {', '.join(BUILTINS)}; imported data sets are "
                              f"referred to by their ds-… id)")
    return BUILTINS[name]


def _find(b: Builtin, fname: str) -> Path | None:
    for d in b.search_dirs():
        for candidate in (d / f"{fname}.gz", d / fname):
            if candidate.is_file():
                return candidate
    return None


def is_available(name: str) -> bool:
    b = get_builtin(name)
    return all(_find(b, f) is not None for f in b.hashes)


def list_builtin() -> list[dict]:
    return [{"name": b.name, "title": b.title, "classes": list(b.classes), "shape": [1, 28, 28],
             "sizes": dict(b.sizes), "source": b.source, "license": b.license, "available": is_available(b.name)}
            for b in BUILTINS.values()]


def _how_to_get(b: Builtin) -> str:
    where = " or ".join(str(d) for d in b.search_dirs())
    how = "install the Debian package dataset-fashion-mnist, or " if b.name == "fashion-mnist" else ""
    return f"{how}place the four IDX .gz files in {where}"


def _download(b: Builtin, fname: str) -> Path:
    """Fetch <fname>.gz into the cache, keeping it only when its uncompressed SHA-256 matches."""
    import urllib.error  # only here: urllib costs a tenth of a second to import
    import urllib.request
    if os.environ.get("GRAFT_OFFLINE") or not b.mirrors:
        raise DataError(fname, f"{b.name} file not found and downloads are off; {_how_to_get(b)}")
    target = CACHE_DIR / b.name / f"{fname}.gz"
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_suffix(".gz.part")
    errors = []
    for base in b.mirrors:
        try:
            with urllib.request.urlopen(base + fname + ".gz", timeout=30) as resp, open(part, "wb") as out:
                copied = 0
                while chunk := resp.read(1 << 20):
                    copied += len(chunk)
                    if copied > _DOWNLOAD_LIMIT:
                        raise DataError(base + fname, f"download exceeds {_DOWNLOAD_LIMIT} bytes")
                    out.write(chunk)
            found = sha256_file(part, decompress=True)
            if found != b.hashes[fname]:
                raise DataError(base + fname, f"SHA-256 mismatch (expected {b.hashes[fname]}, found {found})")
            shutil.move(part, target)
            return target
        except (OSError, urllib.error.URLError, DataError, EOFError) as e:
            errors.append(f"{base}: {e}")
            part.unlink(missing_ok=True)
    raise DataError(fname, f"{b.name} is not available offline and the download failed "
                           f"({'; '.join(errors)}); {_how_to_get(b)}")


def _locate(b: Builtin, fname: str) -> Path:
    return _find(b, fname) or _download(b, fname)


def _verified_array(path: Path, expected: str) -> np.ndarray:
    if path.suffix == ".gz":
        data = idx.gunzip(path)
        found = hashlib.sha256(data).hexdigest()
    else:
        found = sha256_file(path)
        data = None
    if found != expected:
        raise DataError(path, f"SHA-256 mismatch: the file is corrupt or was modified "
                              f"(expected {expected}, found {found})")
    return idx.parse_idx_bytes(data, path) if data is not None else idx.read_idx(path)


@functools.lru_cache(maxsize=8)
def load_builtin(name: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 [N,1,28,28], labels int64 [N]) of a built-in split, verified; read-only and cached."""
    b = get_builtin(name)
    if split not in SPLIT_PREFIX:
        raise DataError(name, f"unknown split {split!r} of a built-in (expected train or test)")
    prefix = SPLIT_PREFIX[split]
    files = {kind: f"{prefix}-{kind}-idx{1 if kind == 'labels' else 3}-ubyte" for kind in ("images", "labels")}
    paths = {kind: _locate(b, f) for kind, f in files.items()}
    raw_images = _verified_array(paths["images"], b.hashes[files["images"]])
    raw_labels = _verified_array(paths["labels"], b.hashes[files["labels"]])
    images = idx.as_images(raw_images, paths["images"])
    labels = idx.as_labels(raw_labels, paths["labels"])
    if len(images) != len(labels):
        raise DataError(paths["labels"], f"image/label count mismatch ({len(images)} vs {len(labels)})")
    idx.check_labels(labels, paths["labels"], len(b.classes))
    labels.flags.writeable = False
    return images, labels
