"""Transfer reports: JSON documents (and their PNG plot) under reports/, by id `rep-<12 hex>`."""
from __future__ import annotations

import json
import re
from pathlib import Path

from .layout import Layout

REPORT_ID = re.compile(r"rep-[0-9a-f]{12}")
SUMMARY = ("id", "kind", "foundation_id", "foundation_name", "target", "created_at")


class Reports:
    def __init__(self, layout: Layout):
        self.layout = layout

    def save(self, report: dict, png: bytes | None = None) -> Path:
        """reports/<id>.json (and <id>.png), each written to a temporary name and renamed into place; the
        plot first, so a listed report always has its plot (or none was given)."""
        report_id = self._check(report.get("id"))
        folder = self.layout.reports_dir()
        parts = ([(".png", png)] if png is not None else []) + [(".json", json.dumps(report, indent=1).encode())]
        for suffix, payload in parts:
            tmp = folder / f".{report_id}{suffix}.tmp"
            tmp.write_bytes(payload)
            tmp.replace(self.layout.report_file(report_id, suffix))
        return self.layout.report_file(report_id)

    def get(self, report_id: str) -> dict:
        path = self.layout.report_file(self._check(report_id))
        if not path.is_file():
            raise KeyError(f"no report with id {report_id!r}")
        return json.loads(path.read_text(encoding="utf-8"))

    def list(self) -> list[dict]:
        folder = self.layout.reports_dir(create=False)
        paths = sorted(folder.glob("rep-*.json")) if folder.is_dir() else []
        return [{k: r.get(k) for k in SUMMARY} for r in (json.loads(p.read_text(encoding="utf-8")) for p in paths)]

    def plot_path(self, report_id: str) -> Path:
        return self.layout.report_file(self._check(report_id), ".png")

    @staticmethod
    def _check(report_id: object) -> str:
        if not isinstance(report_id, str) or not REPORT_ID.fullmatch(report_id):
            raise KeyError(f"no report with id {report_id!r:.80} (expected rep- and 12 hex digits)")
        return report_id
