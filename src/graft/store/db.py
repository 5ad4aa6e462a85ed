"""Database engines (SQLite file or PostgreSQL URL) and the migrations that bring a registry up to date."""
from __future__ import annotations

from pathlib import Path

from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_MS = 30_000
PG_MIGRATION_LOCK = 0x67726166  # "graf": one process migrates at a time
SCHEMA_REVISION = "0001"  # the newest file in migrations/versions (a test checks they agree)
# Connections kept open for reuse. The server reads from up to 40 threads (anyio's pool); beyond the kept ones
# each checkout opens a new SQLite connection (and its pragmas) and closes it after one query.
SQLITE_POOL, SQLITE_OVERFLOW = 20, 30


class StoreError(RuntimeError):
    """The registry cannot be opened or used (bad URL, a schema newer than this graft, a broken workspace)."""


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"database URL {url!r} is not a URL (expected sqlite:///PATH or "
                         "postgresql+psycopg://USER@HOST/DB)") from None
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        return create_engine(parsed, pool_pre_ping=True)
    if backend != "sqlite":
        raise StoreError(f"database URL {parsed.render_as_string()!r}: backend {backend!r} is not supported "
                         "(expected sqlite or postgresql)")
    engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_MS / 1000}, pool_size=SQLITE_POOL,
                           max_overflow=SQLITE_OVERFLOW)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # let SQLAlchemy issue BEGIN itself (below) instead of pysqlite's implicit, deferred transactions
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", f"busy_timeout={SQLITE_BUSY_MS}", "synchronous=NORMAL"):
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # A writer takes the write lock up front: a deferred transaction that later upgrades from reading to
        # writing fails at once with "database is locked" instead of waiting out busy_timeout.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("graft_write") else "BEGIN")

    return engine


def _alembic_config() -> Config:
    from alembic.config import Config
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The registry's schema revision; None for an empty database."""
    with engine.connect() as conn:
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except DBAPIError:
            return None


def migrate(engine: Engine) -> str:
    """Upgrade the registry to the newest schema (no-op when it is current); return the revision."""
    if current_revision(engine) == SCHEMA_REVISION:
        return SCHEMA_REVISION  # the common case, without importing alembic (slow to import)
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError

    cfg = _alembic_config()
    script = ScriptDirectory.from_config(cfg)
    head = script.get_current_head()
    with engine.connect() as conn:
        conn = conn.execution_options(graft_write=True)
        with conn.begin():
            if engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_MIGRATION_LOCK})
            current = MigrationContext.configure(conn).get_current_revision()
            if current == head:
                return head
            if current is not None:
                try:
                    script.get_revision(current)
                except CommandError:
                    raise StoreError(f"the registry has schema revision {current!r}, which this version of graft "
                                     f"does not know (newest known: {head!r}); upgrade graft") from None
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    return head
