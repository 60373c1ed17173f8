"""Calibration groups stored as documents: declared by rule, validated on save, resolved over the participants."""

from __future__ import annotations

import pytest

from dingperf.perf.errors import ValidationError
from dingperf.services.calibration_groups import (
    list_calibration_groups,
    remove_calibration_group,
    resolve_groups,
    save_calibration_group,
)
from dingperf.services.documents import document_history
from dingperf.store.engine import Store
from dingperf.store.repositories.audit import list_audit
from tests.integration.calibration_kit import CORP, CYCLE, NOW, SHARES, build_org_cycle


@pytest.fixture
def cycle(store: Store) -> Store:
    return build_org_cycle(store)


def _sales(**extra: object) -> dict[str, object]:
    return {"group_id": "sales", "name": "Sales", "members": {"dept_ids": [10]},
            "quota": {"shares": SHARES, "guidelines": ["S+A ≤ 30%"], "enforcement": "hard",
                      "tie_break_section": "performance"}, **extra}


def _small(group_id: str, dept: int) -> dict[str, object]:
    return {"group_id": group_id, "name": group_id.title(), "members": {"dept_ids": [dept]},
            "quota": {"guidelines": ["S+A ≤ 30%"]}, "min_size": 8, "pool": "small-teams"}


def test_a_department_subtree_group_claims_its_people_and_the_rest_go_to_the_default_group(cycle: Store) -> None:
    save_calibration_group(cycle, CORP, CYCLE, _sales(), actor="hr", now=NOW)
    groups = {g.group_id: g for g in resolve_groups(cycle, CORP, CYCLE)}
    assert sorted(groups) == ["default", "sales"]
    assert groups["sales"].size == 23 and groups["default"].size == 12


def test_a_saved_group_is_a_revisioned_audited_document(cycle: Store) -> None:
    save_calibration_group(cycle, CORP, CYCLE, _sales(), actor="hr", now=NOW)
    save_calibration_group(cycle, CORP, CYCLE, _sales(name="Sales (all regions)"), actor="hr", expected_revision=1,
                           now=NOW)
    assert [d.revision for d in document_history(cycle, CORP, "calibration_group", f"{CYCLE}/sales")] == [1, 2]
    assert [g.name for g in list_calibration_groups(cycle, CORP, CYCLE)] == ["Sales (all regions)"]
    with cycle.session() as s:
        assert len(list_audit(session=s, corp_id=CORP, action="calibration_group.save")) == 2


def test_shares_are_stored_in_the_scale_order(cycle: Store) -> None:
    spec = save_calibration_group(cycle, CORP, CYCLE, _sales(quota={"shares": dict(reversed(SHARES.items()))}),
                                  actor="hr", now=NOW)
    assert [g for g, _ in spec.policy.shares] == ["S", "A", "B", "C", "D"]


def test_a_quota_naming_a_grade_outside_the_scale_is_refused_and_nothing_is_saved(cycle: Store) -> None:
    with pytest.raises(ValidationError, match=r"grades \['X'\] that are not in the grade scale"):
        save_calibration_group(cycle, CORP, CYCLE, _sales(quota={"guidelines": ["X ≤ 10%"]}), actor="hr", now=NOW)
    assert list_calibration_groups(cycle, CORP, CYCLE) == []


def test_percentages_that_do_not_total_100_are_refused(cycle: Store) -> None:
    with pytest.raises(ValidationError, match="they must total 100%"):
        save_calibration_group(cycle, CORP, CYCLE, _sales(quota={"shares": {**SHARES, "D": 10}}), actor="hr",
                               now=NOW)


def test_a_group_claiming_someone_another_group_claims_is_refused_naming_both(cycle: Store) -> None:
    save_calibration_group(cycle, CORP, CYCLE, _sales(), actor="hr", now=NOW)
    vip = {"group_id": "vip", "name": "VIP", "members": {"userids": ["s01"]}}
    with pytest.raises(ValidationError, match="s01 is claimed by groups 'sales' and 'vip'"):
        save_calibration_group(cycle, CORP, CYCLE, vip, actor="hr", now=NOW)
    assert [g.group_id for g in list_calibration_groups(cycle, CORP, CYCLE)] == ["sales"]


def test_a_manager_rule_claims_the_managers_direct_reports(cycle: Store) -> None:
    save_calibration_group(cycle, CORP, CYCLE, {"group_id": "ops", "name": "Ops",
                                                "members": {"manager_userids": ["lead-20"]}}, actor="hr", now=NOW)
    groups = {g.group_id: g.members for g in resolve_groups(cycle, CORP, CYCLE)}
    assert groups["ops"] == ("o1", "o2", "o3")


def test_two_small_teams_are_pooled_into_their_named_pool_group(cycle: Store) -> None:
    save_calibration_group(cycle, CORP, CYCLE, _small("design", 30), actor="hr", now=NOW)
    save_calibration_group(cycle, CORP, CYCLE, _small("legal", 40), actor="hr", now=NOW)
    groups = {g.group_id: g for g in resolve_groups(cycle, CORP, CYCLE)}
    assert "design" not in groups and "legal" not in groups
    pool = groups["small-teams"]
    assert (pool.size, pool.pooled_from) == (9, ("design", "legal"))
    assert [gl.label for gl in pool.policy.guidelines] == ["S+A ≤ 30%"]


def test_a_removed_group_needs_a_reason_and_its_people_return_to_the_default_group(cycle: Store) -> None:
    save_calibration_group(cycle, CORP, CYCLE, _sales(), actor="hr", now=NOW)
    with pytest.raises(ValidationError, match="needs a reason"):
        remove_calibration_group(cycle, CORP, CYCLE, "sales", actor="hr", reason=" ", now=NOW)
    remove_calibration_group(cycle, CORP, CYCLE, "sales", actor="hr", reason="one company-wide group", now=NOW)
    assert [(g.group_id, g.size) for g in resolve_groups(cycle, CORP, CYCLE)] == [("default", 35)]
