"""The migrated schema is exactly the SQLModel metadata, and the engine is tuned as documented."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from dingperf.store.engine import Store, StoreError, create_store_engine, normalise_database_url, open_store
from dingperf.store.migrate import current_revision, head_revision, require_current_schema, upgrade_database
from dingperf.store.tables import metadata


def test_migrated_schema_matches_the_table_definitions(store: Store) -> None:
    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(ctx, metadata) == []


def test_upgrade_reports_the_head_revision_and_is_idempotent(db_url: str) -> None:
    assert current_revision(db_url) is None
    assert upgrade_database(db_url) == head_revision()
    assert upgrade_database(db_url) == head_revision()


def test_every_table_has_a_corp_id_column() -> None:
    tables = {t.name for t in metadata.sorted_tables if "corp_id" not in t.c}
    assert tables == set()


def test_postgres_urls_are_normalised_to_psycopg3() -> None:
    assert normalise_database_url("postgres://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalise_database_url("postgresql://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalise_database_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_sqlite_runs_in_wal_mode_with_busy_timeout_and_foreign_keys(tmp_path) -> None:
    engine = create_store_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
    finally:
        engine.dispose()


def test_opening_a_store_creates_no_tables(db_url: str) -> None:
    opened = open_store(db_url)
    try:
        with opened.engine.connect() as conn:
            ctx = MigrationContext.configure(conn)
            assert ctx.get_current_revision() is None
    finally:
        opened.dispose()


def test_require_current_schema_tells_the_admin_to_upgrade(db_url: str) -> None:
    with pytest.raises(StoreError, match="dingperf db upgrade"):
        require_current_schema(db_url)
    upgrade_database(db_url)
    assert require_current_schema(db_url) == head_revision()
