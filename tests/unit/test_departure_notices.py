"""Departure notices name at most 15 people (or ids) and count the rest, so even the longest fit 2048 bytes."""

import json
from datetime import date

from dingperf.services import departure_notices as wording

MANY = [f"员工编号很长的用户名称{n:05d}" for n in range(300)]
LONG_URL = "https://perf.example.com/" + "x" * 100


def _bytes(msg: dict) -> int:
    return len(json.dumps(msg, ensure_ascii=False, separators=(",", ":")).encode())


def test_the_longest_notices_fit_dingtalks_limit() -> None:
    on = date(2026, 11, 23)
    msgs = [
        wording.raters_short_notice(corp_id="c", departed="x" * 64, left_on=on, cycle_name="周" * 60, reviewees=MANY,
                                    public_url=LONG_URL),
        wording.appeals_unassigned_notice(corp_id="c", departed="x" * 64, left_on=on, appeals=MANY,
                                          public_url=LONG_URL),
        wording.plan_handed_over_notice(corp_id="c", departed="x" * 64, left_on=on, plan_id="p" * 64,
                                        employee="e" * 64, manager="m" * 64, tasks=MANY, public_url=LONG_URL),
        wording.plan_needs_manager_notice(corp_id="c", departed="x" * 64, left_on=on, plans=MANY,
                                          public_url=LONG_URL),
        wording.new_reviewees_notice(corp_id="c", cycle_name="周" * 60, reviewees=MANY,
                                     reason="x" * 64 + " left on 2026-11-23", public_url=LONG_URL),
        wording.manager_moved_notice(corp_id="c", cycle_name="周" * 60, userid="u" * 64, old="o" * 64, new="n" * 64,
                                     on=on, public_url=LONG_URL),
        wording.reviewees_without_manager_notice(corp_id="c", departed="x" * 64, left_on=on, cycle_name="周" * 60,
                                                 reviewees=MANY, public_url=LONG_URL),
    ]
    assert max(_bytes(m) for m in msgs) <= 2048


def test_a_long_list_names_fifteen_and_counts_the_rest() -> None:
    msg = wording.appeals_unassigned_notice(corp_id="c", departed="hrbp", left_on=date(2026, 11, 23),
                                            appeals=[f"ap-{n}" for n in range(25)])
    text = json.dumps(msg, ensure_ascii=False)
    assert "ap-14" in text and "ap-15" not in text and "另有 10 个" in text
