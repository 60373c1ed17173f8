"""Dynamic participant groups are re-evaluated against the synced org until the cycle locks; nobody with data
in the cycle is ever deleted."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

from dingperf.perf.errors import ValidationError
from dingperf.perf.library import load_template
from dingperf.services.cycles import add_participants, create_cycle, lock_cycle
from dingperf.services.documents import document_history, save_document
from dingperf.services.employee_profiles import set_job_levels
from dingperf.services.participant_groups import remove_group, save_group, set_exclusions
from dingperf.services.participant_refresh import (
    mark_participants_due,
    refresh_open_cycles,
    refresh_participants,
)
from dingperf.services.score_inputs import InputValue, record_inputs
from dingperf.services.templates import publish_template
from dingperf.store.engine import Store
from dingperf.store.repositories import deactivate_employee, upsert_departments, upsert_employees
from dingperf.store.repositories.audit import list_audit
from dingperf.store.tables import DepartmentBase, EmployeeBase
from dingperf.store.tables.perf_participants import PerfParticipant
from dingperf.store.tables.perf_results import PerfResult

CORP, CYCLE = "dingcorp-groups", "2026-Q4"
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
SALES = {"kind": "dynamic", "group_id": "sales", "name": "Sales",
         "rule": {"type": "all_of", "rules": [{"type": "dept_subtree", "dept_id": 10}, {"type": "active"}]}}


def hire(store: Store, *people: tuple[str, int, str | None]) -> None:
    with store.session() as s:
        upsert_employees(session=s, corp_id=CORP, now=NOW, employees=[
            EmployeeBase(userid=uid, name=uid.title(), title="Sales Rep", dept_ids=[dept], manager_userid=mgr,
                         hired_date=date(2024, 3, 1)) for uid, dept, mgr in people])


def participants(store: Store) -> dict[str, tuple[str, str | None]]:
    with store.session() as s:
        rows = s.exec(select(PerfParticipant).where(PerfParticipant.corp_id == CORP,
                                                    PerfParticipant.cycle_id == CYCLE)).all()
        return {r.userid: (r.source, r.manager_userid) for r in rows}


@pytest.fixture
def org(store: Store) -> Store:
    """Root 1 → sales 10 → north 11, and R&D 20; Mia heads sales, Ann sells in the north, Bob codes."""
    with store.session() as s:
        upsert_departments(session=s, corp_id=CORP, now=NOW, departments=[
            DepartmentBase(dept_id=1, name="Company"), DepartmentBase(dept_id=10, parent_id=1, name="Sales"),
            DepartmentBase(dept_id=11, parent_id=10, name="North"), DepartmentBase(dept_id=20, parent_id=1, name="R&D")])
    hire(store, ("mia", 10, "ceo"), ("ann", 11, "mia"), ("bob", 20, "joe"))
    publish_template(store, CORP, load_template("sales-rep"), actor="hr", now=NOW)
    create_cycle(store, CORP, cycle_id=CYCLE, name="2026 Q4", kind="quarterly", period_start=date(2026, 10, 1),
                 period_end=date(2026, 12, 31), template_id="sales-rep", actor="hr", now=NOW)
    save_group(store, CORP, CYCLE, SALES, actor="hr", now=NOW)
    refresh_participants(store, CORP, CYCLE, now=NOW)
    return store


def test_group_members_join_with_their_group_and_manager(org: Store) -> None:
    assert participants(org) == {"mia": ("group:sales", "ceo"), "ann": ("group:sales", "mia")}


def test_a_new_hire_into_the_department_subtree_joins(org: Store) -> None:
    hire(org, ("zoe", 11, "mia"))
    report = refresh_participants(org, CORP, CYCLE, now=NOW)
    assert [(c.userid, c.source) for c in report.added] == [("zoe", "group:sales")]
    assert "department 11 is in the subtree of 10" in report.added[0].why
    assert participants(org)["zoe"] == ("group:sales", "mia")


def test_a_transfer_out_without_data_leaves_with_the_reason(org: Store) -> None:
    hire(org, ("ann", 20, "joe"))
    report = refresh_participants(org, CORP, CYCLE, now=NOW)
    assert [c.userid for c in report.removed] == ["ann"] and "outside the subtree of 10" in report.removed[0].why
    assert "ann" not in participants(org)


def test_a_transfer_out_with_inputs_is_kept_and_marked(org: Store) -> None:
    record_inputs(org, CORP, CYCLE, [InputValue("ann", "revenue", Decimal(900))], now=NOW)
    hire(org, ("ann", 20, "joe"))
    report = refresh_participants(org, CORP, CYCLE, now=NOW)
    assert report.removed == () and [c.userid for c in report.newly_unmatched] == ["ann"]
    assert participants(org)["ann"] == ("unmatched:group:sales", "mia")


def test_a_departed_employee_with_a_result_stays_and_is_reported_every_time(org: Store) -> None:
    with org.session() as s:
        s.add(PerfResult(corp_id=CORP, cycle_id=CYCLE, userid="mia", template_id="sales-rep", template_version=1,
                         status="scored", total=Decimal(90), scored_at=NOW))
        deactivate_employee(session=s, corp_id=CORP, userid="mia", departed_at=NOW)
    first = refresh_participants(org, CORP, CYCLE, now=NOW)
    assert [c.userid for c in first.held] == ["mia"] and "left the company" in first.held[0].why
    assert participants(org)["mia"] == ("unmatched:group:sales", "ceo")
    again = refresh_participants(org, CORP, CYCLE, now=NOW)
    assert again.newly_unmatched == () and [c.userid for c in again.held] == ["mia"]


def test_manual_participants_are_kept_though_no_group_selects_them(org: Store) -> None:
    add_participants(org, CORP, CYCLE, ["bob"], now=NOW)
    report = refresh_participants(org, CORP, CYCLE, now=NOW)
    assert report.removed == () and participants(org)["bob"] == ("manual", None)


def test_a_manual_participant_who_left_without_data_is_removed(org: Store) -> None:
    add_participants(org, CORP, CYCLE, ["bob"], now=NOW)
    with org.session() as s:
        deactivate_employee(session=s, corp_id=CORP, userid="bob", departed_at=NOW)
    report = refresh_participants(org, CORP, CYCLE, now=NOW)
    assert [(c.userid, c.why) for c in report.removed] == [("bob", "left the company (inactive in the address book)")]


def test_a_locked_cycle_is_not_re_evaluated(org: Store) -> None:
    lock_cycle(org, CORP, CYCLE, actor="hr", now=NOW)
    hire(org, ("zoe", 11, "mia"), ("ann", 20, "joe"))
    report = refresh_participants(org, CORP, CYCLE, now=NOW)
    assert report.locked and "not re-evaluated" in report.summary()
    assert set(participants(org)) == {"mia", "ann"}


def test_locking_refreshes_once_right_before_freezing(org: Store) -> None:
    hire(org, ("zoe", 11, "mia"))
    locked = lock_cycle(org, CORP, CYCLE, actor="hr", now=NOW + timedelta(hours=1))
    assert locked.locked_at == NOW + timedelta(hours=1) and "zoe" in participants(org)
    with org.session() as s:
        actions = [e.action for e in list_audit(session=s, corp_id=CORP, subject=f"cycle:{CYCLE}")]
    assert actions[-2:] == ["cycle.participants_refresh", "cycle.lock"]


def test_each_refresh_appends_one_audit_entry_with_the_counts(org: Store) -> None:
    hire(org, ("zoe", 11, "mia"))
    refresh_participants(org, CORP, CYCLE, now=NOW, actor="hr")
    with org.session() as s:
        entries = list_audit(session=s, corp_id=CORP, action="cycle.participants_refresh")
    assert len(entries) == 2
    assert entries[-1].actor == "hr" and entries[-1].after == {
        "added": 1, "removed": 0, "unmatched": 0, "updated": 0, "held": 0, "unchanged": 2, "groups": 1}


def test_job_levels_come_from_hr_profiles(org: Store) -> None:
    set_job_levels(org, CORP, {"bob": 7, "ann": 3}, actor="hr", now=NOW)
    save_group(org, CORP, CYCLE, {"kind": "dynamic", "group_id": "seniors", "name": "Seniors",
                                  "rule": {"type": "job_level", "low": 6}}, actor="hr", now=NOW)
    report = refresh_participants(org, CORP, CYCLE, now=NOW)
    assert [(c.userid, c.source) for c in report.added] == [("bob", "group:seniors")]


def test_setting_an_unchanged_job_level_writes_nothing(org: Store) -> None:
    assert set_job_levels(org, CORP, {"bob": 7}, actor="hr", now=NOW) == 1
    assert set_job_levels(org, CORP, {"bob": 7, "ann": None}, actor="hr", now=NOW) == 0
    with pytest.raises(ValidationError, match="job level of bob"):
        set_job_levels(org, CORP, {"bob": -1}, actor="hr", now=NOW)


def test_a_job_level_change_is_a_new_profile_revision_with_an_audit_entry(org: Store) -> None:
    set_job_levels(org, CORP, {"bob": 7}, actor="hr", now=NOW)
    set_job_levels(org, CORP, {"bob": 8}, actor="hr", reason="promoted", now=NOW)
    assert [(d.revision, d.body) for d in document_history(org, CORP, "employee_profile", "bob")] == [
        (1, {"job_level": 7}), (2, {"job_level": 8})]
    with org.session() as s:
        entry = list_audit(session=s, corp_id=CORP, subject="employee_profile:bob")[-1]
    assert (entry.action, entry.before, entry.reason) == ("employee_profile.set_job_level", {"job_level": 7}, "promoted")


def test_virtual_group_members_join_and_exclusions_keep_people_out(org: Store) -> None:
    save_group(org, CORP, CYCLE, {"kind": "virtual", "group_id": "px", "name": "Project X", "owner": "mia",
                                  "members": ["bob", "ghost"]}, actor="hr", now=NOW)
    set_exclusions(org, CORP, CYCLE, {"mia": "head of sales is assessed by the board"}, actor="hr", now=NOW)
    report = refresh_participants(org, CORP, CYCLE, now=NOW)
    assert [(c.userid, c.source) for c in report.added] == [("bob", "virtual:px")]
    assert [(c.userid, c.why) for c in report.removed] == [
        ("mia", "excluded from the cycle: head of sales is assessed by the board")]


def test_removing_a_group_removes_the_members_it_added(org: Store) -> None:
    remove_group(org, CORP, CYCLE, "sales", actor="hr", reason="sales moves to a monthly cycle", now=NOW)
    report = refresh_participants(org, CORP, CYCLE, now=NOW)
    assert {c.userid for c in report.removed} == {"ann", "mia"} and participants(org) == {}


def test_groups_cannot_change_after_the_lock_or_take_an_unknown_rule(org: Store) -> None:
    with pytest.raises(ValidationError, match="unknown rule type 'grade'"):
        save_group(org, CORP, CYCLE, {"kind": "dynamic", "group_id": "g", "name": "G",
                                      "rule": {"type": "grade", "grade": "A"}}, actor="hr", now=NOW)
    lock_cycle(org, CORP, CYCLE, actor="hr", now=NOW)
    with pytest.raises(ValidationError, match="locked its participants"):
        save_group(org, CORP, CYCLE, SALES, actor="hr", now=NOW)


def test_open_cycles_refresh_when_marked_due_and_otherwise_once_per_period(org: Store) -> None:
    assert [r.cycle_id for r in refresh_open_cycles(org, CORP, now=NOW)] == [CYCLE]  # never ran: due
    assert refresh_open_cycles(org, CORP, now=NOW + timedelta(minutes=1)) == []
    hire(org, ("zoe", 11, "mia"))
    mark_participants_due(org, CORP, now=NOW + timedelta(minutes=2))
    reports = refresh_open_cycles(org, CORP, now=NOW + timedelta(minutes=3))
    assert [c.userid for c in reports[0].added] == ["zoe"]
    assert refresh_open_cycles(org, CORP, now=NOW + timedelta(minutes=4)) == []
    assert len(refresh_open_cycles(org, CORP, now=NOW + timedelta(hours=2))) == 1


def test_a_scheduled_refresh_that_changes_nothing_leaves_no_audit_entry(org: Store) -> None:
    refresh_open_cycles(org, CORP, now=NOW)
    hire(org, ("zoe", 11, "mia"))
    refresh_open_cycles(org, CORP, now=NOW + timedelta(hours=2))
    with org.session() as s:
        entries = list_audit(session=s, corp_id=CORP, action="cycle.participants_refresh")
    assert [e.after["added"] for e in entries] == [2, 1]  # the fixture's explicit refresh, then zoe


def test_a_failing_cycle_does_not_stop_the_others_and_its_error_is_raised(org: Store) -> None:
    create_cycle(org, CORP, cycle_id="2026-11", name="Nov", kind="monthly", period_start=date(2026, 11, 1),
                 period_end=date(2026, 11, 30), template_id="sales-rep", actor="hr", now=NOW)
    save_document(org, CORP, "participant_group", "2026-11/bad", status="active", cycle_id="2026-11",
                  body={"kind": "dynamic", "group_id": "bad", "name": "Bad", "rule": {"type": "grade"}}, actor="x")
    hire(org, ("zoe", 11, "mia"))
    with pytest.raises(ValidationError, match="unknown rule type 'grade'"):
        refresh_open_cycles(org, CORP, now=NOW)
    assert "zoe" in participants(org)  # 2026-Q4 sorts after 2026-11 and was still refreshed


def test_entering_the_lock_phase_refreshes_before_the_list_freezes(org: Store) -> None:
    from dingperf.perf.cycles import Phase
    from dingperf.services.phases import advance_cycle

    hire(org, ("zoe", 11, "mia"))
    at = NOW + timedelta(hours=1)
    cycle = advance_cycle(org, CORP, CYCLE, actor="hr", reason="goals agreed early", now=at)
    while cycle.locked_at is None and cycle.phase != Phase.CLOSED.value:
        cycle = advance_cycle(org, CORP, CYCLE, actor="hr", reason="moving on", now=at)
    assert cycle.locked_at == at and "zoe" in participants(org)
    with org.session() as s:
        actions = [e.action for e in list_audit(session=s, corp_id=CORP, subject=f"cycle:{CYCLE}")]
    assert actions.index("cycle.lock") == actions.index("cycle.participants_refresh", 2) + 1
