"""Artifact folders written the crash-safe way: tmp/<id>/ (locked), fsync, rename into artifacts/, then the row.

A folder in tmp/ is held with an exclusive flock while it is being written, so the sweep on open removes only
leftovers of processes that are gone, never the work of a live writer in another process.
"""
from __future__ import annotations

import os
import re
import secrets
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from ..contracts.errors import DiskFull, is_disk_full

try:
    import fcntl
except ImportError:  # Windows: no flock; the sweep then only removes leftovers older than a day
    fcntl = None

FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
UNLOCKED_SWEEP_AGE_S = 24 * 3600


def check_file_name(name: object) -> str:
    if not isinstance(name, str) or not FILE_NAME.fullmatch(name) or ".." in name:
        raise ValueError(f"artifact file name {name!r:.80}: expected letters, digits, '_', '-', '.' "
                         "(no folders, at most 128 characters)")
    return name


def fsync_dir(path: Path) -> None:
    if os.name == "nt":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _lock(path: Path) -> int | None:
    """Open `path` and take an exclusive lock on it; None if it vanished (a sweeper won the race)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        same = os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        same = False
    if not same:
        os.close(fd)
        return None
    return fd


@contextmanager
def locked_dir(parent: Path, name: str) -> Iterator[Path]:
    """Create parent/name and hold an exclusive lock on it for the duration of the block."""
    path = parent / name
    for _ in range(5):
        path.mkdir()
        fd = _lock(path)
        if fd is not None:
            break
    else:
        raise OSError(f"{path}: could not create and lock the folder (removed under us repeatedly)")
    try:
        yield path
    finally:
        os.close(fd)


@contextmanager
def scratch_dir(tmp: Path, prefix: str = "scratch") -> Iterator[Path]:
    """A private, locked folder under tmp/ that is removed afterwards (and swept if the process dies)."""
    with locked_dir(tmp, f"{prefix}-{secrets.token_hex(6)}") as path:
        try:
            yield path
        finally:
            shutil.rmtree(path, ignore_errors=True)


def sweep(tmp: Path) -> list[str]:
    """Remove what dead writers left in tmp/; return the names removed."""
    removed = []
    for entry in sorted(tmp.iterdir()):
        if entry.is_symlink() or not (entry.is_dir() or entry.is_file()):
            entry.unlink(missing_ok=True)
            removed.append(entry.name)
            continue
        try:
            fd = os.open(entry, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except FileNotFoundError:
            continue
        try:
            if fcntl is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # a live writer holds it
            elif time.time() - os.fstat(fd).st_mtime < UNLOCKED_SWEEP_AGE_S:
                continue
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            removed.append(entry.name)
        finally:
            os.close(fd)
    return removed


def _write_file(dest: Path, source: bytes | Path) -> None:
    with open(dest, "xb") as out:
        if isinstance(source, (bytes, bytearray, memoryview)):
            out.write(source)
        elif isinstance(source, (str, Path)):
            with open(source, "rb") as src:
                shutil.copyfileobj(src, out, 1024 * 1024)
        else:
            raise TypeError(f"artifact file {dest.name}: expected bytes or a path, found {type(source).__name__}")
        out.flush()
        os.fsync(out.fileno())


def publish(tmp: Path, artifacts: Path, id: str, files: Mapping[str, bytes | Path],
            commit: Callable[[], None]) -> Path:
    """Write `files` into artifacts/<id>/ and then run `commit` (the row insert); undo the folder if it fails.

    A crash before the rename leaves a folder in tmp/ (swept on open); a crash between the rename and the
    commit leaves an unlisted folder in artifacts/ (see Workspace.orphan_artifacts); a row never points at
    files that are not all on disk.
    """
    names = {check_file_name(n): src for n, src in files.items()}
    dest = artifacts / id
    if dest.exists():
        raise FileExistsError(f"{dest}: an artifact folder with this id already exists")
    try:
        with locked_dir(tmp, id) as work:
            try:
                for name, source in names.items():
                    _write_file(work / name, source)
                fsync_dir(work)
                os.replace(work, dest)
            except BaseException:
                shutil.rmtree(work, ignore_errors=True)
                raise
            fsync_dir(artifacts)
            try:
                commit()
            except BaseException:
                shutil.rmtree(dest, ignore_errors=True)
                raise
    except Exception as err:
        if is_disk_full(err) and not isinstance(err, DiskFull):
            raise DiskFull(f"{id}'s files and record", "nothing was registered") from err
        raise
    return dest
