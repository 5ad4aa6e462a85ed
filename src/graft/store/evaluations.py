"""Evaluations: the evaluations table, each one's summary and its per-sample predictions (.npz, no pickle)."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from .ids import check_id, new_id
from .records import npz_bytes
from .registry import Registry, parse_time
from .tables import evaluations

if TYPE_CHECKING:
    import numpy as np

PREDICTIONS = "predictions.npz"


class Evaluations:
    """`ws.evaluations`."""

    def __init__(self, db: Registry, get_model: Callable[[str], dict]):
        self.db, self.layout, self._get_model = db, db.layout, get_model

    def add(self, record: Mapping[str, Any], files: Mapping[str, bytes | Path] | None = None,
            *, predictions: Mapping[str, np.ndarray] | None = None) -> dict:
        """Register an evaluation: {model_id, data, summary, data_fingerprint?, run_id?}.

        Per-sample results go in as ready files (e.g. {"samples.npz": bytes}) or as `predictions` arrays,
        which are written to predictions.npz without pickle.
        """
        values = self.db.columns(evaluations, record, "evaluation", skip=("id",))
        values["model_id"] = self._get_model(values.get("model_id"))["id"]
        if not isinstance(values.get("summary"), dict):
            raise ValueError("evaluation record: summary must be an object (total, hit, accuracy, per_class, ...)")
        values.setdefault("data", {})
        values["id"] = id = new_id("ev")
        values["created_at"] = parse_time(values.get("created_at"), "evaluation record: created_at")
        files = dict(files or {})
        if predictions is not None:
            files[PREDICTIONS] = npz_bytes(predictions)
        self.db.publish(id, files, evaluations, values)
        return self.get(id)

    def get(self, id: str) -> dict:
        return self.db.get(evaluations, "evaluation", id)

    def list(self, model_id: str | None = None) -> list[dict]:
        if model_id is None:
            return self.db.list(evaluations)
        return self.db.list(evaluations, evaluations.c.model_id == check_id(model_id, "model", ("mdl", "fnd")))

    def latest_test_accuracy(self) -> dict[str, float]:
        """{model id: accuracy of its newest evaluation on a test split}, reading two JSON fields, not summaries."""
        from sqlalchemy import select

        t = evaluations
        query = select(t.c.model_id, t.c.summary["accuracy"].as_float(), t.c.data["split"].as_string()) \
            .order_by(t.c.created_at.desc(), t.c.id)
        out: dict[str, float] = {}
        with self.db.read() as conn:
            for model_id, accuracy, split in conn.execute(query):
                if model_id not in out and accuracy is not None and split in (None, "test"):
                    out[model_id] = accuracy
        return out

    def path(self, id: str, name: str) -> Path:
        self.get(id)
        return self.layout.artifact_file("evaluation", id, name, ("ev",))

    def predictions(self, id: str, name: str = PREDICTIONS) -> dict[str, np.ndarray]:
        """The per-sample arrays of an evaluation (read without pickle)."""
        import numpy as np
        with np.load(self.path(id, name), allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
