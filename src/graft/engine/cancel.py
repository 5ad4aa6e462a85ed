"""The one way to cancel: a token that every long operation checks, and the one error it raises.

A caller makes a `CancelToken` and passes it as `should_stop` (it is callable, so plain `lambda: bool` checks
still work); the loops call `check(should_stop)` once per batch, which raises `Cancelled`. Nothing is raised
from a signal handler: an exception raised there lands wherever the interpreter happens to be (a `__del__`,
an `except OSError:`) and can be swallowed, so a cancel would be lost.
"""
from __future__ import annotations

import threading
from typing import Callable


class Cancelled(RuntimeError):
    """The operation was cancelled (by the user, or because its process is being stopped)."""

    def __init__(self, reason: str = "cancelled"):
        super().__init__(reason)


class CancelToken:
    """Thread- and signal-safe: `cancel()` only sets an event; the work raises at its next check."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason = "cancelled"

    def cancel(self, reason: str = "cancelled") -> None:
        if not self._event.is_set():
            self.reason = reason
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    __call__ = is_set

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled(self.reason)


def check(should_stop: Callable[[], bool] | None) -> None:
    """Raise Cancelled when `should_stop` (a CancelToken or any callable) says so."""
    if should_stop is not None and should_stop():
        raise Cancelled(getattr(should_stop, "reason", "cancelled"))
