"""A department's new head becomes the fallback manager of its members: org_dept_modify then moves their
manager review like any manager change (sandbox pushes the event, the worker runs callbacks/contacts.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from dingperf.perf.library import load_template
from dingperf.services.cycles import Participant, add_participants, create_cycle
from dingperf.services.sync_contacts import sync_contacts
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
def cycle(intake: Intake) -> tuple[str, int]:
    """研发中心 headed by 王强; 李娜 has no manager of her own (王强 by fallback), 陈晨 has 王强 set explicitly;
    赵总 heads the company; both are reviewed by 王强 in a cycle before the manager review."""
    d = intake.sandbox.state.directory
    dept = d.create_department(name="研发中心", parent_id=1)
    d.add_user(name="王强", dept_id_list=[dept.dept_id], userid="wangqiang", leader_in_dept=[dept.dept_id])
    d.add_user(name="赵总", dept_id_list=[1], userid="boss", leader_in_dept=[1])
    d.add_user(name="李娜", dept_id_list=[dept.dept_id], userid="lina")
    d.add_user(name="陈晨", dept_id_list=[dept.dept_id], userid="chen", manager_userid="wangqiang")
    corp = intake.sandbox.state.app.corp_id
    sync_contacts(store=intake.store, client=intake.client, corp_id=corp, now=NOW)
    publish_template(intake.store, corp, load_template("sales-rep"), actor="hr", now=NOW)
    create_cycle(intake.store, corp, cycle_id="2026-Q4", name="2026 Q4", kind="quarterly",
                 period_start=date(2026, 10, 1), period_end=date(2026, 12, 31), template_id="sales-rep", actor="hr",
                 now=NOW)
    add_participants(intake.store, corp, "2026-Q4", [Participant("lina", "wangqiang"), Participant("chen", "wangqiang")],
                     now=NOW)
    return corp, dept.dept_id


def _managers(intake: Intake, corp: str) -> dict[str, str | None]:
    with intake.store.session() as s:
        return dict(s.exec(select(PerfParticipant.userid, PerfParticipant.manager_userid)
                           .where(PerfParticipant.corp_id == corp)).all())


def _told(intake: Intake, corp: str) -> list[str]:
    with intake.store.session() as s:
        return sorted(u for m in list_outbox_messages(session=s, corp_id=corp, limit=1000)
                      if m.idempotency_key.startswith("departure:") for u in m.payload["userids"])


def _new_head(intake: Intake, dept_id: int) -> None:
    intake.trigger(type="org_dept_modify", dept_id=dept_id, changes={"manager_userids": ["boss"]})
    intake.work()


def test_a_new_department_head_takes_over_the_reviews_of_members_managed_by_fallback(
        intake: Intake, cycle: tuple[str, int]) -> None:
    corp, dept_id = cycle
    _new_head(intake, dept_id)
    assert _managers(intake, corp)["lina"] == "boss"
    assert _told(intake, corp) == ["boss", "wangqiang"]


def test_a_member_with_their_own_manager_keeps_their_reviewer(intake: Intake, cycle: tuple[str, int]) -> None:
    corp, dept_id = cycle
    _new_head(intake, dept_id)
    assert _managers(intake, corp)["chen"] == "wangqiang"


def test_a_redelivered_department_event_moves_and_tells_nothing_more(intake: Intake,
                                                                    cycle: tuple[str, int]) -> None:
    corp, dept_id = cycle
    _new_head(intake, dept_id)
    told = _told(intake, corp)
    _new_head(intake, dept_id)
    assert _managers(intake, corp) == {"lina": "boss", "chen": "wangqiang"}
    assert _told(intake, corp) == told
