"""A small synced org and a 360 cycle for the nomination and rating-standing tests.

dept 10 (sales): mia manages ann, bob, cat, dan, eve; sub1 reports to ann. dept 20: zed (manager max).
'gone' left the company. 'pm' is a participant whose manager is set on the participant ('lead'), not synced.
'nobody' is a participant nobody manages. hr1 is HR.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from dingperf.perf.library import load_template
from dingperf.perf.raters import RaterConfig
from dingperf.services.cycles import Participant, add_participants, create_cycle
from dingperf.services.templates import publish_template
from dingperf.store.engine import Store
from dingperf.store.repositories import deactivate_employee, upsert_employees
from dingperf.store.tables import EmployeeBase

CORP, CYCLE, PLAIN = "dingcorp-360", "2026-Q4", "2026-Q4-plain"
NOW = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
HR = ("hr1",)
RATERS_360 = RaterConfig.build({"self": 10, "manager": 50, "peer": 20, "subordinate": 10, "cross_department": 10},
                               anonymous=("peer", "subordinate", "cross_department"),
                               quorum={"peer": 3, "subordinate": 3, "cross_department": 3})
VALUES = {"customer_first": 4, "integrity": 5}


def _person(userid: str, dept: int, manager: str | None) -> EmployeeBase:
    return EmployeeBase(userid=userid, name=userid, dept_ids=[dept], manager_userid=manager)


def org_and_cycles(store: Store) -> None:
    """Sync the org, publish sales-rep, create the 360 cycle and a manager-only cycle with the same people."""
    staff = [_person("mia", 10, "boss"), *(_person(u, 10, "mia") for u in ("ann", "bob", "cat", "dan", "eve")),
             _person("sub1", 10, "ann"), _person("zed", 20, "max"), _person("gone", 10, "mia"),
             _person("pm", 10, "mia"), _person("lead", 30, "boss")]
    with store.session() as s:
        upsert_employees(session=s, corp_id=CORP, employees=staff, now=NOW)
        deactivate_employee(session=s, corp_id=CORP, userid="gone", departed_at=NOW)
    publish_template(store, CORP, load_template("sales-rep"), actor="hr1", now=NOW)
    people = ["ann", "bob", Participant("pm", "lead"), "nobody"]
    for cycle_id, raters in ((CYCLE, RATERS_360), (PLAIN, None)):
        create_cycle(store, CORP, cycle_id=cycle_id, name=cycle_id, kind="quarterly", period_start=date(2026, 10, 1),
                     period_end=date(2026, 12, 31), template_id="sales-rep", raters=raters, actor="hr1", now=NOW)
        add_participants(store, CORP, cycle_id, people, now=NOW)
