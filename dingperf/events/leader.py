"""One-per-installation roles (the Stream connection, the scheduler): a file lock on SQLite, an advisory
lock on PostgreSQL. The lock lives as long as this process holds it, so a crash frees it."""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Self

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from dingperf.store.engine import normalise_database_url


class LeaderLockHeld(RuntimeError):
    """Another process (or object) already holds this role's lock."""


class LeaderLockLost(RuntimeError):
    """The lock was held but is gone (its PostgreSQL session died); stop the role and start over."""


def advisory_key(name: str) -> int:
    """A stable signed 63-bit key for pg_advisory_lock derived from the role name."""
    return int.from_bytes(hashlib.sha256(f"dingperf:{name}".encode()).digest()[:8], "big") >> 1


def lock_file_path(database_url: str, name: str) -> Path:
    """Where the SQLite file lock for `name` lives: beside the database file."""
    database = make_url(database_url).database
    if not database or database == ":memory:":
        return Path(tempfile.gettempdir()) / f"dingperf-memory-{os.getpid()}.{name}.lock"
    return Path(database).resolve().with_name(Path(database).name + f".{name}.lock")


class LeaderLock:
    """`try_acquire()` → bool, `acquire(timeout)` raises LeaderLockHeld, `release()`; usable as a context."""

    def __init__(self, database_url: str, name: str) -> None:
        self.database_url = normalise_database_url(database_url)  # postgres:// → psycopg 3, as the store does
        self.name = name
        self._backend = make_url(database_url).get_backend_name()
        self._fd: int | None = None
        self._conn: Any = None
        self._engine: Any = None

    @property
    def is_held(self) -> bool:
        return self._fd is not None or self._conn is not None

    def is_still_held(self) -> bool:
        """False when a held PostgreSQL lock's session has died (the server then released the lock)."""
        if self._fd is not None:
            return True
        if self._conn is None:
            return False
        try:
            self._conn.execute(text("SELECT 1"))
        except Exception:  # noqa: BLE001 - any failure of the lock's session means the lock is gone
            return False
        return True

    def try_acquire(self) -> bool:
        """Take the lock if it is free; never blocks."""
        if self.is_held:
            return True
        if self._backend == "postgresql":
            return self._try_postgres()
        return self._try_file()

    def acquire(self, timeout: float | None = 0.0, poll_s: float = 1.0) -> None:
        """Take the lock, waiting up to `timeout` seconds (None: forever)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.try_acquire():
            if deadline is not None and time.monotonic() >= deadline:
                raise LeaderLockHeld(
                    f"another dingperf process already runs the {self.name!r} role for {self._where()}; "
                    "stop it first, or run this role only once per installation")
            time.sleep(poll_s)

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": advisory_key(self.name)})
            finally:
                self._conn.close()
                self._engine.dispose()
                self._conn = self._engine = None

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def _where(self) -> str:
        if self._backend == "postgresql":
            return "this PostgreSQL database"
        return str(lock_file_path(self.database_url, self.name))

    def _try_file(self) -> bool:
        path = lock_file_path(self.database_url, self.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def _try_postgres(self) -> bool:
        # A dedicated connection outside any pool: the session-level lock lives exactly as long as it.
        engine = create_engine(self.database_url, poolclass=NullPool)
        conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": advisory_key(self.name)}).scalar()
        if not got:
            conn.close()
            engine.dispose()
            return False
        self._conn, self._engine = conn, engine
        return True
