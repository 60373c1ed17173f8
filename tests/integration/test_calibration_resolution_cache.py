"""Resolutions are reused across moves, but any change to membership is seen at once (even at the same time)."""

from __future__ import annotations

from dingperf.perf.calibration_groups import group_of
from dingperf.services.calibration_groups import resolve_groups, save_calibration_group
from dingperf.store.engine import Store
from dingperf.store.repositories.org import upsert_employees
from dingperf.store.tables.org import EmployeeBase
from tests.integration.calibration_kit import CORP, CYCLE, NOW, build_org_cycle


def _cycle(store: Store) -> Store:
    build_org_cycle(store)
    save_calibration_group(store, CORP, CYCLE, {"group_id": "sales", "name": "Sales", "members": {"dept_ids": [10]}},
                           actor="hr", now=NOW)
    return store


def test_a_transfer_with_the_same_timestamp_moves_the_person_to_the_new_group(store: Store) -> None:
    _cycle(store)
    assert group_of(resolve_groups(store, CORP, CYCLE), "d1").group_id == "default"
    with store.session() as s:
        upsert_employees(session=s, corp_id=CORP, now=NOW, employees=[
            EmployeeBase(userid="d1", name="d1", dept_ids=[11], manager_userid="lead-11")])
    assert group_of(resolve_groups(store, CORP, CYCLE), "d1").group_id == "sales"


def test_an_unchanged_membership_resolves_to_the_same_groups(store: Store) -> None:
    _cycle(store)
    assert resolve_groups(store, CORP, CYCLE) == resolve_groups(store, CORP, CYCLE)
