"""Entering a phase queues work notifications to the people who must act, in batches of 100, exactly once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from dingperf.perf.cycles import Phase
from dingperf.perf.errors import ValidationError
from dingperf.perf.library import load_template
from dingperf.services.collect import collect_inputs
from dingperf.services.cycle_notices import queue_phase_notices
from dingperf.services.cycles import Participant, add_participants, create_cycle
from dingperf.services.documents import save_document
from dingperf.services.phases import advance_cycle, override_phase
from dingperf.services.results import release_results
from dingperf.services.scoring_service import score_cycle
from dingperf.services.templates import publish_template
from dingperf.store.engine import Store
from dingperf.store.repositories import list_outbox_messages
from dingperf.store.repositories.org import upsert_employees
from dingperf.store.tables.org import EmployeeBase
from dingperf.store.tables.perf_cycles import PerfCycle
from tests.integration.collect_kit import CORP, CYCLE, LATE, NOW, REVENUE

BIG = "2026-Q4"
T0 = datetime(2026, 10, 1, 1, 0, tzinfo=UTC)
DUE = datetime(2026, 10, 10, 10, 0, tzinfo=UTC)  # 18:00 in Shanghai
APPEAL_DUE = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)
PEOPLE = [f"p-{i:03d}" for i in range(230)]


@pytest.fixture
def big_cycle(store: Store) -> Store:
    """230 participants; p-000…p-009 have no manager on the cycle (the address book knows it), the rest m-0…m-2."""
    publish_template(store, CORP, load_template("sales-rep"), actor="hr", now=T0)
    create_cycle(store, CORP, cycle_id=BIG, name="2026年第四季度", kind="quarterly", period_start=date(2026, 10, 1),
                 period_end=date(2026, 12, 31), template_id="sales-rep", actor="hr", now=T0,
                 deadlines={Phase.CONFIRMATION: DUE, Phase.MANAGER_REVIEW: DUE + timedelta(days=60)})
    add_participants(store, CORP, BIG, [Participant(u, None if i < 10 else f"m-{i % 3}")
                                        for i, u in enumerate(PEOPLE)], now=T0)
    with store.session() as s:
        upsert_employees(session=s, corp_id=CORP, now=T0, employees=[
            EmployeeBase(userid=u, name=u, manager_userid="m-book") for u in PEOPLE[:10]])
    return store


def _queued(store: Store) -> dict[str, list[str]]:
    with store.session() as s:
        return {m.idempotency_key: m.payload["userids"] for m in list_outbox_messages(session=s, corp_id=CORP,
                                                                                      limit=10_000)}


def _msg(store: Store, key: str) -> dict:
    with store.session() as s:
        return next(m.payload["msg"] for m in list_outbox_messages(session=s, corp_id=CORP, limit=10_000)
                    if m.idempotency_key == key)


def test_entering_confirmation_queues_every_participant_in_batches_of_100(big_cycle: Store) -> None:
    advance_cycle(big_cycle, CORP, BIG, actor="hr", now=T0)
    queued = _queued(big_cycle)
    keys = [f"cycle:{BIG}:phase:confirmation:1:participant:{b}" for b in range(3)]
    assert sorted(queued) == keys
    assert [len(queued[k]) for k in keys] == [100, 100, 30]
    assert sorted(u for k in keys for u in queued[k]) == PEOPLE


def test_the_phase_notice_names_cycle_phase_deadline_in_the_cycle_timezone_and_links_the_workbench(
        big_cycle: Store) -> None:
    advance_cycle(big_cycle, CORP, BIG, actor="hr", now=T0, public_url="https://perf.example.com/")
    msg = _msg(big_cycle, f"cycle:{BIG}:phase:confirmation:1:participant:0")
    card = msg["action_card"]
    assert "2026年第四季度" in card["markdown"] and "目标确认" in card["markdown"]
    assert "2026-10-10 18:00（Asia/Shanghai）" in card["markdown"] and "确认你的目标" in card["markdown"]
    assert card["single_url"].startswith("dingtalk://dingtalkclient/page/link?pc_slide=true&url=https%3A%2F%2F"
                                         "perf.example.com%2Fapp%2Fcycles%2F2026-Q4%2Fgoals")


def test_without_a_public_url_the_notice_is_markdown_pointing_at_the_workbench(big_cycle: Store) -> None:
    advance_cycle(big_cycle, CORP, BIG, actor="hr", now=T0)
    msg = _msg(big_cycle, f"cycle:{BIG}:phase:confirmation:1:participant:0")
    assert msg["msgtype"] == "markdown" and "工作台" in msg["markdown"]["text"]


def test_manager_review_goes_to_managers_and_approved_360_raters_who_have_not_rated_yet(big_cycle: Store) -> None:
    for doc_id, rater, kind, status in (("n-1", "peer-ok", "peer", "approved"), ("n-2", "peer-pending", "peer",
                                        "nominated"), ("n-3", "peer-later", "peer", "nominated"),
                                        ("n-4", "peer-done", "peer", "submitted"), ("n-5", "m-1", "manager", "approved")):
        save_document(big_cycle, CORP, "nomination", doc_id, status=status, body={"rater": rater, "rater_type": kind},
                      actor="p-100", cycle_id=BIG, subject_userid="p-100", now=T0)
    save_document(big_cycle, CORP, "nomination", "n-3", status="approved", body={"rater": "peer-later"},
                  actor="m-1", cycle_id=BIG, subject_userid="p-100", now=T0)
    override_phase(big_cycle, CORP, BIG, Phase.MANAGER_REVIEW, actor="admin", reason="goals imported", now=T0)
    queued = _queued(big_cycle)
    assert queued[f"cycle:{BIG}:phase:manager_review:1:manager:0"] == ["m-0", "m-1", "m-2", "m-book"]
    assert queued[f"cycle:{BIG}:phase:manager_review:1:rater:0"] == ["peer-later", "peer-ok"]
    assert len(queued) == 2


def test_manager_review_without_any_nomination_document_tells_managers_only(big_cycle: Store) -> None:
    override_phase(big_cycle, CORP, BIG, Phase.MANAGER_REVIEW, actor="admin", reason="goals imported", now=T0)
    assert list(_queued(big_cycle)) == [f"cycle:{BIG}:phase:manager_review:1:manager:0"]


def test_calibration_goes_to_the_hr_userids_passed_in(big_cycle: Store) -> None:
    override_phase(big_cycle, CORP, BIG, Phase.CALIBRATION, actor="admin", reason="test", now=T0,
                   hr_userids=("hr-2", "hr-1", "hr-1"))
    assert _queued(big_cycle) == {f"cycle:{BIG}:phase:calibration:1:hr:0": ["hr-1", "hr-2"]}


def test_calibration_without_hr_userids_and_in_progress_notify_nobody(big_cycle: Store) -> None:
    override_phase(big_cycle, CORP, BIG, Phase.IN_PROGRESS, actor="admin", reason="test", now=T0)
    override_phase(big_cycle, CORP, BIG, Phase.CALIBRATION, actor="admin", reason="test", now=T0)
    assert _queued(big_cycle) == {}


def test_queueing_the_same_phase_entry_again_queues_nothing_new(big_cycle: Store) -> None:
    advance_cycle(big_cycle, CORP, BIG, actor="hr", now=T0)
    before = _queued(big_cycle)
    assert queue_phase_notices(big_cycle, CORP, BIG, now=T0 + timedelta(minutes=5)) == 0
    assert _queued(big_cycle) == before


def test_a_refused_transition_queues_nothing(big_cycle: Store) -> None:
    advance_cycle(big_cycle, CORP, BIG, actor="hr", now=T0)
    before = _queued(big_cycle)
    with pytest.raises(ValidationError, match="requires a reason"):  # confirmation closes before its deadline
        advance_cycle(big_cycle, CORP, BIG, actor="hr", now=T0)
    assert _queued(big_cycle) == before


def test_re_opening_a_phase_notifies_again_under_new_keys(big_cycle: Store) -> None:
    advance_cycle(big_cycle, CORP, BIG, actor="hr", now=T0)
    advance_cycle(big_cycle, CORP, BIG, actor="hr", reason="all confirmed", now=T0 + timedelta(days=1))
    override_phase(big_cycle, CORP, BIG, Phase.CONFIRMATION, actor="admin", reason="goals changed",
                   now=T0 + timedelta(days=2))
    queued = _queued(big_cycle)
    again = [f"cycle:{BIG}:phase:confirmation:2:participant:{b}" for b in range(3)]
    assert all(k in queued for k in again) and sorted(u for k in again for u in queued[k]) == PEOPLE
    assert len(queued) == 6
    first, second = (_msg(big_cycle, f"cycle:{BIG}:phase:confirmation:{n}:participant:0") for n in (1, 2))
    assert first != second  # DingTalk silently drops identical content sent to one person twice a day


def _scored_in_calibration(store: Store) -> Store:
    collect_inputs(store, CORP, CYCLE, [LATE, REVENUE])
    score_cycle(store, CORP, CYCLE, now=NOW)
    override_phase(store, CORP, CYCLE, Phase.CALIBRATION, actor="admin", reason="test", now=NOW)
    return store


def test_entering_results_with_unreleased_results_asks_hr_to_release_and_tells_no_employee(
        collect_cycle: Store) -> None:
    _scored_in_calibration(collect_cycle)
    advance_cycle(collect_cycle, CORP, CYCLE, actor="hr", now=NOW, hr_userids=("hr-1",))
    key = f"cycle:{CYCLE}:phase:results:1:hr:0"
    assert _queued(collect_cycle) == {key: ["hr-1"]}
    assert "发布结果" in _msg(collect_cycle, key)["markdown"]["text"]


def test_results_released_in_calibration_are_not_announced_again_when_the_results_phase_opens(
        collect_cycle: Store) -> None:
    _scored_in_calibration(collect_cycle)
    release_results(collect_cycle, CORP, CYCLE, by="hr", now=NOW)
    advance_cycle(collect_cycle, CORP, CYCLE, actor="hr", now=NOW, hr_userids=("hr-1",))
    assert list(_queued(collect_cycle)) == [f"cycle:{CYCLE}:released:{NOW.isoformat()}:0"]


def test_the_appeal_window_tells_released_employees_its_deadline(collect_cycle: Store) -> None:
    _scored_in_calibration(collect_cycle)
    with collect_cycle.session() as s:  # the collect cycle was created without deadlines
        row = s.get(PerfCycle, (CORP, CYCLE))
        assert row is not None
        row.deadlines = {Phase.APPEAL_WINDOW.value: APPEAL_DUE.isoformat()}
        s.add(row)
    release_results(collect_cycle, CORP, CYCLE, by="hr", now=NOW)
    advance_cycle(collect_cycle, CORP, CYCLE, actor="hr", now=NOW)
    advance_cycle(collect_cycle, CORP, CYCLE, actor="hr", now=NOW)
    key = f"cycle:{CYCLE}:phase:appeal_window:1:participant:0"
    assert _queued(collect_cycle)[key] == ["u-late", "u-ok"]
    text = _msg(collect_cycle, key)["markdown"]["text"]
    assert "提交申诉" in text and "2026-12-09 18:00（Asia/Shanghai）" in text


def test_releasing_results_tells_each_released_employee_to_acknowledge(collect_cycle: Store) -> None:
    _scored_in_calibration(collect_cycle)
    release_results(collect_cycle, CORP, CYCLE, by="hr", now=NOW)
    key = f"cycle:{CYCLE}:released:{NOW.isoformat()}:0"
    assert _queued(collect_cycle) == {key: ["u-late", "u-ok"]}
    assert "签字确认" in _msg(collect_cycle, key)["markdown"]["text"]
    release_results(collect_cycle, CORP, CYCLE, by="hr", now=NOW + timedelta(hours=1))  # nothing left to release
    assert list(_queued(collect_cycle)) == [key]
