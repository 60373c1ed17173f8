"""Bench: the visibility-checked result reads (services/result_views) on a 10,000-participant cycle.

Setup (not timed): a fresh database; an org of ceo → 10 directors → 100 managers → N reports; every one of
them a participant with a stored result (released), a manager rating, and 3 approved peer nominations with
ratings. Then, timed (best of 3), `visible_results` for HR (everyone), the ceo (everyone, as skip-level), a
director (~N/10), a manager (~N/100) and a peer rater, and `view_result` of one report by the ceo (the manager
chain walk) and by the employee (stored explanation absent, so the breakdown is recomputed).
Ends with: RESULT hr_list_s=… ceo_list_s=… manager_list_s=… view_s=… participants=…

    python bench/result_views.py [--reports 10000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from dingperf.perf.library import load_template
from dingperf.perf.raters import RaterConfig
from dingperf.services.cycles import Participant, add_participants, create_cycle
from dingperf.services.result_views import view_result, visible_results
from dingperf.services.score_inputs import InputValue, record_inputs
from dingperf.services.templates import publish_template
from dingperf.store.engine import Store, open_store
from dingperf.store.migrate import upgrade_database
from dingperf.store.repositories.org import upsert_employees
from dingperf.store.tables.org import EmployeeBase
from dingperf.store.tables.perf_documents import PerfDocument
from dingperf.store.tables.perf_inputs import PerfRating
from dingperf.store.tables.perf_results import PerfResult

CORP, CYCLE = "bench-corp", "bench-2026-Q4"
NOW = datetime(2026, 12, 31, 10, 0, tzinfo=UTC)
HR = ("hr1",)
RATERS = RaterConfig.build({"manager": 70, "peer": 30}, anonymous=("peer",), quorum={"peer": 3})
RATING = {"customer_first": "4", "integrity": "4"}


def build(store: Store, reports: int) -> list[str]:
    """The org, cycle, participants, results, ratings and nominations; returns the report userids."""
    people = [EmployeeBase(userid="ceo", name="ceo")]
    people += [EmployeeBase(userid=f"d{i}", name=f"d{i}", manager_userid="ceo") for i in range(10)]
    people += [EmployeeBase(userid=f"m{i}", name=f"m{i}", manager_userid=f"d{i % 10}") for i in range(100)]
    staff = [f"u{i:05d}" for i in range(reports)]
    people += [EmployeeBase(userid=u, name=u, manager_userid=f"m{i % 100}") for i, u in enumerate(staff)]
    with store.session() as s:
        upsert_employees(session=s, corp_id=CORP, employees=people, now=NOW)
    publish_template(store, CORP, load_template("sales-rep"), actor="hr1", now=NOW)
    create_cycle(store, CORP, cycle_id=CYCLE, name="bench", kind="quarterly", period_start=date(2026, 10, 1),
                 period_end=date(2026, 12, 31), template_id="sales-rep", raters=RATERS, actor="hr1", now=NOW)
    everyone = [p.userid for p in people if p.userid != "ceo"]
    add_participants(store, CORP, CYCLE, [Participant(u) for u in everyone], now=NOW)
    with store.session() as s:
        s.add_all([PerfResult(corp_id=CORP, cycle_id=CYCLE, userid=u, template_id="sales-rep", template_version=1,
                              status="scored", total=Decimal("85.5"), grade="B", scored_at=NOW, released_at=NOW,
                              sections={"performance": "60", "values": "25.5"}) for u in everyone])
    with store.session() as s:
        for i, u in enumerate(staff):
            peers = [staff[(i + k) % len(staff)] for k in (1, 2, 3)]
            s.add(PerfRating(corp_id=CORP, cycle_id=CYCLE, userid=u, rater_id=f"m{i % 100}", section="values",
                             rater_group="manager", ratings=RATING, submitted_at=NOW))
            for p in peers:
                s.add(PerfRating(corp_id=CORP, cycle_id=CYCLE, userid=u, rater_id=p, section="values",
                                 rater_group="peer", ratings=RATING, submitted_at=NOW))
                s.add(PerfDocument(corp_id=CORP, kind="nomination", doc_id=f"{CYCLE}:{u}:{p}", revision=1,
                                   cycle_id=CYCLE, subject_userid=u, status="approved", saved_by=u, saved_at=NOW,
                                   body={"rater": p, "rater_type": "peer", "nominated_by": u, "history": []}))
    return staff


def best(fn: Callable[[], Any], runs: int = 3) -> tuple[float, Any]:
    """Best wall time of `runs` calls, and the last result."""
    times, out = [], None
    for _ in range(runs):
        started = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - started)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade_database(url)
        store = open_store(url)
        try:
            t0 = time.perf_counter()
            staff = build(store, args.reports)
            print(f"setup {time.perf_counter() - t0:.1f} s on {store.dialect}; {len(staff) + 110} participants")
            figures: dict[str, float] = {}
            for name, viewer in (("hr_list", "hr1"), ("ceo_list", "ceo"), ("director_list", "d0"),
                                 ("manager_list", "m0"), ("rater_list", staff[0])):
                seconds, rows = best(lambda v=viewer: visible_results(store, CORP, CYCLE, v, hr_userids=HR))
                figures[name] = seconds
                print(f"visible_results {name:14} {seconds * 1000:8.1f} ms  rows={len(rows)}")
            subject = staff[-1]
            record_inputs(store, CORP, CYCLE, [InputValue(subject, "revenue", 1000),
                                               InputValue(subject, "return_rate", "2.0")], now=NOW)
            for name, viewer in (("view_by_ceo", "ceo"), ("view_by_self", subject)):
                seconds, _ = best(lambda v=viewer: view_result(store, CORP, CYCLE, subject, v, hr_userids=HR))
                figures[name] = seconds
                print(f"view_result     {name:14} {seconds * 1000:8.1f} ms")
            print(f"RESULT hr_list_s={figures['hr_list']:.3f} ceo_list_s={figures['ceo_list']:.3f} "
                  f"manager_list_s={figures['manager_list']:.3f} view_s={figures['view_by_ceo']:.3f} "
                  f"participants={len(staff) + 110}")
        finally:
            store.dispose()


if __name__ == "__main__":
    main()
