"""面谈 and improvement-plan notice wording: what is late and by how long, capped to fit DingTalk's 2048-byte limit."""

import json
from datetime import date

from dingperf.perf.improvement import Reminder
from dingperf.services.followup_notices import MAX_BYTES, interview_to_confirm_notice, overdue_plan_notice

TODAY = date(2026, 12, 20)


def _task(n: int, employee: str = "dan") -> Reminder:
    return Reminder("dan", f"pip-{n}", employee, "t1", "很长的任务标题 " * 20, date(2026, 12, 10))


def test_a_late_task_says_how_many_days_late() -> None:
    msg = overdue_plan_notice(corp_id="c", today=TODAY, items=[_task(1)])
    assert "已逾期 10 天" in msg["markdown"]["text"] and "2026-12-20" in msg["markdown"]["title"]


def test_a_plan_past_its_end_asks_for_an_outcome() -> None:
    item = Reminder("mia", "pip-1", "dan", None, "tickets on time", date(2026, 12, 18))
    assert "请评估结果并结束计划" in overdue_plan_notice(corp_id="c", today=TODAY, items=[item])["markdown"]["text"]


def test_a_long_list_is_cut_with_a_count_of_the_rest_and_fits_the_message_limit() -> None:
    items = [_task(n, employee="u" * 64) for n in range(30)]  # userids may be 64 characters long
    msg = overdue_plan_notice(corp_id="c", today=TODAY, items=items, public_url="https://perf.example.com")
    text = msg["action_card"]["markdown"]
    shown = text.count("pip-")
    assert 0 < shown < 30 and f"另有 {30 - shown} 项" in text
    assert len(json.dumps(msg, ensure_ascii=False).encode()) < MAX_BYTES


def test_the_interview_notice_names_the_interviewer_and_links_to_the_record() -> None:
    msg = interview_to_confirm_notice(corp_id="c", record_id="iv-1", interviewer="mia", template_name="绩效结果反馈面谈",
                                      held_on=date(2026, 12, 1), revision=1, public_url="https://perf.example.com")
    card = msg["action_card"]
    assert "mia 已填写" in card["markdown"] and "iv-1" in card["markdown"] and "interviews" in card["single_url"]
