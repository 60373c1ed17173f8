"""Engines and sessions: SQLite in WAL mode by default, PostgreSQL through psycopg 3. Nothing at import time."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import StaticPool
from sqlmodel import Session

from dingperf.store import sqlite_writer

if TYPE_CHECKING:
    from dingperf.settings import Settings

SQLITE_BUSY_TIMEOUT_MS = 30_000
_LOCK_FD = "dingperf.sqlite_writer_fd"


class StoreError(Exception):
    """A store operation could not be done; the message says why and what to do."""


class NotFound(StoreError):
    """The row asked for does not exist."""


class LeaseLost(StoreError):
    """A worker's lease on an inbox/outbox row expired and another worker claimed it; drop the result."""


def normalise_database_url(url: str) -> str:
    """postgres:// and postgresql:// -> postgresql+psycopg:// (we ship psycopg 3, not psycopg2)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite:")


def create_store_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for `url`, with SQLite tuned for several processes (WAL, busy timeout, foreign keys)."""
    url = normalise_database_url(url)
    if not is_sqlite(url):
        return create_engine(url, echo=echo, pool_pre_ping=True, future=True)
    memory = url in ("sqlite://", "sqlite:///:memory:")
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}}
    if memory:
        kwargs["poolclass"] = StaticPool  # one shared in-memory database, not one per connection
    engine = create_engine(url, echo=echo, **kwargs)
    _tune_sqlite(engine, wal=not memory)
    return engine


def _tune_sqlite(engine: Engine, *, wal: bool) -> None:
    database = engine.url.database if wal else None

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, record: Any) -> None:
        if database:
            record.info[_LOCK_FD] = sqlite_writer.open_lock(database)
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (SAVEPOINTs work then).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if wal:
            cur.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")  # durable in WAL mode except on power loss
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front. A deferred transaction that reads and then writes fails at
        # once with "database is locked" when another connection committed in between (busy_timeout cannot
        # help a stale snapshot); waiting for the lock at BEGIN is what busy_timeout is for.
        fd = conn.info.get(_LOCK_FD)
        if fd is not None:
            sqlite_writer.acquire(fd, SQLITE_BUSY_TIMEOUT_MS / 1000)
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _unlock(conn)
            raise

    @event.listens_for(engine, "commit")
    def _on_commit(conn: Any) -> None:
        _unlock(conn)

    @event.listens_for(engine, "rollback")
    def _on_rollback(conn: Any) -> None:
        _unlock(conn)

    @event.listens_for(engine, "close")
    def _on_close(dbapi_conn: Any, record: Any) -> None:
        fd = record.info.pop(_LOCK_FD, None)
        if fd is not None:
            os.close(fd)


def _unlock(conn: Any) -> None:
    fd = conn.info.get(_LOCK_FD)
    if fd is not None:
        sqlite_writer.release(fd)


@dataclass(frozen=True)
class Store:
    """The database: `with store.session() as s:` commits on success and rolls back on error."""

    engine: Engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def dispose(self) -> None:
        self.engine.dispose()


def open_store(url: str, *, echo: bool = False) -> Store:
    """A Store on `url` (not migrated: call dingperf.store.migrate.upgrade first)."""
    return Store(engine=create_store_engine(url, echo=echo))


def store_for(settings: Settings) -> Store:
    """The Store configured by settings.database.url."""
    return open_store(settings.database.url)
