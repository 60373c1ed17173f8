"""Inbox repository: once per event id (even under concurrent duplicates), leased claims, retry and park."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from dingperf.store.engine import LeaseLost, NotFound, Store
from dingperf.store.repositories import (
    claim_inbox_batch,
    get_inbox_event,
    insert_inbox_event,
    list_inbox_events,
    mark_inbox_done,
    mark_inbox_failed,
    replay_inbox_event,
)
from dingperf.store.tables import InboxStatus

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def put(store: Store, event_id: str, *, corp_id: str = "c1", at: datetime = T0) -> bool:
    with store.session() as s:
        return insert_inbox_event(session=s, corp_id=corp_id, event_id=event_id, event_type="user_add_org",
                                  source="http", payload={"UserId": ["u1"]}, received_at=at)


def claim(store: Store, now: datetime, limit: int = 10) -> list[int]:
    with store.session() as s:
        return [row.id for row in claim_inbox_batch(session=s, now=now, limit=limit, lease_seconds=60)]


def test_duplicate_event_is_stored_once(store: Store) -> None:
    assert put(store, "e1") is True
    assert put(store, "e1") is False
    with store.session() as s:
        assert len(list_inbox_events(session=s)) == 1


def test_same_event_id_in_another_corp_is_a_different_event(store: Store) -> None:
    assert put(store, "e1", corp_id="c1") is True
    assert put(store, "e1", corp_id="c2") is True


def test_concurrent_duplicates_insert_exactly_once(store: Store) -> None:
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def deliver() -> None:
        barrier.wait()
        results.append(put(store, "dup"))

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]


def test_claim_leases_events_oldest_first_and_counts_the_attempt(store: Store) -> None:
    for i in range(3):
        put(store, f"e{i}")
    with store.session() as s:
        rows = claim_inbox_batch(session=s, now=T0, limit=2, lease_seconds=30)
    assert [r.event_id for r in rows] == ["e0", "e1"]
    assert all(r.status == InboxStatus.PROCESSING and r.attempts == 1 for r in rows)
    assert rows[0].lease_until == T0 + timedelta(seconds=30)
    assert [i for i in claim(store, T0)] == [3]  # the rest, not the leased ones


def test_expired_lease_is_claimed_again(store: Store) -> None:
    put(store, "e1")
    first = claim(store, T0)
    assert claim(store, T0 + timedelta(seconds=59)) == []
    assert claim(store, T0 + timedelta(seconds=61)) == first


def test_concurrent_claimers_never_share_an_event(store: Store) -> None:
    for i in range(40):
        put(store, f"e{i}")
    got: list[list[int]] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        barrier.wait()
        mine: list[int] = []
        while batch := claim(store, T0, limit=3):
            mine += batch
        got.append(mine)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [i for ids in got for i in ids]
    assert sorted(every) == sorted(set(every)) and len(every) == 40


def test_done_event_is_not_claimed_again(store: Store) -> None:
    put(store, "e1")
    [inbox_id] = claim(store, T0)
    with store.session() as s:
        mark_inbox_done(session=s, inbox_id=inbox_id, now=T0)
    assert claim(store, T0 + timedelta(hours=1)) == []
    with store.session() as s:
        assert get_inbox_event(session=s, corp_id="c1", event_id="e1").processed_at == T0


def test_failed_event_is_retried_only_when_due(store: Store) -> None:
    put(store, "e1")
    [inbox_id] = claim(store, T0)
    with store.session() as s:
        status = mark_inbox_failed(session=s, inbox_id=inbox_id, error="boom", retry_at=T0 + timedelta(minutes=5))
    assert status == InboxStatus.FAILED
    assert claim(store, T0 + timedelta(minutes=4)) == []
    with store.session() as s:
        [again] = claim_inbox_batch(session=s, now=T0 + timedelta(minutes=5))
    assert again.attempts == 2 and again.last_error == "boom"


def test_parked_event_stays_until_replayed(store: Store) -> None:
    put(store, "e1")
    [inbox_id] = claim(store, T0)
    with store.session() as s:
        assert mark_inbox_failed(session=s, inbox_id=inbox_id, error="poison", retry_at=None) == InboxStatus.PARKED
    assert claim(store, T0 + timedelta(days=1)) == []
    with store.session() as s:
        replayed = replay_inbox_event(session=s, corp_id="c1", event_id="e1")
    assert replayed.attempts == 0 and replayed.status == InboxStatus.RECEIVED
    assert claim(store, T0) == [inbox_id]


def test_payload_round_trips_as_json(store: Store) -> None:
    with store.session() as s:
        insert_inbox_event(session=s, corp_id="c1", event_id="e1", event_type="bpms_instance_change",
                           source="stream", payload={"processInstanceId": "p1", "中文": [1, 2.5, None]})
    with store.session() as s:
        row = get_inbox_event(session=s, corp_id="c1", event_id="e1")
    assert row.payload == {"processInstanceId": "p1", "中文": [1, 2.5, None]} and row.source == "stream"


def test_finish_after_losing_the_lease_is_refused(store: Store) -> None:
    put(store, "e1")
    with store.session() as s:
        [slow] = claim_inbox_batch(session=s, now=T0, lease_seconds=10)
    with store.session() as s:
        [fast] = claim_inbox_batch(session=s, now=T0 + timedelta(seconds=11), lease_seconds=10)
        mark_inbox_done(session=s, inbox_id=fast.id, now=T0 + timedelta(seconds=12), lease_until=fast.lease_until)
    with pytest.raises(LeaseLost), store.session() as s:
        mark_inbox_failed(session=s, inbox_id=slow.id, error="late", retry_at=T0, lease_until=slow.lease_until)
    with store.session() as s:
        assert get_inbox_event(session=s, corp_id="c1", event_id="e1").status == InboxStatus.DONE


def test_finishing_an_unknown_row_raises_not_found(store: Store) -> None:
    with pytest.raises(NotFound), store.session() as s:
        mark_inbox_done(session=s, inbox_id=12345)
