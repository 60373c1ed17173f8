"""The wording of performance notices: every phase audience has a text, links open in DingTalk, and even the
longest names and reasons fit DingTalk's 2048-byte msg limit."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from dingperf.perf.cycles import Phase
from dingperf.services import perf_notices as notices

AT = datetime(2026, 10, 10, 10, 0, tzinfo=UTC)
LONG_NAME = "绩" * 200  # the longest cycle name the table holds
LONG_ID = "x" * 64
LONG_TEXT = "很长的理由" * 400
URL = "https://perf.example.com/a/rather/long/prefix/for/the/workbench"


def _size(msg: dict[str, Any]) -> int:
    return len(json.dumps(msg, ensure_ascii=False, separators=(",", ":")).encode())


def _phase_msgs() -> list[dict[str, Any]]:
    return [notices.phase_notice(corp_id=LONG_ID, cycle_id=LONG_ID, cycle_name=LONG_NAME, timezone="Asia/Shanghai",
                                 phase=p, audience=a, deadline=AT, entered_at=AT, public_url=URL)
            for p in Phase for a in notices.phase_audiences(p)]


def _appeal_msgs() -> list[dict[str, Any]]:
    common = {"corp_id": LONG_ID, "appeal_id": LONG_ID, "cycle_name": LONG_NAME, "public_url": URL}
    return [
        notices.results_released_notice(corp_id=LONG_ID, cycle_id=LONG_ID, cycle_name=LONG_NAME,
                                        timezone="Asia/Shanghai", released_at=AT, public_url=URL),
        notices.appeal_filed_notice(appellant=LONG_ID, statement=LONG_TEXT, **common),
        notices.appeal_assigned_notice(appellant=LONG_ID, statement=LONG_TEXT, deadline=AT, timezone="Asia/Shanghai",
                                       **common),
        notices.appeal_accepted_notice(score_before=Decimal("90.12"), new_score=Decimal("100.5"), grade="S",
                                       reason=LONG_TEXT, **common),
        notices.appeal_rejected_notice(reason=LONG_TEXT, can_reopen=True, **common),
        notices.appeal_reopened_notice(appellant=LONG_ID, reason=LONG_TEXT, round_no=2, **common),
        notices.appeal_overdue_notice(handler=LONG_ID, appellant=LONG_ID, deadline=AT, timezone="Asia/Shanghai",
                                      for_handler=False, **common),
    ]


def test_every_phase_but_in_progress_and_closed_has_someone_to_tell() -> None:
    silent = [p for p in Phase if not notices.phase_audiences(p)]
    assert silent == [Phase.IN_PROGRESS, Phase.CLOSED]
    assert notices.phase_audiences(Phase.MANAGER_REVIEW) == ("manager", "rater")


def test_the_results_phase_tells_hr_only_since_the_release_itself_tells_employees() -> None:
    assert notices.phase_audiences(Phase.RESULTS) == ("hr",)
    assert notices.phase_audiences(Phase.APPEAL_WINDOW) == ("participant",)


@pytest.mark.parametrize("msg", _phase_msgs() + _appeal_msgs())
def test_the_longest_inputs_still_fit_dingtalks_msg_limit(msg: dict[str, Any]) -> None:
    assert _size(msg) <= 2048


def test_deadlines_read_in_the_cycle_timezone_to_the_minute() -> None:
    assert notices.when(AT, "Asia/Shanghai") == "2026-10-10 18:00（Asia/Shanghai）"
    assert notices.when(None, "Asia/Shanghai") == "未设定"


def test_the_workbench_link_opens_the_page_in_dingtalks_sidebar() -> None:
    link = notices.workbench_link("https://perf.example.com/", "ding corp", "cycles/q4/goals")
    assert link is not None and link.startswith("dingtalk://dingtalkclient/page/link?")
    query = parse_qs(urlparse(link).query)
    assert query["pc_slide"] == ["true"]
    assert query["url"] == ["https://perf.example.com/app/cycles/q4/goals?corpId=ding%20corp"]
    assert notices.workbench_link("", "ding corp", "cycles/q4/goals") is None


def test_free_text_is_quoted_on_one_line_and_clipped() -> None:
    msg = notices.appeal_rejected_notice(corp_id="c", appeal_id="ap-1", cycle_name="Q4", reason="第一行\n\n第二行 " * 100,
                                         can_reopen=False)
    text = msg["markdown"]["text"]
    assert "第一行 第二行" in text and "…" in text and "不能再次提起" in text
