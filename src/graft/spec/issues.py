"""Structured validation issues: what the UI pins on a node and the CLI prints."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Issue:
    code: str                 # machine-readable kind, e.g. "shape_mismatch", "unknown_type", "cycle"
    message: str              # one sentence a person can act on
    node: str | None = None   # node id the issue belongs to (None: the whole document)
    port: int | None = None   # input index on that node, when the issue is about one input
    field: str | None = None  # parameter or document field, e.g. "params.kernel_size"
    expected: Any = None
    found: Any = None
    severity: str = "error"

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def __str__(self) -> str:
        where = ".".join(p for p in (self.node, f"in{self.port}" if self.port is not None else None, self.field) if p)
        parts = [f"{k} {v}" for k, v in (("expected", self.expected), ("found", self.found)) if v is not None]
        extra = f" ({', '.join(parts)})" if parts else ""
        return f"{where or 'spec'}: {self.message}{extra}"


class SpecError(ValueError):
    """Raised when a document is used (compiled, trained) while it still has issues."""

    def __init__(self, issues: list[Issue]):
        self.issues = list(issues)
        super().__init__("; ".join(str(i) for i in self.issues) or "invalid spec")


class ShapeError(Exception):
    """Raised by a layer's infer(); the analyser turns it into an Issue on that node."""

    def __init__(self, message: str, port: int | None = None, expected: Any = None, found: Any = None,
                 field: str | None = None):
        super().__init__(message)
        self.message, self.port, self.expected, self.found, self.field = message, port, expected, found, field
