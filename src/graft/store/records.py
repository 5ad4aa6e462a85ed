"""Datasets, evaluations, workflows, saved networks and the workflow step cache."""
from __future__ import annotations

import io
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .ids import check_id, new_id
from .tables import datasets, evaluations, networks, step_cache, utcnow, workflows

if TYPE_CHECKING:
    import numpy as np

    from .workspace import Workspace

PREDICTIONS = "predictions.npz"
CACHE_KEY = re.compile(r"[0-9a-f]{64}")


def _name(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise ValueError(f"{what}: name must be a non-empty string of at most 200 characters, found {value!r:.80}")
    return value


def npz_bytes(arrays: Mapping[str, np.ndarray]) -> bytes:
    """Arrays as .npz bytes; object arrays are refused because reading them back would need pickle."""
    import numpy as np
    clean = {}
    for key, value in arrays.items():
        array = np.asarray(value)
        if array.dtype.hasobject:
            raise ValueError(f"array {key!r}: dtype object cannot be stored without pickle; use numbers or strings")
        clean[key] = array
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **clean)
    return buffer.getvalue()


class RecordsMixin:
    # ------------------------------------------------------------ datasets (imported)

    def add_dataset(self: Workspace, record: Mapping[str, Any], files: Mapping[str, bytes | Path]) -> dict:
        """Register an imported data set: files first (artifacts/<id>/), then the row."""
        from .workspace import parse_time
        values = self._columns(datasets, record, "dataset", skip=("id",))
        _name(values.get("name"), "dataset record")
        if not isinstance(values.get("kind"), str) or not values["kind"]:
            raise ValueError(f"dataset record: kind must be a non-empty string, found {values.get('kind')!r:.40}")
        values.setdefault("classes", [])
        values.setdefault("sizes", {})
        values.setdefault("description", "")
        values["id"] = id = new_id("ds")
        values["created_at"] = parse_time(values.get("created_at"), "dataset record: created_at")
        self._publish(id, files, datasets, values)
        return self.get_dataset(id)

    def get_dataset(self: Workspace, id: str) -> dict:
        return self._get(datasets, "dataset", id)

    def list_datasets(self: Workspace) -> list[dict]:
        return self._list(datasets)

    def dataset_dir(self: Workspace, id: str) -> Path:
        return self.artifact_dir(self.get_dataset(id)["id"])

    def dataset_path(self: Workspace, id: str, name: str) -> Path:
        self.get_dataset(id)
        return self._artifact_file("dataset", id, name)

    # ------------------------------------------------------------ evaluations

    def add_evaluation(self: Workspace, record: Mapping[str, Any], files: Mapping[str, bytes | Path] | None = None,
                       *, predictions: Mapping[str, np.ndarray] | None = None) -> dict:
        """Register an evaluation: {model_id, data, summary, data_fingerprint?, run_id?}.

        Per-sample results go in as ready files (e.g. {"samples.npz": bytes}) or as `predictions` arrays,
        which are written to predictions.npz without pickle.
        """
        from .workspace import parse_time
        values = self._columns(evaluations, record, "evaluation", skip=("id",))
        values["model_id"] = self.get_model(values.get("model_id"))["id"]
        if not isinstance(values.get("summary"), dict):
            raise ValueError("evaluation record: summary must be an object (total, hit, accuracy, per_class, ...)")
        values.setdefault("data", {})
        values["id"] = id = new_id("ev")
        values["created_at"] = parse_time(values.get("created_at"), "evaluation record: created_at")
        files = dict(files or {})
        if predictions is not None:
            files[PREDICTIONS] = npz_bytes(predictions)
        self._publish(id, files, evaluations, values)
        return self.get_evaluation(id)

    def get_evaluation(self: Workspace, id: str) -> dict:
        return self._get(evaluations, "evaluation", id)

    def list_evaluations(self: Workspace, model_id: str | None = None) -> list[dict]:
        if model_id is None:
            return self._list(evaluations)
        return self._list(evaluations, evaluations.c.model_id == check_id(model_id, "model", ("mdl", "fnd")))

    def evaluation_path(self: Workspace, id: str, name: str) -> Path:
        self.get_evaluation(id)
        return self._artifact_file("evaluation", id, name)

    def load_predictions(self: Workspace, id: str, name: str = PREDICTIONS) -> dict[str, np.ndarray]:
        """The per-sample arrays of an evaluation (read without pickle)."""
        import numpy as np
        with np.load(self.evaluation_path(id, name), allow_pickle=False) as data:
            return {k: data[k] for k in data.files}

    # ------------------------------------------------------------ workflows (YAML text)

    def create_workflow(self: Workspace, name: str, yaml: str) -> dict:
        if not isinstance(yaml, str):
            raise ValueError(f"workflow yaml must be text, found {type(yaml).__name__}")
        now, id = utcnow(), new_id("wf")
        with self._write() as conn:
            conn.execute(workflows.insert().values(id=id, name=_name(name, "workflow"), yaml=yaml,
                                                   created_at=now, updated_at=now))
        return self.get_workflow(id)

    def get_workflow(self: Workspace, id: str) -> dict:
        return self._get(workflows, "workflow", id)

    def list_workflows(self: Workspace) -> list[dict]:
        return self._list(workflows)

    def update_workflow(self: Workspace, id: str, *, name: str | None = None, yaml: str | None = None) -> dict:
        values: dict[str, Any] = {"updated_at": utcnow()}
        if name is not None:
            values["name"] = _name(name, "workflow")
        if yaml is not None:
            if not isinstance(yaml, str):
                raise ValueError(f"workflow yaml must be text, found {type(yaml).__name__}")
            values["yaml"] = yaml
        return self._update(workflows, "workflow", id, values)

    def delete_workflow(self: Workspace, id: str) -> None:
        self._delete(workflows, "workflow", id)

    # ------------------------------------------------------------ saved networks (drawings)

    def create_network(self: Workspace, name: str, spec: dict) -> dict:
        if not isinstance(spec, dict):
            raise ValueError(f"network spec must be an object, found {type(spec).__name__}")
        now, id = utcnow(), new_id("net")
        with self._write() as conn:
            conn.execute(networks.insert().values(id=id, name=_name(name, "network"), spec=spec,
                                                  created_at=now, updated_at=now))
        return self.get_network(id)

    def get_network(self: Workspace, id: str) -> dict:
        return self._get(networks, "network", id)

    def list_networks(self: Workspace) -> list[dict]:
        return self._list(networks)

    def update_network(self: Workspace, id: str, *, name: str | None = None, spec: dict | None = None) -> dict:
        values: dict[str, Any] = {"updated_at": utcnow()}
        if name is not None:
            values["name"] = _name(name, "network")
        if spec is not None:
            if not isinstance(spec, dict):
                raise ValueError(f"network spec must be an object, found {type(spec).__name__}")
            values["spec"] = spec
        return self._update(networks, "network", id, values)

    def delete_network(self: Workspace, id: str) -> None:
        self._delete(networks, "network", id)

    # ------------------------------------------------------------ step cache (content-addressed)

    @staticmethod
    def _cache_key(key: Any) -> str:
        if not isinstance(key, str) or not CACHE_KEY.fullmatch(key):
            raise ValueError(f"step cache key must be a sha256 hex digest (64 lowercase hex), found {key!r:.80}")
        return key

    def get_cached_step(self: Workspace, key: str) -> dict | None:
        """The stored result for this step key, or None."""
        with self._read() as conn:
            row = conn.execute(select(step_cache.c.result).where(step_cache.c.key == self._cache_key(key))).first()
        return None if row is None else row.result

    def put_cached_step(self: Workspace, key: str, result: dict) -> None:
        """Store (or replace) the result for this step key."""
        if not isinstance(result, dict):
            raise ValueError(f"step cache result must be an object, found {type(result).__name__}")
        key = self._cache_key(key)
        upsert = {"sqlite": sqlite_insert, "postgresql": pg_insert}[self.engine.dialect.name]
        statement = upsert(step_cache).values(key=key, result=result, created_at=utcnow())
        with self._write() as conn:
            conn.execute(statement.on_conflict_do_update(
                index_elements=["key"], set_={"result": statement.excluded.result,
                                              "created_at": statement.excluded.created_at}))

    get_step, put_step = get_cached_step, put_cached_step
