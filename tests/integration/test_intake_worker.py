"""The inbox worker against a real (SQLite, or PostgreSQL in CI) store: dedupe, dispatch, retry, park, leases."""

import random
import threading
from datetime import UTC, datetime, timedelta

import pytest

from dingperf.events.event import Event
from dingperf.events.inbox_store import SqlInbox
from dingperf.events.retry import RetryPolicy
from dingperf.events.router import Router
from dingperf.events.worker import InboxWorker, WorkerSettings
from dingperf.store.repositories.inbox import get_inbox_event, replay_inbox_event

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def event(n: int = 1, event_type: str = "user_add_org") -> Event:
    return Event(corp_id="dingcorp", event_id=f"ev-{n}", event_type=event_type, born_at=T0 - timedelta(seconds=5),
                 source="stream", payload={"userId": [f"u{n}"], "timeStamp": "1"})


@pytest.fixture
def inbox(store) -> SqlInbox:
    return SqlInbox(store)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def worker(inbox, router, clock, **retry) -> InboxWorker:
    policy = RetryPolicy(**{"base_s": 10, "max_s": 600, "jitter": 0.0, "max_attempts": 3, **retry})
    return InboxWorker(inbox, router, context="ctx", clock=clock, rng=random.Random(1),
                       settings=WorkerSettings(batch_size=10, lease_s=60, retry=policy))


def row(inbox, event_id="ev-1"):
    with inbox.store.session() as s:
        return get_inbox_event(session=s, corp_id="dingcorp", event_id=event_id)


def test_duplicate_event_is_stored_once(inbox):
    assert inbox.put(event()) is True
    assert inbox.put(event()) is False
    assert inbox.put(event()) is False


def test_concurrent_duplicate_inserts_store_exactly_one(inbox):
    results, barrier = [], threading.Barrier(6)

    def put():
        barrier.wait()
        results.append(inbox.put(event()))

    threads = [threading.Thread(target=put) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 5 + [True]


def test_stored_event_round_trips_with_its_birth_time_and_payload(inbox, clock):
    seen = []
    router = Router()
    router.register("user_add_org", lambda ev, ctx: seen.append(ev))
    inbox.put(event())
    worker(inbox, router, clock).run_once()
    assert seen == [event()]


def test_handled_event_is_done_with_processed_time(inbox, clock):
    router = Router()
    router.register("user_add_org", lambda ev, ctx: None)
    inbox.put(event())
    report = worker(inbox, router, clock).run_once()
    stored = row(inbox)
    assert (report.handled, stored.status, stored.processed_at, stored.attempts) == (1, "done", T0, 1)


def test_duplicate_delivered_three_times_is_handled_once(inbox, clock):
    calls = []
    router = Router()
    router.register("user_add_org", lambda ev, ctx: calls.append(ev.event_id))
    w = worker(inbox, router, clock)
    for _ in range(3):
        inbox.put(event())
        w.run_once()
    assert calls == ["ev-1"]


def test_unknown_event_type_is_marked_done_not_failed(inbox, clock):
    inbox.put(event(event_type="label_user_change"))
    report = worker(inbox, Router(), clock).run_once()
    assert report.ignored == 1 and row(inbox).status == "done"


def test_failing_handler_is_retried_after_backoff(inbox, clock):
    outcomes = iter([RuntimeError("busy"), None])
    router = Router()

    def flaky(ev, ctx):
        result = next(outcomes)
        if result:
            raise result

    router.register("user_add_org", flaky)
    inbox.put(event())
    w = worker(inbox, router, clock)
    assert w.run_once().retried == 1
    failed = row(inbox)
    assert failed.status == "failed" and "busy" in failed.last_error
    assert failed.next_attempt_at == T0 + timedelta(seconds=10)
    assert w.run_once().claimed == 0  # not due yet
    clock.advance(10)
    assert w.run_once().handled == 1 and row(inbox).status == "done"


def test_poison_event_is_parked_after_max_attempts(inbox, clock):
    router = Router()

    def poison(ev, ctx):
        raise ValueError("cannot parse")

    router.register("user_add_org", poison)
    inbox.put(event())
    w = worker(inbox, router, clock, max_attempts=3)
    for _ in range(3):
        w.run_once()
        clock.advance(1000)
    parked = row(inbox)
    assert (parked.status, parked.attempts) == ("parked", 3)
    assert w.run_once().claimed == 0


def test_replayed_parked_event_runs_again(inbox, clock):
    calls = []
    router = Router()

    def poison_once(ev, ctx):
        calls.append(1)
        if len(calls) == 1:
            raise ValueError("bad")

    router.register("user_add_org", poison_once)
    inbox.put(event())
    w = worker(inbox, router, clock, max_attempts=1)
    assert w.run_once().parked == 1
    with inbox.store.session() as s:
        replay_inbox_event(session=s, corp_id="dingcorp", event_id="ev-1")
    assert w.run_once().handled == 1 and row(inbox).status == "done"


def test_abandoned_batch_is_reclaimed_after_the_lease_and_nothing_is_lost_or_doubled(inbox, clock):
    handled = []
    router = Router()
    router.register("user_add_org", lambda ev, ctx: handled.append(ev.event_id))
    for n in range(1, 6):
        inbox.put(event(n))
    crashed = worker(inbox, router, clock)
    abandoned = inbox.claim(limit=3, now=clock(), lease_s=60)  # the "crashed" worker's batch, never finished
    assert len(abandoned) == 3
    survivor = worker(inbox, router, clock)
    survivor.run_once()
    assert sorted(handled) == ["ev-4", "ev-5"]
    clock.advance(61)
    survivor.run_once()
    assert sorted(handled) == [f"ev-{n}" for n in range(1, 6)]
    assert crashed.port.mark_done(abandoned[0], processed_at=clock()) is False  # its lease is gone


def test_two_workers_never_claim_the_same_row(inbox, clock):
    for n in range(1, 21):
        inbox.put(event(n))
    first = inbox.claim(limit=12, now=clock(), lease_s=60)
    second = inbox.claim(limit=12, now=clock(), lease_s=60)
    ids = [c.row_id for c in first + second]
    assert len(ids) == len(set(ids)) == 20


def test_concurrent_claims_split_rows_without_overlap(inbox, clock):
    for n in range(1, 41):
        inbox.put(event(n))
    claimed, barrier = [], threading.Barrier(4)

    def claim():
        barrier.wait()
        claimed.extend(c.row_id for c in inbox.claim(limit=10, now=clock(), lease_s=60))

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(claimed) == len(set(claimed)) == 40
