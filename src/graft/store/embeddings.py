"""Embedding maps (a model's features on a data set, projected to 2-D): JSON documents under embeddings/, by id
`emb-<12 hex>`. The id is a digest of what was asked (ops.embed.embedding_id), so asking again reopens the map."""
from __future__ import annotations

import json
import re
from pathlib import Path

from .layout import Layout

EMBEDDING_ID = re.compile(r"emb-[0-9a-f]{12}")
SUMMARY = ("id", "kind", "model_id", "model_name", "data", "method", "seed", "limit", "n", "feature",
           "feature_dim", "created_at")


class Embeddings:
    def __init__(self, layout: Layout):
        self.layout = layout

    def save(self, doc: dict) -> Path:
        """embeddings/<id>.json, written to a temporary name and renamed into place."""
        emb_id = self._check(doc.get("id"))
        path = self.layout.embedding_file(emb_id)
        tmp = path.with_name(f".{emb_id}.json.tmp")
        tmp.write_text(json.dumps(doc, separators=(",", ":")), encoding="utf-8")
        tmp.replace(path)
        return path

    def find(self, emb_id: str) -> dict | None:
        path = self.layout.embedding_file(self._check(emb_id))
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    def get(self, emb_id: str) -> dict:
        doc = self.find(emb_id)
        if doc is None:
            raise KeyError(f"no embedding with id {emb_id!r}")
        return doc

    def list(self, model_id: str | None = None) -> list[dict]:
        """Summaries (no points), newest first; only `model_id`'s when given."""
        folder = self.layout.embeddings_dir(create=False)
        docs = (json.loads(p.read_text(encoding="utf-8")) for p in folder.glob("emb-*.json")) if folder.is_dir() else ()
        out = [{k: d.get(k) for k in SUMMARY} for d in docs if model_id is None or d.get("model_id") == model_id]
        return sorted(out, key=lambda s: str(s.get("created_at") or ""), reverse=True)

    @staticmethod
    def _check(emb_id: object) -> str:
        if not isinstance(emb_id, str) or not EMBEDDING_ID.fullmatch(emb_id):
            raise KeyError(f"no embedding with id {emb_id!r:.80} (expected emb- and 12 hex digits)")
        return emb_id
