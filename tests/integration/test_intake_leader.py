"""The one-per-installation leader lock (file lock on SQLite; advisory lock when CI runs on PostgreSQL)."""

import pytest

from dingperf.events.leader import LeaderLock, LeaderLockHeld, advisory_key


def test_second_holder_of_the_same_role_is_refused(db_url):
    first, second = LeaderLock(db_url, "stream"), LeaderLock(db_url, "stream")
    assert first.try_acquire()
    try:
        assert not second.try_acquire()
        with pytest.raises(LeaderLockHeld, match="stream"):
            second.acquire(timeout=0)
    finally:
        first.release()


def test_released_lock_can_be_taken_again(db_url):
    first = LeaderLock(db_url, "stream")
    with first:
        pass
    second = LeaderLock(db_url, "stream")
    assert second.try_acquire()
    second.release()


def test_different_roles_do_not_exclude_each_other(db_url):
    stream, scheduler = LeaderLock(db_url, "stream"), LeaderLock(db_url, "scheduler")
    assert stream.try_acquire() and scheduler.try_acquire()
    stream.release()
    scheduler.release()


def test_advisory_keys_are_stable_and_fit_a_signed_bigint():
    assert advisory_key("stream") == advisory_key("stream") != advisory_key("scheduler")
    assert 0 <= advisory_key("stream") < 2**63


def test_a_held_lock_reports_itself_still_held_and_a_released_one_not(db_url):
    lock = LeaderLock(db_url, "stream")
    lock.acquire()
    assert lock.is_still_held()
    lock.release()
    assert not lock.is_still_held()


@pytest.mark.postgres
def test_a_postgres_lock_whose_session_died_is_reported_lost(db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("the advisory lock only exists on PostgreSQL")
    from sqlalchemy import create_engine, text

    lock = LeaderLock(db_url, "stream")
    lock.acquire()
    pid = lock._conn.execute(text("SELECT pg_backend_pid()")).scalar()
    killer = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with killer.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    killer.dispose()
    assert not lock.is_still_held()
    assert LeaderLock(db_url, "stream").try_acquire()
