"""Workflows, saved networks and the workflow step cache (rows without files); shared record checks."""
from __future__ import annotations

import io
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .ids import new_id
from .tables import networks, step_cache, utcnow, workflows

if TYPE_CHECKING:
    import numpy as np

CACHE_KEY = re.compile(r"[0-9a-f]{64}")


def check_name(value: Any, what: str) -> str:
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
    """Workflows, saved networks and the step cache: small documents with no files (self.db: Registry)."""

    # ------------------------------------------------------------ workflows (YAML text)

    def create_workflow(self, name: str, yaml: str) -> dict:
        if not isinstance(yaml, str):
            raise ValueError(f"workflow yaml must be text, found {type(yaml).__name__}")
        now, id = utcnow(), new_id("wf")
        with self.db.write() as conn:
            conn.execute(workflows.insert().values(id=id, name=check_name(name, "workflow"), yaml=yaml,
                                                   created_at=now, updated_at=now))
        return self.get_workflow(id)

    def get_workflow(self, id: str) -> dict:
        return self.db.get(workflows, "workflow", id)

    def list_workflows(self) -> list[dict]:
        return self.db.list(workflows)

    def update_workflow(self, id: str, *, name: str | None = None, yaml: str | None = None) -> dict:
        values: dict[str, Any] = {"updated_at": utcnow()}
        if name is not None:
            values["name"] = check_name(name, "workflow")
        if yaml is not None:
            if not isinstance(yaml, str):
                raise ValueError(f"workflow yaml must be text, found {type(yaml).__name__}")
            values["yaml"] = yaml
        return self.db.update(workflows, "workflow", id, values)

    def delete_workflow(self, id: str) -> None:
        self.db.delete(workflows, "workflow", id)

    # ------------------------------------------------------------ saved networks (drawings)

    def create_network(self, name: str, spec: dict) -> dict:
        if not isinstance(spec, dict):
            raise ValueError(f"network spec must be an object, found {type(spec).__name__}")
        now, id = utcnow(), new_id("net")
        with self.db.write() as conn:
            conn.execute(networks.insert().values(id=id, name=check_name(name, "network"), spec=spec,
                                                  created_at=now, updated_at=now))
        return self.get_network(id)

    def get_network(self, id: str) -> dict:
        return self.db.get(networks, "network", id)

    def list_networks(self) -> list[dict]:
        return self.db.list(networks)

    def update_network(self, id: str, *, name: str | None = None, spec: dict | None = None) -> dict:
        values: dict[str, Any] = {"updated_at": utcnow()}
        if name is not None:
            values["name"] = check_name(name, "network")
        if spec is not None:
            if not isinstance(spec, dict):
                raise ValueError(f"network spec must be an object, found {type(spec).__name__}")
            values["spec"] = spec
        return self.db.update(networks, "network", id, values)

    def delete_network(self, id: str) -> None:
        self.db.delete(networks, "network", id)

    # ------------------------------------------------------------ step cache (content-addressed)

    @staticmethod
    def _cache_key(key: Any) -> str:
        if not isinstance(key, str) or not CACHE_KEY.fullmatch(key):
            raise ValueError(f"step cache key must be a sha256 hex digest (64 lowercase hex), found {key!r:.80}")
        return key

    def get_cached_step(self, key: str) -> dict | None:
        """The stored result for this step key, or None."""
        with self.db.read() as conn:
            row = conn.execute(select(step_cache.c.result).where(step_cache.c.key == self._cache_key(key))).first()
        return None if row is None else row.result

    def put_cached_step(self, key: str, result: dict) -> None:
        """Store (or replace) the result for this step key."""
        if not isinstance(result, dict):
            raise ValueError(f"step cache result must be an object, found {type(result).__name__}")
        key = self._cache_key(key)
        upsert = {"sqlite": sqlite_insert, "postgresql": pg_insert}[self.engine.dialect.name]
        statement = upsert(step_cache).values(key=key, result=result, created_at=utcnow())
        with self.db.write() as conn:
            conn.execute(statement.on_conflict_do_update(
                index_elements=["key"], set_={"result": statement.excluded.result,
                                              "created_at": statement.excluded.created_at}))

    get_step, put_step = get_cached_step, put_cached_step
