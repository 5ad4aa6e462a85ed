"""The first registry: models, runs, datasets, evaluations, workflows, networks, step cache.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.String(16)


def when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", ID, primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False, server_default=""),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("request", sa.JSON, nullable=False),
        sa.Column("progress", sa.JSON),
        sa.Column("history", sa.JSON),
        sa.Column("error", sa.Text),
        sa.Column("model_id", ID),
        sa.Column("pid", sa.Integer),
        sa.Column("host", sa.String(255)),
        sa.Column("proc_start", sa.String(32)),
        sa.Column("seed", sa.BigInteger),
        sa.Column("workflow_hash", sa.String(64)),
        sa.Column("checkpoint", sa.String(255)),
        when("created_at"), when("started_at", True), when("finished_at", True), when("updated_at"),
    )
    op.create_index("ix_runs_status", "runs", ["status"])
    op.create_index("ix_runs_created_at", "runs", ["created_at"])

    op.create_table(
        "models",
        sa.Column("id", ID, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("spec", sa.JSON, nullable=False),
        sa.Column("parent_id", ID, sa.ForeignKey("models.id", ondelete="SET NULL")),
        sa.Column("foundation_ids", sa.JSON, nullable=False),
        sa.Column("dataset", sa.JSON),
        sa.Column("data_fingerprint", sa.String(64)),
        sa.Column("data_stats", sa.JSON),
        sa.Column("hparams", sa.JSON),
        sa.Column("metrics", sa.JSON),
        sa.Column("versions", sa.JSON),
        sa.Column("block_sha256", sa.JSON),
        sa.Column("weights_sha256", sa.String(64)),
        sa.Column("params", sa.BigInteger),
        sa.Column("input_shape", sa.JSON),
        sa.Column("output_shape", sa.JSON),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("run_id", ID, sa.ForeignKey("runs.id", ondelete="SET NULL")),
        sa.Column("extra", sa.JSON),
        when("created_at"),
    )
    op.create_index("ix_models_kind", "models", ["kind"])
    op.create_index("ix_models_parent_id", "models", ["parent_id"])
    op.create_index("ix_models_created_at", "models", ["created_at"])

    op.create_table(
        "datasets",
        sa.Column("id", ID, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("classes", sa.JSON, nullable=False),
        sa.Column("sizes", sa.JSON, nullable=False),
        sa.Column("shape", sa.JSON),
        sa.Column("fingerprint", sa.String(64)),
        sa.Column("stats", sa.JSON),
        sa.Column("source", sa.JSON),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        when("created_at"),
    )

    op.create_table(
        "evaluations",
        sa.Column("id", ID, primary_key=True),
        sa.Column("model_id", ID, sa.ForeignKey("models.id", ondelete="CASCADE"), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("data_fingerprint", sa.String(64)),
        sa.Column("summary", sa.JSON, nullable=False),
        sa.Column("run_id", ID, sa.ForeignKey("runs.id", ondelete="SET NULL")),
        when("created_at"),
    )
    op.create_index("ix_evaluations_model_id", "evaluations", ["model_id"])

    op.create_table(
        "workflows",
        sa.Column("id", ID, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("yaml", sa.Text, nullable=False),
        when("created_at"), when("updated_at"),
    )
    op.create_table(
        "networks",
        sa.Column("id", ID, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("spec", sa.JSON, nullable=False),
        when("created_at"), when("updated_at"),
    )
    op.create_table(
        "step_cache",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("result", sa.JSON, nullable=False),
        when("created_at"),
    )


def downgrade() -> None:
    for table in ("step_cache", "networks", "workflows", "evaluations", "datasets", "models", "runs"):
        op.drop_table(table)
