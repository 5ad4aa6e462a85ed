"""The shipped migrations build exactly the tables the code uses, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from graft.store import StoreError, Workspace
from graft.store.db import SCHEMA_REVISION, current_revision, head_revision
from graft.store.tables import metadata


def test_schema_revision_constant_is_the_newest_migration():
    assert head_revision() == SCHEMA_REVISION


def test_migrated_database_matches_the_tables(ws):
    assert current_revision(ws.engine) == SCHEMA_REVISION
    with ws.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert diff == []


def test_a_newer_schema_is_refused_with_a_clear_message(ws, db_url):
    with ws.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    ws.close()
    with pytest.raises(StoreError, match="revision '9999'.*upgrade graft"):
        Workspace(ws.root, db_url=db_url)


@pytest.mark.parametrize("url", ["mysql://u@h/db", "not a url"])
def test_unsupported_database_urls(tmp_path, url):
    with pytest.raises(StoreError, match="database URL"):
        Workspace(tmp_path, db_url=url)
