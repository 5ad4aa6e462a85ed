"""Opaque record ids (`mdl-0123456789ab`) and the one error for a record that is not there.

Every id that comes from outside is checked against ID_PATTERN before it touches the database or the file
system, so an id can never be a path.
"""
from __future__ import annotations

import re
import secrets

ID_PATTERN = re.compile(r"[a-z]{2,3}-[0-9a-f]{12}")  # used with fullmatch: "$" would accept a trailing newline

PREFIXES = {
    "model": "mdl", "foundation": "fnd", "dataset": "ds", "run": "run", "evaluation": "ev", "workflow": "wf",
    "network": "net",
}
MODEL_PREFIXES = {"model": "mdl", "foundation": "fnd"}
_KIND_OF = {"mdl": "a model", "fnd": "a foundation", "ds": "a data set", "run": "a run", "ev": "an evaluation",
            "wf": "a workflow", "net": "a saved network", "rep": "a report"}


def _kind_of(id: object) -> str | None:
    if isinstance(id, str) and ID_PATTERN.fullmatch(id):
        return _KIND_OF.get(id.split("-", 1)[0])
    return None


class NotFound(KeyError):
    """No record of this kind has this id (or the id is malformed, which means the same thing)."""

    def __init__(self, kind: str, id: object, expected: tuple[str, ...] | None = None):
        self.kind, self.id = kind, id
        message = f"no {kind} with id {id!r:.80}"
        given = _kind_of(id)
        if given and expected:   # an id of another kind: say what it is and what was expected
            message += (f": that is {given} id; expected {' or '.join(_KIND_OF[p] for p in expected)} id "
                        f"({'/'.join(p + '-…' for p in expected)})")
        super().__init__(message)

    def __str__(self) -> str:  # KeyError would print the repr of the message
        return self.args[0]


def new_id(prefix: str) -> str:
    if prefix not in PREFIXES.values():
        raise ValueError(f"unknown id prefix {prefix!r} (expected one of {sorted(PREFIXES.values())})")
    return f"{prefix}-{secrets.token_hex(6)}"


def check_id(value: object, kind: str, prefixes: tuple[str, ...] | None = None) -> str:
    """Return `value` if it is a well-formed id of this kind; raise NotFound otherwise."""
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise NotFound(kind, value)
    allowed = prefixes or ((PREFIXES[kind],) if kind in PREFIXES else None)
    if allowed and value.split("-", 1)[0] not in allowed:
        raise NotFound(kind, value, tuple(allowed))
    return value
