"""Alembic environment: runs on a connection handed over by dingperf.store.migrate (or a URL)."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from dingperf.store.engine import create_store_engine
from dingperf.store.tables import metadata

# Any 64-bit number; all processes upgrading the same PostgreSQL database queue on it.
_PG_MIGRATION_LOCK = 0x64696E67706572


def _render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Render our column types by their import path so generated migrations import cleanly."""
    from dingperf.store.types import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "dingperf.store.types.UTCDateTime()"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite needs table copies for ALTER
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_store_engine(context.config.attributes["database_url"])
    try:
        with engine.connect() as conn:
            _run(conn)
            conn.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run `dingperf db upgrade`")
run_migrations_online()
