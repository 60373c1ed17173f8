"""A cycle with synced departments, employees and scored results, for calibration-group tests.

Sales (dept 10, people in its child 11) holds 23 people graded 3/4/12/3/1 against PRODUCT.md §2.7's
10/20/50/15/5% (seats 2/5/12/3/1); Design (4) and Legal (5) are small teams; Ops (3) is claimed by no group.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal

from dingperf.perf.library import load_template
from dingperf.services.cycles import Participant, add_participants, create_cycle
from dingperf.services.templates import publish_template
from dingperf.store.engine import Store
from dingperf.store.repositories.org import upsert_departments, upsert_employees
from dingperf.store.tables.org import DepartmentBase, EmployeeBase
from dingperf.store.tables.perf_results import PerfResult

CORP, CYCLE = "dingcorp-calibration", "2026-H2"
NOW = datetime(2026, 12, 31, 10, 0, tzinfo=UTC)
SHARES = {"S": 10, "A": 20, "B": 50, "C": 15, "D": 5}
TOTALS = {"S": 115, "A": 100, "B": 85, "C": 70, "D": 50}
DEPTS = {1: ("Company", None), 10: ("Sales", 1), 11: ("Sales East", 10), 20: ("Ops", 1), 30: ("Design", 1),
         40: ("Legal", 1)}


def sales_people() -> list[tuple[str, str]]:
    """(userid, grade) of the 23 sales people: s01–s03 S, s04–s07 A, s08–s19 B, s20–s22 C, s23 D."""
    grades = ["S"] * 3 + ["A"] * 4 + ["B"] * 12 + ["C"] * 3 + ["D"]
    return [(f"s{i:02d}", g) for i, g in enumerate(grades, start=1)]


def seed_results(store: Store, people: Iterable[tuple[str, int, str, Decimal]]) -> None:
    """Participants (userid, dept, grade, total) as synced employees with scored results."""
    people = list(people)
    with store.session() as s:
        upsert_employees(session=s, corp_id=CORP, now=NOW, employees=[
            EmployeeBase(userid=u, name=u, dept_ids=[d], manager_userid=f"lead-{d}") for u, d, _, _ in people])
    add_participants(store, CORP, CYCLE, [Participant(u) for u, _, _, _ in people], now=NOW)
    with store.session() as s:
        for userid, _, grade, total in people:
            s.add(PerfResult(corp_id=CORP, cycle_id=CYCLE, userid=userid, template_id="sales-rep", template_version=1,
                             status="scored", total=total, grade=grade, scored_at=NOW,
                             sections={"performance": str(total - 20), "values": "20"}))


def build_org_cycle(store: Store) -> Store:
    """The cycle with every team scored and no calibration group declared yet."""
    publish_template(store, CORP, load_template("sales-rep"), actor="hr", now=NOW)
    create_cycle(store, CORP, cycle_id=CYCLE, name="2026 H2", kind="half_year", period_start=date(2026, 7, 1),
                 period_end=date(2026, 12, 31), template_id="sales-rep", actor="hr", now=NOW)
    with store.session() as s:
        upsert_departments(session=s, corp_id=CORP, now=NOW, departments=[
            DepartmentBase(dept_id=d, name=n, parent_id=p) for d, (n, p) in DEPTS.items()])
    # Totals fall by rank inside each grade so the forced ranking is the userid order.
    people = [(u, 11, g, Decimal(TOTALS[g] - i * Decimal("0.1"))) for i, (u, g) in enumerate(sales_people())]
    people += [(f"d{i}", 30, "B", Decimal(85)) for i in range(1, 5)]
    people += [(f"l{i}", 40, "A", Decimal(100)) for i in range(1, 6)]
    people += [(f"o{i}", 20, "C", Decimal(70)) for i in range(1, 4)]
    seed_results(store, people)
    return store
