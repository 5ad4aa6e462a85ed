"""The registry's tables (SQLAlchemy Core). The migrations in migrations/versions create exactly these;
tests/store/test_migrations.py checks that the two agree.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON, BigInteger, Column, DateTime, ForeignKey, Index, Integer, MetaData, String, Table, Text, TypeDecorator,
)

metadata = MetaData()

ID = String(16)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every backend (SQLite keeps no time zone, so store naive UTC there)."""
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware (UTC) datetime")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


runs = Table(
    "runs", metadata,
    Column("id", ID, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("name", String(200), nullable=False, server_default=""),
    Column("status", String(16), nullable=False, index=True),
    Column("request", JSON, nullable=False),
    Column("progress", JSON),
    Column("history", JSON),
    Column("error", Text),
    # no foreign key: a run row must not block deleting or importing models
    Column("model_id", ID),
    Column("pid", Integer),
    Column("host", String(255)),
    Column("proc_start", String(32)),   # the process's start time: tells a reused pid from the original
    Column("seed", BigInteger),
    Column("workflow_hash", String(64)),
    Column("checkpoint", String(255)),  # relative to the workspace root
    Column("created_at", UTCDateTime, nullable=False),
    Column("started_at", UTCDateTime),
    Column("finished_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
)

models = Table(
    "models", metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False, index=True),
    Column("spec", JSON, nullable=False),
    Column("parent_id", ID, ForeignKey("models.id", ondelete="SET NULL"), index=True),
    Column("foundation_ids", JSON, nullable=False),
    Column("dataset", JSON),
    Column("data_fingerprint", String(64)),
    Column("data_stats", JSON),
    Column("hparams", JSON),
    Column("metrics", JSON),
    Column("versions", JSON),
    Column("block_sha256", JSON),
    Column("weights_sha256", String(64)),
    Column("params", BigInteger),
    Column("input_shape", JSON),
    Column("output_shape", JSON),
    Column("description", Text, nullable=False, server_default=""),
    Column("run_id", ID, ForeignKey("runs.id", ondelete="SET NULL")),
    Column("extra", JSON),  # record fields without a column of their own (provenance such as `slice`)
    Column("created_at", UTCDateTime, nullable=False),
)

datasets = Table(
    "datasets", metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("classes", JSON, nullable=False),
    Column("sizes", JSON, nullable=False),
    Column("shape", JSON),
    Column("fingerprint", String(64)),
    Column("stats", JSON),
    Column("source", JSON),
    Column("description", Text, nullable=False, server_default=""),
    Column("created_at", UTCDateTime, nullable=False),
)

evaluations = Table(
    "evaluations", metadata,
    Column("id", ID, primary_key=True),
    Column("model_id", ID, ForeignKey("models.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("data", JSON, nullable=False),
    Column("data_fingerprint", String(64)),
    Column("summary", JSON, nullable=False),
    Column("run_id", ID, ForeignKey("runs.id", ondelete="SET NULL")),
    Column("created_at", UTCDateTime, nullable=False),
)

workflows = Table(
    "workflows", metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("yaml", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

networks = Table(  # saved drawings of the workbench (GET/POST /api/networks)
    "networks", metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("spec", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

step_cache = Table(
    "step_cache", metadata,
    Column("key", String(64), primary_key=True),
    Column("result", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

Index("ix_runs_created_at", runs.c.created_at)
Index("ix_models_created_at", models.c.created_at)

