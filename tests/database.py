"""Test databases: SQLite in a temp folder by default, a fresh PostgreSQL database per test when
DINGPERF_TEST_DATABASE_URL points at a server (any existing database there; we create and drop our own)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from dingperf.store.engine import Store, normalise_database_url, open_store
from dingperf.store.migrate import upgrade_database

TEST_DATABASE_ENV = "DINGPERF_TEST_DATABASE_URL"


def postgres_admin_url() -> str | None:
    """The PostgreSQL server tests should use, or None for SQLite."""
    url = os.environ.get(TEST_DATABASE_ENV, "").strip()
    return normalise_database_url(url) if url else None


def _admin_execute(admin_url: str, sql: str) -> None:
    import psycopg

    url = make_url(admin_url)
    with psycopg.connect(host=url.host, port=url.port, user=url.username, password=url.password,
                         dbname=url.database or "postgres", autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    """URL of a fresh, empty database for this test (not migrated)."""
    admin = postgres_admin_url()
    if admin is None:
        yield f"sqlite:///{tmp_path / 'dingperf-test.db'}"
        return
    name = f"dingperf_t_{uuid.uuid4().hex[:12]}"
    _admin_execute(admin, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        _admin_execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A Store on a fresh database migrated to the newest schema."""
    upgrade_database(db_url)
    opened = open_store(db_url)
    try:
        yield opened
    finally:
        opened.dispose()
