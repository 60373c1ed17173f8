"""SQLite transactions queue on a lock file beside the database instead of SQLite's busy polling."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from dingperf.store import sqlite_writer
from dingperf.store.engine import create_store_engine


def test_a_second_writer_waits_for_the_first_and_then_proceeds(tmp_path):
    engine = create_store_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.begin() as c:
        c.execute(text("CREATE TABLE t (v INTEGER)"))
    order: list[str] = []
    first_in = threading.Event()
    may_commit = threading.Event()

    def first() -> None:
        with engine.begin() as c:
            c.execute(text("INSERT INTO t VALUES (1)"))
            first_in.set()
            may_commit.wait(5)
            order.append("first commits")

    t = threading.Thread(target=first)
    t.start()
    first_in.wait(5)
    threading.Timer(0.2, may_commit.set).start()  # the second BEGIN below must wait for this commit
    with engine.begin() as c:
        c.execute(text("INSERT INTO t VALUES (2)"))
        order.append("second writes")
    t.join(5)
    assert order == ["first commits", "second writes"]
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM t")).scalar() == 2
    engine.dispose()


def test_a_lock_held_past_the_timeout_is_a_clear_error(tmp_path):
    database = str(tmp_path / "x.db")
    holder, waiter = sqlite_writer.open_lock(database), sqlite_writer.open_lock(database)
    sqlite_writer.acquire(holder, 1)
    with pytest.raises(sqlite_writer.WriterLockTimeout, match="SQLite writer lock"):
        sqlite_writer.acquire(waiter, 0.01)
    sqlite_writer.release(holder)
    sqlite_writer.acquire(waiter, 0.01)  # free again
