"""A small org and a cycle with a deadline for every phase, for the phase clock and reminder tests.

boss manages mia; mia manages ann, bob and cat. All four are participants (mia's manager, boss, comes from
the address book). hr1 is HR. The cycle weighs self 20 / manager 80.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from dingperf.perf.cycles import Phase
from dingperf.perf.library import load_template
from dingperf.perf.raters import RaterConfig
from dingperf.services.cycles import Participant, add_participants, create_cycle
from dingperf.services.phases import override_phase
from dingperf.services.score_inputs import RatingEntry, record_ratings
from dingperf.services.templates import publish_template
from dingperf.store.engine import Store
from dingperf.store.repositories import list_outbox_messages, upsert_employees
from dingperf.store.repositories.audit import list_audit
from dingperf.store.tables import EmployeeBase

CORP, CYCLE = "dingcorp-clock", "2026-H2"
HR = ("hr1",)
T0 = datetime(2026, 7, 1, 1, 0, tzinfo=UTC)
DAY = timedelta(days=1)
DEADLINES = {Phase.GOAL_SETTING: T0 + 10 * DAY, Phase.CONFIRMATION: T0 + 14 * DAY, Phase.IN_PROGRESS: T0 + 150 * DAY,
             Phase.SELF_REVIEW: T0 + 160 * DAY, Phase.MANAGER_REVIEW: T0 + 170 * DAY,
             Phase.CALIBRATION: T0 + 180 * DAY}
REPORTS = ("ann", "bob", "cat")
VALUES = {"customer_first": 4, "integrity": 5}


def org_and_cycle(store: Store, *, deadlines: dict[Phase, datetime] | None = None,
                  extra: tuple[str, ...] = ()) -> Store:
    """Sync the org, publish sales-rep and create the cycle with its participants (plus `extra` under mia)."""
    staff = [EmployeeBase(userid="mia", name="米娅", manager_userid="boss"),
             EmployeeBase(userid="boss", name="老板", manager_userid=None),
             *(EmployeeBase(userid=u, name=u.upper(), manager_userid="mia") for u in (*REPORTS, *extra))]
    with store.session() as s:
        upsert_employees(session=s, corp_id=CORP, employees=staff, now=T0)
    publish_template(store, CORP, load_template("sales-rep"), actor="hr1", now=T0)
    create_cycle(store, CORP, cycle_id=CYCLE, name="2026下半年", kind="half_year", period_start=date(2026, 7, 1),
                 period_end=date(2026, 12, 31), template_id="sales-rep", actor="hr1", now=T0,
                 raters=RaterConfig.build({"self": 20, "manager": 80}),
                 deadlines=DEADLINES if deadlines is None else deadlines)
    add_participants(store, CORP, CYCLE, [Participant("mia"), *(Participant(u, "mia") for u in (*REPORTS, *extra))],
                     now=T0)
    return store


def enter(store: Store, phase: Phase, at: datetime) -> None:
    """HR moves the cycle into `phase` at `at` (an audited override, as a re-open or skip would be)."""
    override_phase(store, CORP, CYCLE, phase, actor="hr1", reason="test setup", now=at)


def rate(store: Store, *entries: tuple[str, str, str], at: datetime) -> None:
    """Record (reviewee, rater, group) ratings of the values section."""
    record_ratings(store, CORP, CYCLE, [RatingEntry(u, r, g, "values", VALUES) for u, r, g in entries], now=at,
                   trusted_import=True)


def outbox(store: Store) -> dict[str, dict]:
    """Idempotency key → payload of every queued message."""
    with store.session() as s:
        return {m.idempotency_key: m.payload for m in list_outbox_messages(session=s, corp_id=CORP, limit=10_000)}


def told(store: Store, marker: str) -> dict[str, list[str]]:
    """Key → recipients of the queued messages whose key contains `marker`."""
    return {k: p["userids"] for k, p in outbox(store).items() if marker in k}


def audit(store: Store, action: str) -> list:
    with store.session() as s:
        return list_audit(session=s, corp_id=CORP, action=action, limit=1000)
