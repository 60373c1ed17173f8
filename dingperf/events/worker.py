"""The inbox worker: claim a batch under a lease, dispatch each event, then mark it done, retry it later
with backoff, or park it after too many failures. A crashed worker's lease expires and the rows return."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from dingperf.events.event import Event
from dingperf.events.retry import RetryPolicy
from dingperf.events.router import Outcome, Router

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClaimedEvent:
    """An inbox row this worker holds until `lease_until` (also its fencing token); `attempt` is 1-based."""

    row_id: int
    event: Event
    attempt: int
    lease_until: datetime


class InboxPort(Protocol):
    """What the worker needs from the inbox store (see dingperf.events.inbox_store)."""

    def claim(self, *, limit: int, now: datetime, lease_s: float) -> list[ClaimedEvent]: ...

    def mark_done(self, claimed: ClaimedEvent, *, processed_at: datetime) -> bool: ...

    def mark_retry(self, claimed: ClaimedEvent, *, next_attempt_at: datetime, error: str) -> bool: ...

    def mark_parked(self, claimed: ClaimedEvent, *, error: str, at: datetime) -> bool: ...


@dataclass(frozen=True)
class WorkerSettings:
    batch_size: int = 20
    lease_s: float = 300.0  # longer than any handler should take; a handler re-reads DingTalk at most a few times
    idle_s: float = 1.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)


@dataclass
class BatchReport:
    claimed: int = 0
    handled: int = 0
    ignored: int = 0
    retried: int = 0
    parked: int = 0
    lost_lease: int = 0


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:1000]


class InboxWorker:
    """Runs handlers for stored events; `run_once()` for one batch, `run_forever(stop)` as a loop."""

    def __init__(self, port: InboxPort, router: Router, *, context: Any = None,
                 settings: WorkerSettings | None = None, clock: Callable[[], datetime] | None = None,
                 rng: random.Random | None = None) -> None:
        self.port, self.router, self.context = port, router, context
        self.settings = settings or WorkerSettings()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.rng = rng or random.Random()

    def run_once(self) -> BatchReport:
        """Claim up to batch_size due events and process each one."""
        now = self.clock()
        batch = self.port.claim(limit=self.settings.batch_size, now=now, lease_s=self.settings.lease_s)
        report = BatchReport(claimed=len(batch))
        for claimed in batch:
            self.process(claimed, report)
        return report

    def process(self, claimed: ClaimedEvent, report: BatchReport) -> None:
        """Dispatch one claimed event and record its outcome."""
        event = claimed.event
        try:
            outcome = self.router.dispatch(event, self.context)
        except Exception as exc:  # noqa: BLE001 - every handler failure is retried or parked, never lost
            self._failed(claimed, exc, report)
            return
        kept = self.port.mark_done(claimed, processed_at=self.clock())
        if not kept:
            report.lost_lease += 1
            log.warning("inbox: lease on %s expired before it was marked done; it may run again", event.event_id)
        elif outcome is Outcome.IGNORED:
            report.ignored += 1
        else:
            report.handled += 1

    def _failed(self, claimed: ClaimedEvent, exc: Exception, report: BatchReport) -> None:
        attempts = claimed.attempt
        event, policy, error = claimed.event, self.settings.retry, _describe(exc)
        if policy.should_park(attempts):
            if not self.port.mark_parked(claimed, error=error, at=self.clock()):
                report.lost_lease += 1
                return
            report.parked += 1
            log.error("inbox: parked %s %s after %d attempts: %s (replay with `dingperf inbox replay %s`)",
                      event.event_type, event.event_id, attempts, error, event.event_id)
            return
        delay = policy.delay(attempts, self.rng)
        if not self.port.mark_retry(claimed, next_attempt_at=self.clock() + delay, error=error):
            report.lost_lease += 1
            return
        report.retried += 1
        log.warning("inbox: %s %s failed (attempt %d), retrying in %.0fs: %s", event.event_type, event.event_id,
                    attempts, delay.total_seconds(), error)

    def run_forever(self, stop: threading.Event) -> None:
        """Process batches until `stop` is set; sleeps `idle_s` only when there was nothing to do."""
        while not stop.is_set():
            try:
                report = self.run_once()
            except Exception as exc:  # noqa: BLE001 - a database hiccup must not kill the worker
                log.error("inbox: batch failed, will retry: %s", _describe(exc))
                stop.wait(self.settings.idle_s)
                continue
            if report.claimed == 0:
                stop.wait(self.settings.idle_s)
