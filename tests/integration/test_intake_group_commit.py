import threading
from datetime import UTC, datetime

import pytest

from dingperf.events.event import Event
from dingperf.events.group_commit import CommitterClosed, GroupCommitter
from dingperf.events.inbox_store import SqlInbox


def event(n: int) -> Event:
    return Event(corp_id="c", event_id=f"e{n}", event_type="user_add_org", born_at=datetime.now(UTC),
                 source="stream", payload={})


def test_concurrent_puts_share_transactions_and_all_land(store):
    inbox, batches = SqlInbox(store), []

    def write_many(events):
        batches.append(len(events))
        return inbox.put_many(events)

    committer = GroupCommitter(write_many)
    results, barrier = {}, threading.Barrier(40)

    def put(n):
        barrier.wait()
        results[n] = committer.put(event(n))

    threads = [threading.Thread(target=put, args=(n,)) for n in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    committer.close()
    assert results == {n: True for n in range(40)} and sum(batches) == 40 and len(batches) < 40


def test_duplicate_put_reports_false(store):
    committer = GroupCommitter(SqlInbox(store).put_many)
    assert committer.put(event(1)) is True and committer.put(event(1)) is False
    committer.close()


def test_a_failed_write_raises_in_every_waiting_caller():
    def broken(events):
        raise RuntimeError("disk full")

    committer = GroupCommitter(broken)
    with pytest.raises(RuntimeError, match="disk full"):
        committer.put(event(1))
    committer.close()


def test_put_after_close_is_refused():
    committer = GroupCommitter(lambda events: [True] * len(events))
    committer.close()
    with pytest.raises(CommitterClosed):
        committer.put(event(1))
