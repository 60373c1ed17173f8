"""Outbox repository: one row per idempotency key, leased claims, sent with DingTalk ids, retry and park."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dingperf.store.engine import LeaseLost, Store
from dingperf.store.repositories import (
    claim_outbox_batch,
    enqueue_outbox,
    get_outbox_message,
    list_outbox_messages,
    mark_outbox_failed,
    mark_outbox_sent,
)
from dingperf.store.tables import OutboxStatus

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def enqueue(store: Store, key: str, *, kind: str = "card", not_before: datetime | None = None) -> bool:
    with store.session() as s:
        return enqueue_outbox(session=s, corp_id="c1", idempotency_key=key, kind=kind,
                              payload={"userid": "u1"}, not_before=not_before, now=T0)


def test_same_idempotency_key_is_queued_once(store: Store) -> None:
    assert enqueue(store, "goal:1:confirm") is True
    assert enqueue(store, "goal:1:confirm") is False
    with store.session() as s:
        assert len(list_outbox_messages(session=s, corp_id="c1")) == 1


def test_claimed_message_is_marked_sent_with_dingtalk_ids(store: Store) -> None:
    enqueue(store, "k1")
    with store.session() as s:
        [msg] = claim_outbox_batch(session=s, now=T0)
        assert msg.status == OutboxStatus.SENDING
        mark_outbox_sent(session=s, outbox_id=msg.id, dingtalk_ids={"out_track_id": "k1"}, now=T0)
    with store.session() as s:
        sent = get_outbox_message(session=s, corp_id="c1", idempotency_key="k1")
        assert claim_outbox_batch(session=s, now=T0 + timedelta(hours=1)) == []
    assert sent.status == OutboxStatus.SENT and sent.dingtalk_ids == {"out_track_id": "k1"} and sent.sent_at == T0


def test_scheduled_message_waits_for_not_before(store: Store) -> None:
    enqueue(store, "k1", not_before=T0 + timedelta(hours=2))
    with store.session() as s:
        assert claim_outbox_batch(session=s, now=T0) == []
        assert len(claim_outbox_batch(session=s, now=T0 + timedelta(hours=2))) == 1


def test_claim_can_be_limited_to_kinds(store: Store) -> None:
    enqueue(store, "k1", kind="ding")
    enqueue(store, "k2", kind="work_notice")
    with store.session() as s:
        assert [m.idempotency_key for m in claim_outbox_batch(session=s, now=T0, kinds=["work_notice"])] == ["k2"]


def test_failed_message_retries_then_parks(store: Store) -> None:
    enqueue(store, "k1")
    with store.session() as s:
        [msg] = claim_outbox_batch(session=s, now=T0)
        mark_outbox_failed(session=s, outbox_id=msg.id, error="90018", retry_at=T0 + timedelta(seconds=10))
    with store.session() as s:
        [again] = claim_outbox_batch(session=s, now=T0 + timedelta(seconds=10))
        assert again.attempts == 2
        assert mark_outbox_failed(session=s, outbox_id=again.id, error="gave up", retry_at=None) == OutboxStatus.PARKED
    with store.session() as s:
        assert claim_outbox_batch(session=s, now=T0 + timedelta(days=1)) == []


def test_sent_after_losing_the_lease_is_refused(store: Store) -> None:
    enqueue(store, "k1")
    with store.session() as s:
        [slow] = claim_outbox_batch(session=s, now=T0, lease_seconds=10)
    with store.session() as s:
        [fast] = claim_outbox_batch(session=s, now=T0 + timedelta(seconds=11), lease_seconds=10)
    with pytest.raises(LeaseLost), store.session() as s:
        mark_outbox_sent(session=s, outbox_id=slow.id, dingtalk_ids={"task_id": 1}, lease_until=slow.lease_until)
    with store.session() as s:
        mark_outbox_sent(session=s, outbox_id=fast.id, dingtalk_ids={"task_id": 2}, lease_until=fast.lease_until)
    with store.session() as s:
        assert get_outbox_message(session=s, corp_id="c1", idempotency_key="k1").dingtalk_ids == {"task_id": 2}
