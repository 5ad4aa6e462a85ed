"""A full disk, said the same way by every layer: "no space left on the workspace's disk", never a path."""
from __future__ import annotations

import errno

DISK_FULL = "no space left on the workspace's disk"
_FULL_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
# what SQLite (and PostgreSQL) say when the database cannot grow
_FULL_DB_TEXT = ("database or disk is full", "no space left on device", "could not extend file")


class DiskFull(OSError):
    """Writing `what` failed for lack of space; `kept` says what is still intact. The message names no path."""

    def __init__(self, what: str, kept: str = ""):
        super().__init__(errno.ENOSPC, f"{DISK_FULL}: {what} could not be written"
                                       f"{'; ' + kept if kept else ''}; free some space and try again")
        self.what, self.kept = what, kept

    def __str__(self) -> str:   # OSError's "[Errno 28] ..." prefix says nothing to a user
        return self.strerror


def is_disk_full(err: BaseException) -> bool:
    """True for an OSError of a full disk or quota, and for a database driver's 'disk is full'."""
    if isinstance(err, OSError) and err.errno in _FULL_ERRNOS:
        return True
    text = str(getattr(err, "orig", None) or "").lower()
    return any(t in text for t in _FULL_DB_TEXT)


def disk_full_message(err: BaseException) -> str:
    """The user's words for a full disk (DiskFull says what was kept; a bare OSError would name a path)."""
    return str(err) if isinstance(err, DiskFull) else f"{DISK_FULL}; free some space and try again"
