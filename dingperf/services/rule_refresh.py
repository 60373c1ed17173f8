"""When DingTalk data behind a cycle changes, recompute and tell the people affected — until sign-off.

A 补卡 approved late turns a Late into Normal; a revoked approval stops counting. `refresh_from_sources`
re-runs the cycle's rules over the synced data, re-scores when any rule-fed input changed, and queues a
work notification (through the outbox) for each affected employee whose result is not yet acknowledged.
Acknowledged (signed-off) results are never changed behind the employee's back: they are reported as
frozen for HR to handle through an appeal or a calibration with a reason.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import select

from dingperf.dingtalk.messages import markdown_msg
from dingperf.perf.rules import Rule
from dingperf.services.collect import collect_inputs
from dingperf.services.outbox_sender import queue_work_notice
from dingperf.services.results import get_result
from dingperf.services.scoring_service import score_cycle
from dingperf.store.engine import NotFound, Store
from dingperf.store.tables.perf_inputs import PerfInput
from dingperf.store.types import utcnow


@dataclass(frozen=True)
class RefreshReport:
    cycle_id: str
    changed: tuple[str, ...]  # employees whose rule-fed inputs changed
    notified: tuple[str, ...]  # told that their result moved
    frozen: tuple[str, ...]  # changed, but already signed off: left for HR


def _rule_inputs(store: Store, corp_id: str, cycle_id: str, codes: set[str]) -> dict[tuple[str, str, str], str]:
    with store.session() as s:
        rows = s.exec(select(PerfInput.userid, PerfInput.kind, PerfInput.code, PerfInput.value).where(
            PerfInput.corp_id == corp_id, PerfInput.cycle_id == cycle_id)).all()
    return {(u, k, c): v for u, k, c, v in rows if c in codes}


def refresh_from_sources(store: Store, corp_id: str, cycle_id: str, rules: Sequence[Rule], *,
                         now: datetime | None = None) -> RefreshReport:
    """Re-collect rule inputs; re-score and notify when they changed. Safe to run as often as you like."""
    now = now or utcnow()
    codes = {r.target_code for r in rules}
    before = _rule_inputs(store, corp_id, cycle_id, codes)
    collect_inputs(store, corp_id, cycle_id, rules)
    after = _rule_inputs(store, corp_id, cycle_id, codes)
    changed = sorted({key[0] for key in set(before) | set(after) if before.get(key) != after.get(key)})
    if not changed:
        return RefreshReport(cycle_id, (), (), ())
    old = {u: _total(store, corp_id, cycle_id, u) for u in changed}
    score_cycle(store, corp_id, cycle_id, now=now)
    notified, frozen = [], []
    for userid in changed:
        try:
            result = get_result(store, corp_id, cycle_id, userid)
        except NotFound:
            continue  # not scored (e.g. no longer a participant): nothing to tell
        if result.acknowledged_at is not None:
            frozen.append(userid)
            continue
        values = "|".join(f"{k}:{c}={after[(u, k, c)]}" for (u, k, c) in sorted(after) if u == userid)
        digest = hashlib.sha1(values.encode()).hexdigest()[:16]  # same data, same key: queued once
        text = (f"### 绩效数据已更新 ({cycle_id})\n\n考勤或审批数据发生变化，你的得分已重新计算："
                f"{old[userid] if old[userid] is not None else '—'} → **{result.total}**（{result.grade}）。\n\n"
                "在工作台打开 dingperf 可查看每一分的来源。")
        queue_work_notice(store, corp_id, key=f"rescore:{cycle_id}:{userid}:{digest}", userids=[userid],
                          msg=markdown_msg("绩效数据已更新", text), now=now)
        notified.append(userid)
    return RefreshReport(cycle_id, tuple(changed), tuple(notified), tuple(frozen))


def _total(store: Store, corp_id: str, cycle_id: str, userid: str) -> object:
    try:
        return get_result(store, corp_id, cycle_id, userid).total
    except NotFound:
        return None
