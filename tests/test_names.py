"""Every name the source uses is defined: a merge that drops an import (stop 23 lost `parse_ref` in the runs
route, a 500 on every two-head run) fails here instead of in a user's browser."""
from pathlib import Path

from pyflakes import api, messages, reporter

SRC = Path(__file__).resolve().parents[1] / "src" / "graft"
FATAL = (messages.UndefinedName, messages.UndefinedLocal, messages.UndefinedExport)


class _Collect(reporter.Reporter):
    def __init__(self):
        super().__init__(None, None)
        self.found: list[str] = []

    def flake(self, message):
        if isinstance(message, FATAL):
            self.found.append(str(message))

    def syntaxError(self, filename, msg, lineno, offset, text):
        self.found.append(f"{filename}:{lineno}: {msg}")


def test_no_undefined_names_in_the_source():
    collect = _Collect()
    api.checkRecursive([str(SRC)], collect)
    assert collect.found == []
