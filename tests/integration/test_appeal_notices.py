"""Each appeal step queues its notice in the step's transaction: filed → HR, assigned → handler, decided →
the employee, re-opened → the handler who decided."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from dingperf.perf.errors import ValidationError
from dingperf.services.appeals import accept_appeal, assign_appeal, file_appeal, reject_appeal, reopen_appeal
from dingperf.store.engine import Store
from dingperf.store.repositories import list_outbox_messages
from tests.integration.appeal_kit import DUE, TOTAL, file_ap1, in_review, prepare_appeal_cycle
from tests.integration.collect_kit import CORP, CYCLE, NOW


@pytest.fixture
def appeal_cycle(collect_cycle: Store) -> Store:
    return prepare_appeal_cycle(collect_cycle)


def _appeal_notices(store: Store) -> dict[str, tuple[list[str], str]]:
    with store.session() as s:
        rows = list_outbox_messages(session=s, corp_id=CORP, limit=1000)
    return {m.idempotency_key: (m.payload["userids"], m.payload["msg"]["markdown"]["text"]) for m in rows
            if m.idempotency_key.startswith("appeal:")}


def test_a_filed_appeal_tells_hr_to_assign_a_handler(appeal_cycle: Store) -> None:
    file_ap1(appeal_cycle, hr_userids=("hr-2", "hr-1"))
    (key, (people, text)), = _appeal_notices(appeal_cycle).items()
    assert (key, people) == ("appeal:ap-1:filed:0:0", ["hr-1", "hr-2"])
    assert "u-late" in text and "6号的补卡审批晚了" in text and "指定处理人" in text


def test_without_hr_userids_a_filed_appeal_goes_to_the_employees_manager(appeal_cycle: Store) -> None:
    file_ap1(appeal_cycle)
    assert _appeal_notices(appeal_cycle)["appeal:ap-1:filed:0:0"][0] == ["boss-late"]


def test_an_assigned_appeal_tells_the_handler_the_deadline_in_the_cycle_timezone(appeal_cycle: Store) -> None:
    in_review(appeal_cycle)
    (key, (people, text)), = [(k, v) for k, v in _appeal_notices(appeal_cycle).items() if ":assigned:" in k]
    assert key.startswith("appeal:ap-1:assigned:0:") and people == ["hrbp"]
    assert "2026-12-09 10:00（Asia/Shanghai）" in text


def test_an_accepted_appeal_tells_the_employee_the_new_score_and_grade(appeal_cycle: Store) -> None:
    appeal_id = in_review(appeal_cycle)
    accept_appeal(appeal_cycle, CORP, appeal_id, new_score=Decimal(100), reason="补卡已批准", actor="hrbp", now=NOW)
    people, text = _appeal_notices(appeal_cycle)["appeal:ap-1:accepted:0:0"]
    assert people == ["u-late"] and "→ **100**，等级：**A**" in text and "补卡已批准" in text


def test_a_rejected_appeal_tells_the_employee_the_reason(appeal_cycle: Store) -> None:
    appeal_id = in_review(appeal_cycle)
    reject_appeal(appeal_cycle, CORP, appeal_id, reason="打卡确实迟到", actor="hrbp", now=NOW)
    people, text = _appeal_notices(appeal_cycle)["appeal:ap-1:rejected:0:0"]
    assert people == ["u-late"] and "打卡确实迟到" in text and "重新提起一次" in text


def test_a_refused_decision_queues_nothing(appeal_cycle: Store) -> None:
    appeal_id = in_review(appeal_cycle)
    before = _appeal_notices(appeal_cycle)
    with pytest.raises(ValidationError, match="only the handler"):
        reject_appeal(appeal_cycle, CORP, appeal_id, reason="不是我处理", actor="someone-else", now=NOW)
    assert _appeal_notices(appeal_cycle) == before


def test_a_reopened_appeal_tells_the_handler_who_decided_and_the_next_round_is_told_again(appeal_cycle: Store) -> None:
    appeal_id = in_review(appeal_cycle)
    reject_appeal(appeal_cycle, CORP, appeal_id, reason="打卡确实迟到", actor="hrbp", now=NOW)
    reopen_appeal(appeal_cycle, CORP, appeal_id, reason="审批记录附上了", actor="u-late", now=NOW + timedelta(hours=1))
    assign_appeal(appeal_cycle, CORP, appeal_id, handler="hrbp", deadline=DUE, actor="hr-1", now=NOW + timedelta(hours=2))
    notices = _appeal_notices(appeal_cycle)
    people, text = notices["appeal:ap-1:reopened:1:0"]
    assert people == ["hrbp"] and "审批记录附上了" in text and "第2轮" in text
    assert len([k for k in notices if k.startswith("appeal:ap-1:assigned:1:")]) == 1  # round 2 has its own key


def test_with_neither_hr_nor_a_manager_nobody_is_queued_and_a_warning_says_what_to_set(
        appeal_cycle: Store, caplog: pytest.LogCaptureFixture) -> None:
    file_appeal(appeal_cycle, CORP, CYCLE, "u-ok", TOTAL, "销售额少算了一单", appeal_id="ap-2", now=NOW)
    assert _appeal_notices(appeal_cycle) == {}
    assert "hr_userids" in caplog.text
