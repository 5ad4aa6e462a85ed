"""Alembic environment: graft runs the migrations itself on a connection it opened (see graft.store.db).

For a new migration: write the next file in versions/ by hand (script.py.mako shows the layout), keeping
graft/store/tables.py in step; tests/store/test_migrations.py fails while the two disagree.
"""
from __future__ import annotations

from alembic import context

from graft.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("graft's migrations run through graft.store.db.migrate(), which passes a connection")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
