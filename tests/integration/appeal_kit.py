"""A cycle in its appeal window with released results, for the appeal notice and escalation tests."""

from __future__ import annotations

from datetime import timedelta

from dingperf.perf.appeals import AppealSubject, AppealTarget
from dingperf.perf.cycles import Phase
from dingperf.services.appeals import assign_appeal, file_appeal
from dingperf.services.collect import collect_inputs
from dingperf.services.phases import override_phase
from dingperf.services.results import release_results
from dingperf.services.scoring_service import score_cycle
from dingperf.store.engine import Store
from dingperf.store.repositories.org import upsert_employees
from dingperf.store.tables.org import EmployeeBase
from tests.integration.collect_kit import CORP, CYCLE, LATE, NOW, REVENUE

TOTAL = AppealTarget(AppealSubject.TOTAL)
DUE = NOW + timedelta(days=7)  # 2026-12-09 10:00 in Shanghai


def prepare_appeal_cycle(collect_cycle: Store) -> Store:
    """The collect cycle with both reps scored 90 and released, the cycle in its appeal window; u-late's manager is boss-late and
    the handler hrbp's manager is hr-head (address book)."""
    collect_inputs(collect_cycle, CORP, CYCLE, [LATE, REVENUE])
    score_cycle(collect_cycle, CORP, CYCLE, now=NOW)
    override_phase(collect_cycle, CORP, CYCLE, Phase.APPEAL_WINDOW, actor="admin", reason="test", now=NOW)
    release_results(collect_cycle, CORP, CYCLE, by="hr", now=NOW)
    with collect_cycle.session() as s:
        upsert_employees(session=s, corp_id=CORP, now=NOW, employees=[
            EmployeeBase(userid="u-late", name="迟到", manager_userid="boss-late"),
            EmployeeBase(userid="hrbp", name="HRBP", manager_userid="hr-head")])
    return collect_cycle


def file_ap1(store: Store, **kw: object) -> str:
    """u-late appeals their total as ap-1."""
    return file_appeal(store, CORP, CYCLE, "u-late", TOTAL, "6号的补卡审批晚了", appeal_id="ap-1", now=NOW,
                       **kw).appeal_id  # type: ignore[arg-type]


def in_review(store: Store) -> str:
    """ap-1 filed (HR hr-1 told) and assigned to hrbp until DUE."""
    appeal_id = file_ap1(store, hr_userids=("hr-1",))
    assign_appeal(store, CORP, appeal_id, handler="hrbp", deadline=DUE, actor="hr-1", now=NOW)
    return appeal_id
