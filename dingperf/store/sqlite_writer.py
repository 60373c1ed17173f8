"""One writer at a time on a SQLite file, queued by a lock file instead of SQLite's busy polling.

SQLite's busy handler sleeps in growing steps (up to 100 ms) and retries; with two processes writing
continuously (two gunicorn workers taking callbacks) a waiter can miss the lock again and again and wait
over a second. Taking an advisory lock beside the database before BEGIN IMMEDIATE, polling every
millisecond, keeps waits close to the length of the transactions ahead. A crashed holder's lock is
released by the kernel. Every transaction begun through the engine takes it (it cannot know whether it
will write); a raw DBAPI read in WAL mode does not, and neither blocks nor waits for the writer.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

POLL_S = 0.001


class WriterLockTimeout(RuntimeError):
    """Another connection held the SQLite writer lock for longer than the busy timeout."""


def lock_path(database: str) -> Path:
    return Path(database).resolve().with_name(Path(database).name + ".writer.lock")


def open_lock(database: str) -> int:
    """A file descriptor of its own per connection, so threads of one process queue too."""
    return os.open(lock_path(database), os.O_RDWR | os.O_CREAT, 0o600)


def acquire(fd: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise WriterLockTimeout(f"waited {timeout_s:.0f} s for the SQLite writer lock; another process "
                                        "holds a long transaction (see `dingperf doctor`)") from None
            time.sleep(POLL_S)


def release(fd: int) -> None:
    fcntl.flock(fd, fcntl.LOCK_UN)
