"""glibc's allocator, tuned for training: keep freed memory for the next step instead of returning it.

By default glibc serves large blocks with fresh mmaps and trims the heap when its top is free, so every
training step's activations arrive on pages the kernel must fault in again: 430,000 minor page faults an
epoch of 6,400 MNIST images on the example CNN, against under 100 with the settings below; the epoch took
3.3 s instead of 3.9-4.0 s on the 2-core CPU (`bench/` figures; the issue's "batches of 1,000 infer twice as
slowly as batches of 128" is the same effect). Settings are process-wide and cannot be undone, so a plain
loop run later in the same process gains too. `GRAFT_TUNE_MALLOC=0` leaves the allocator alone.
"""
from __future__ import annotations

import ctypes
import os
import sys

M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
_done = False


def tune_allocator() -> bool:
    """Blocks up to 32 MiB from the heap, no trimming below 1 GiB free, 64 MiB of top padding. Idempotent."""
    global _done
    if _done:
        return True
    if not sys.platform.startswith("linux") or os.environ.get("GRAFT_TUNE_MALLOC", "1") == "0":
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        ok = (libc.mallopt(M_MMAP_THRESHOLD, 32 << 20) and libc.mallopt(M_TRIM_THRESHOLD, 1 << 30)
              and libc.mallopt(M_TOP_PAD, 64 << 20))
    except (OSError, AttributeError):      # not glibc (musl, ...): nothing to tune
        return False
    _done = bool(ok)
    return _done
