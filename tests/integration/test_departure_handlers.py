"""Address-book events drive the hand-over end to end: the sandbox changes its org and pushes the event, the
worker runs callbacks/contacts.py, and the participant's manager review follows the org."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from dingperf.perf.library import load_template
from dingperf.services.cycles import Participant, add_participants, create_cycle
from dingperf.services.reconcile import reconcile
from dingperf.services.sync_contacts import ContactsSyncOptions, sync_contacts
from dingperf.services.templates import publish_template
from dingperf.store.repositories import list_outbox_messages
from dingperf.store.tables.perf_participants import PerfParticipant
from tests.integration.sync_kit import Intake

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.fixture
def intake(sandbox, store) -> Iterator[Intake]:
    running = Intake(sandbox, store)
    yield running
    running.stop()


@pytest.fixture
def cycle(intake: Intake) -> str:
    """研发中心 (head 王强) and 赵总; 李娜 is synced under 赵总; a cycle where 王强 reviews 李娜."""
    d = intake.sandbox.state.directory
    dept = d.create_department(name="研发中心", parent_id=1)
    d.add_user(name="王强", dept_id_list=[dept.dept_id], userid="wangqiang", leader_in_dept=[dept.dept_id])
    d.add_user(name="赵总", dept_id_list=[1], userid="boss", leader_in_dept=[1])
    d.add_user(name="李娜", dept_id_list=[dept.dept_id], userid="lina", manager_userid="boss")
    corp = intake.sandbox.state.app.corp_id
    sync_contacts(store=intake.store, client=intake.client, corp_id=corp, now=NOW)
    publish_template(intake.store, corp, load_template("sales-rep"), actor="hr", now=NOW)
    create_cycle(intake.store, corp, cycle_id="2026-Q4", name="2026 Q4", kind="quarterly",
                 period_start=date(2026, 10, 1), period_end=date(2026, 12, 31), template_id="sales-rep", actor="hr",
                 now=NOW)
    add_participants(intake.store, corp, "2026-Q4", [Participant("lina", "wangqiang")], now=NOW)
    return corp


def _manager(intake: Intake, corp: str) -> str | None:
    with intake.store.session() as s:
        return s.exec(select(PerfParticipant.manager_userid).where(PerfParticipant.corp_id == corp,
                                                                   PerfParticipant.userid == "lina")).one()


def _told(intake: Intake, corp: str) -> list[str]:
    with intake.store.session() as s:
        return sorted(u for m in list_outbox_messages(session=s, corp_id=corp, limit=1000)
                      if m.idempotency_key.startswith("departure:") for u in m.payload["userids"])


def test_user_leave_org_of_a_reviewer_passes_the_review_to_the_synced_manager(intake: Intake, cycle: str) -> None:
    intake.trigger(type="user_leave_org", userid="wangqiang")
    intake.work()
    assert _manager(intake, cycle) == "boss"
    assert _told(intake, cycle) == ["boss"]


def test_user_modify_org_with_a_new_manager_moves_the_review_and_tells_both(intake: Intake, cycle: str) -> None:
    add_participants(intake.store, cycle, "2026-Q4", [Participant("lina", "boss")], now=NOW)
    intake.trigger(type="user_modify_org", userid="lina", changes={"manager_userid": "wangqiang"})
    intake.work()
    assert _manager(intake, cycle) == "wangqiang"
    assert _told(intake, cycle) == ["boss", "wangqiang"]


def test_a_departure_whose_event_was_missed_is_handed_over_by_the_nightly_reconcile(intake: Intake,
                                                                                     cycle: str) -> None:
    intake.sandbox.state.directory.leave_user("wangqiang")  # no event pushed
    summary = reconcile(store=intake.store, client=intake.client, corp_id=cycle, attendance=False,
                        contacts_options=ContactsSyncOptions(workers_per_api=2, flush_s=0.2), now=NOW)
    assert summary.contacts is not None and summary.contacts.deactivated == 1 and not summary.skipped
    assert _manager(intake, cycle) == "boss"
