"""The scheduler role: the inbox worker, the outbox sender, the failed-push drain, the nightly
reconciliation, and the performance cycle's clocks — participant refresh, phase deadlines with their
reminders and escalations, overdue appeals, improvement-plan reminders.

Exactly one scheduler runs per installation (leader lock "scheduler"); a second one waits or exits.
Jobs are APScheduler jobs with coalesce=True and max_instances=1, in an in-memory job store: the work
they do is claimed from database rows, so a restart loses nothing and a repeated run is a no-op.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from callbacks import HandlerContext, build_router
from dingperf.events.failed_list import drain_failed_pushes
from dingperf.events.inbox_store import SqlInbox
from dingperf.events.leader import LeaderLock
from dingperf.events.worker import InboxWorker, WorkerSettings
from dingperf.services.appeal_escalation import escalate_overdue_appeals
from dingperf.services.client_factory import build_client
from dingperf.services.improvement_plans import remind_overdue_plans
from dingperf.services.outbox_sender import send_due
from dingperf.services.participant_refresh import refresh_open_cycles
from dingperf.services.phase_clock import close_due_phases
from dingperf.services.phase_reminders import send_phase_reminders
from dingperf.services.reconcile import reconcile
from dingperf.settings import Settings
from dingperf.store.engine import Store
from dingperf.store.types import utcnow

log = logging.getLogger(__name__)

LEADER_ROLE = "scheduler"
FAILED_LIST_EVERY_S = 300  # DingTalk makes failed pushes visible 3–5 minutes after the last retry
NIGHTLY_AT = (2, 30)  # 02:30 in the org's timezone, when nobody is checking in
PLAN_REMINDERS_AT = (9, 30)  # 09:30 in the org's timezone: overdue improvement-plan tasks, once a day
APPEAL_ESCALATION_EVERY_S = 3600  # appeal deadlines are days long; an hour late is soon enough to escalate
PARTICIPANTS_EVERY_S = 60  # contacts events mark the org changed; a burst of them costs one refresh a minute
PARTICIPANTS_FULL_EVERY = timedelta(hours=1)  # tenure and HR job levels change without any event
PHASE_CLOCK_EVERY_S = 60  # a phase closes, and its late people are escalated, within a minute of its deadline


@dataclass(frozen=True)
class SchedulerOptions:
    worker_threads: int = 1
    failed_list_every_s: int = FAILED_LIST_EVERY_S
    outbox_every_s: float = 5.0
    nightly_hour: int = NIGHTLY_AT[0]
    nightly_minute: int = NIGHTLY_AT[1]
    lock_wait_s: float | None = 0.0


class SchedulerRole:
    """Holds the leader lock, runs the inbox worker threads and the periodic jobs until stopped."""

    def __init__(self, settings: Settings, store: Store, *, client: Any = None,
                 options: SchedulerOptions | None = None) -> None:
        self.settings, self.store = settings, store
        self.options = options or SchedulerOptions()
        self.client = client or build_client(settings, store=store)
        self.inbox = SqlInbox(store)
        self.worker = InboxWorker(self.inbox, build_router(),
                                  context=HandlerContext(settings=settings, store=store, client=self.client),
                                  settings=WorkerSettings())
        self._lock = LeaderLock(settings.database.url, LEADER_ROLE)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._scheduler = BackgroundScheduler(timezone=settings.org.zone,
                                              job_defaults={"coalesce": True, "max_instances": 1})

    def drain_failed_list(self) -> None:
        """Pull DingTalk's failed-push list into the inbox (HTTP event mode only)."""
        report = drain_failed_pushes(self.client.callbacks.failed_pushes(), self.inbox.put,
                                     self.settings.dingtalk.corp_id)
        if report.fetched:
            log.info("scheduler: failed list drained: %s", report)

    def send_outbox(self) -> None:
        """Send what is due in the outbox (notifications, cards), under the client's rate limits."""
        while True:
            report = send_due(self.store, self.client, limit=50)
            if report.claimed < 50 or report.deferred:
                break  # nothing more due now, or the notice pace is used up for this minute

    def nightly(self) -> None:
        """Reconcile with DingTalk: catches whatever events were missed."""
        summary = reconcile(store=self.store, client=self.client, corp_id=self.settings.dingtalk.corp_id,
                            zone=self.settings.org.zone,
                            drain_failed=self.settings.dingtalk.event_mode == "http")
        log.info("scheduler: nightly reconciliation done: %s", summary)

    def plan_reminders(self) -> None:
        """Queue today's reminders to owners of overdue improvement-plan tasks (at most one per person a day)."""
        queued = remind_overdue_plans(self.store, self.settings.dingtalk.corp_id, now=utcnow(),
                                      zone=self.settings.org.zone, public_url=self.settings.server.public_url)
        log.info("scheduler: %d improvement-plan reminder(s) queued", queued)

    def escalate_appeals(self) -> None:
        """Escalate appeals past their handling deadline to the handler's manager and HR (once per round)."""
        report = escalate_overdue_appeals(self.store, self.settings.dingtalk.corp_id, now=utcnow(),
                                          hr_userids=self.settings.org.hr_userids,
                                          public_url=self.settings.server.public_url)
        if report.escalated:
            log.info("scheduler: escalated overdue appeal(s) %s", ", ".join(report.escalated))

    def refresh_participants(self) -> None:
        """Re-evaluate participant groups of unlocked cycles when the org changed, or hourly anyway."""
        for report in refresh_open_cycles(self.store, self.settings.dingtalk.corp_id, now=utcnow(),
                                          every=PARTICIPANTS_FULL_EVERY):
            log.info("scheduler: participants: %s", report.summary())

    def phase_clock(self) -> None:
        """Send due deadline reminders and escalations, then close phases whose deadline passed (in that order,
        so the late people of a closing phase are escalated before it moves on)."""
        settings, now = self.settings, utcnow()
        corp, hr, url = settings.dingtalk.corp_id, settings.org.hr_userids, settings.server.public_url
        reminders = send_phase_reminders(self.store, corp, now=now, hr_userids=hr, public_url=url)
        report = close_due_phases(self.store, corp, now=now, hr_userids=hr, public_url=url)
        if reminders.reminded or reminders.escalated or report.advanced:
            # A refused close stays refused every minute until HR acts (told once); it is not news each minute.
            log.info("scheduler: reminders %s, escalated %s; phases: %s", reminders.reminded, reminders.escalated,
                     report.summary())
        failed = {**reminders.failed, **report.failed}
        if failed:
            log.error("scheduler: phase clock failed for cycle(s) %s; they are retried next minute", failed)

    def _guarded(self, job: Any) -> Any:
        def run() -> None:
            try:
                job()
            except Exception:
                log.exception("scheduler: job %s failed; it runs again at its next time", job.__name__)
        run.__name__ = run.__qualname__ = job.__name__  # APScheduler names jobs by qualname
        return run

    def start(self) -> None:
        """Take the leader lock, then start worker threads and jobs."""
        self._lock.acquire(timeout=self.options.lock_wait_s)
        for n in range(self.options.worker_threads):
            t = threading.Thread(target=self.worker.run_forever, args=(self._stop,), name=f"inbox-worker-{n}",
                                 daemon=True)
            t.start()
            self._threads.append(t)
        if self.settings.dingtalk.event_mode == "http":
            self._guarded(self.drain_failed_list)()  # drain on start: pushes that failed while we were down
            self._scheduler.add_job(self._guarded(self.drain_failed_list),
                                    IntervalTrigger(seconds=self.options.failed_list_every_s), id="failed-list")
        self._scheduler.add_job(self._guarded(self.send_outbox),
                                IntervalTrigger(seconds=self.options.outbox_every_s), id="outbox")
        self._scheduler.add_job(self._guarded(self.nightly), CronTrigger(hour=self.options.nightly_hour,
                                                                           minute=self.options.nightly_minute),
                                id="nightly-reconcile")
        self._scheduler.add_job(self._guarded(self.plan_reminders), CronTrigger(hour=PLAN_REMINDERS_AT[0],
                                                                                  minute=PLAN_REMINDERS_AT[1]),
                                id="plan-reminders")
        self._scheduler.add_job(self._guarded(self.escalate_appeals),
                                IntervalTrigger(seconds=APPEAL_ESCALATION_EVERY_S), id="appeal-escalation")
        self._scheduler.add_job(self._guarded(self.refresh_participants),
                                IntervalTrigger(seconds=PARTICIPANTS_EVERY_S), id="participants")
        self._scheduler.add_job(self._guarded(self.phase_clock),
                                IntervalTrigger(seconds=PHASE_CLOCK_EVERY_S), id="phase-clock")
        self._scheduler.start()
        log.info("scheduler: leader for this installation; %d inbox worker(s) running", len(self._threads))

    def stop(self) -> None:
        """Stop jobs and workers (each finishes its current event) and release the lock."""
        self._stop.set()
        try:
            if self._scheduler.running:
                self._scheduler.shutdown(wait=False)
            for t in self._threads:
                t.join(timeout=30)
        finally:
            self._lock.release()

    def serve_forever(self, stop: threading.Event) -> None:
        self.start()
        try:
            stop.wait()
        finally:
            self.stop()
