"""A zip of a Hugging Face `datasets` folder (a save_to_disk folder or parquet files, at the archive's root or
under one top folder), as a user makes one to upload it: its members go, through open_zip's checks and the size
limits, into a folder inside the import's staging folder (a private temporary one for a dry run) and are read
as the folder; the copy is removed when the reading is done, refused or cancelled. Messages name members as the
user knows them (`pets.zip:train/data-00000-of-00001.arrow`), never the copy's path.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import Iterator

from graft.contracts.errors import DiskFull, is_disk_full
from graft.data import idx
from graft.data.errors import DataError
from graft.data.hf import HF_MARKERS
from graft.data.images import Limits, is_junk, open_zip

KEPT_SUFFIXES = (".arrow", ".parquet", ".json")   # all the folder reader looks at
COPY_CHUNK = 1 << 20


class Scratch(contextlib.ExitStack):
    """Keeps what an input needed unpacked (in `folder`, else the import's staging folder, else a private
    temporary folder) until it closes."""

    def __init__(self, folder: str | os.PathLike | None = None):
        super().__init__()
        self.folder = Path(folder) if folder is not None else None


def _parts(name: str) -> tuple[str, ...]:
    return PurePosixPath(name.replace("\\", "/")).parts


def hf_root(names: list[str]) -> str | None:
    """The member prefix ('' or 'top/') of the HF folder the names hold (markers or .parquet files at the root
    or under one top folder), or None when they hold none."""
    files = [p for p in (_parts(n) for n in names if not n.endswith("/")) if p and not is_junk(p)]
    tops = {p[0] for p in files}
    prefix = f"{next(iter(tops))}/" if len(tops) == 1 and all(len(p) > 1 for p in files) else ""
    inner = [p[1:] if prefix else p for p in files]
    if any(len(p) == 1 and p[0] in HF_MARKERS for p in inner) or any(p[-1].endswith(".parquet") for p in inner):
        return prefix
    return None


def zip_holds_hf(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            return hf_root(zf.namelist()) is not None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return False


def is_zip(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() not in (".parquet", ".arrow") and zipfile.is_zipfile(path)


def _copy(zf: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path, budget: int, where: str, display: str) -> int:
    """Bytes written: the member decompressed, counted as it goes (a header may lie about its size)."""
    written = 0
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        with zf.open(info) as src, open(dest, "xb") as out:
            while chunk := src.read(COPY_CHUNK):
                written += len(chunk)
                if written > budget:
                    raise DataError(display, f"uncompressed total exceeds the limit of {budget} bytes")
                out.write(chunk)
    except DataError:
        raise
    except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError, RuntimeError, ValueError) as e:
        raise DataError(where, f"cannot read member ({e})") from None
    except OSError as e:   # its text would name the copy's path: say what happened without it
        if is_disk_full(e):
            raise DiskFull(f"{where} (unpacked to be read)", "nothing was imported") from None
        raise DataError(where, f"cannot be unpacked ({e.strerror or type(e).__name__}: a file and a folder "
                               f"of one name?)") from None
    return written


def _extract(path: Path, folder: Path, limits: Limits, display: str) -> str:
    """Copy the HF folder's members into `folder`; returns their prefix in the archive."""
    zf, infos = open_zip(path, display, limits)   # refuses escaping names, duplicates and symlinks first
    with zf:
        prefix = hf_root([i.filename for i in infos])
        if prefix is None:
            raise DataError(display, "no Hugging Face data set found (expected dataset_info.json, state.json, "
                                     "dataset_dict.json or .parquet files at the root or under one folder)")
        kept = [i for i in infos if i.filename.replace("\\", "/").startswith(prefix)
                and not is_junk(_parts(i.filename)) and Path(i.filename).suffix.lower() in KEPT_SUFFIXES]
        declared = sum(i.file_size for i in kept)
        if declared > limits.max_total_bytes:
            raise DataError(display, f"uncompressed total exceeds the limit of {limits.max_total_bytes} bytes")
        left, root = limits.max_total_bytes, folder.resolve()
        for info in kept:
            dest = (root / info.filename.replace("\\", "/")[len(prefix):]).resolve()
            if root not in dest.parents:   # open_zip refused '..' and absolute names; never write outside
                raise DataError(f"{display}:{info.filename}", "member name leaves the archive; refused")
            left -= _copy(zf, info, dest, left, f"{display}:{info.filename}", display)
    return prefix


@contextlib.contextmanager
def unzipped_hf(path: Path, limits: Limits, display: str, scratch: Scratch | None = None
                ) -> Iterator[tuple[Path, str]]:
    """(the extracted folder, the member prefix its files had) while inside; removed on leaving."""
    base = (scratch.folder if scratch is not None else None) or idx.spool_folder()
    if base is not None:
        base.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=".unzipped-", dir=base))
    try:
        yield folder, _extract(path, folder, limits, display)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
