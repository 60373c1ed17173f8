"""A cycle's calibration groups, stored as documents (kind "calibration_group"): who each group claims
(department subtree from the synced org, manager, userids), its quota policy and pooling, and the resolution
that puts every participant of the cycle in exactly one group.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from dingperf.perf.calibration_groups import (
    DEFAULT_GROUP,
    GroupSpec,
    MemberRule,
    Person,
    ResolvedGroup,
    assign_groups,
)
from dingperf.perf.errors import ValidationError
from dingperf.perf.grades import DEFAULT_GRADES, GradeScale
from dingperf.perf.quota_policy import QuotaPolicy, shares_in_order
from dingperf.services.documents import latest_documents_in, save_document_in
from dingperf.store.engine import NotFound, Store
from dingperf.store.perf_repositories import Binder, fetch_rows, loads
from dingperf.store.tables.org import Department, Employee
from dingperf.store.tables.perf_cycles import PerfCycle
from dingperf.store.tables.perf_participants import PerfParticipant
from dingperf.store.tables.perf_results import PerfResult
from dingperf.store.tables.perf_templates import PerfTemplate
from dingperf.store.types import utcnow

KIND = "calibration_group"
ACTIVE, REMOVED = "active", "removed"


def group_spec_from_dict(data: Mapping[str, Any]) -> GroupSpec:
    """Read a group as the API and the stored body write it (see `group_spec_to_dict`)."""
    members = data.get("members") or {}
    try:
        rule = MemberRule(tuple(int(d) for d in members.get("dept_ids") or ()),
                          tuple(str(u) for u in members.get("manager_userids") or ()),
                          tuple(str(u) for u in members.get("userids") or ()))
        min_size = int(data.get("min_size") or 1)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"calibration group {data.get('group_id')!r}: {exc}; dept_ids are numbers, "
                              "min_size a whole number") from None
    return GroupSpec(str(data.get("group_id") or ""), str(data.get("name") or ""), rule,
                     QuotaPolicy.from_dict(data.get("quota") or {}), min_size, data.get("pool") or None)


def group_spec_to_dict(spec: GroupSpec) -> dict[str, Any]:
    """The JSON body a group is stored as."""
    return {"group_id": spec.group_id, "name": spec.name,
            "members": {"dept_ids": list(spec.rule.dept_ids), "manager_userids": list(spec.rule.manager_userids),
                        "userids": list(spec.rule.userids)},
            "quota": spec.policy.to_dict(), "min_size": spec.min_size, "pool": spec.pool}


def _cycle_row(s: Session, corp_id: str, cycle_id: str) -> PerfCycle:
    row = s.get(PerfCycle, (corp_id, cycle_id))
    if row is None:
        raise NotFound(f"no cycle {cycle_id!r} in corp {corp_id}; check the id (create it with create_cycle)")
    return row


def grade_order_in(s: Session, corp_id: str, cycle_id: str) -> tuple[str, ...]:
    """The cycle's grades, best first (its own bands, else its pinned template's), inside the caller's session."""
    cycle = _cycle_row(s, corp_id, cycle_id)
    if cycle.grades:
        return GradeScale.from_list(cycle.grades).grades
    body = s.exec(select(PerfTemplate.body).where(PerfTemplate.corp_id == corp_id, PerfTemplate.template_id ==
                                                  cycle.template_id, PerfTemplate.version == cycle.template_version)
                  ).first()
    if body is None:
        raise NotFound(f"cycle {cycle_id} pins template {cycle.template_id} v{cycle.template_version}, which is "
                       "not stored; publish it again")
    return (GradeScale.from_list(body["grades"]) if body.get("grades") else DEFAULT_GRADES).grades


def _doc_id(cycle_id: str, group_id: str) -> str:
    return f"{cycle_id}/{group_id}"


def specs_in(s: Session, corp_id: str, cycle_id: str) -> list[GroupSpec]:
    """The cycle's declared (not removed) groups, by group id."""
    docs = latest_documents_in(s, corp_id, KIND, cycle_id=cycle_id, status=ACTIVE)
    return sorted((group_spec_from_dict(d.body) for d in docs), key=lambda g: g.group_id)


def list_calibration_groups(store: Store, corp_id: str, cycle_id: str) -> list[GroupSpec]:
    """The cycle's declared calibration groups."""
    with store.session() as s:
        return specs_in(s, corp_id, cycle_id)


def _rows_in(s: Session, corp_id: str, cycle_id: str) -> tuple[list[tuple[Any, ...]], dict[int, int | None]]:
    # Plain driver reads: a calibration move resolves the groups of a 100,000-person cycle, and ORM rows
    # (with a JSON decode per employee through the type layer) cost more than the rules themselves.
    conn = s.connection()
    p = Binder(conn).placeholder
    pt, et = PerfParticipant.__tablename__, Employee.__tablename__
    rows = fetch_rows(
        conn, f"SELECT p.userid, p.manager_userid, CAST(e.dept_ids AS TEXT), e.manager_userid FROM {pt} p "
        f"LEFT JOIN {et} e ON e.corp_id = p.corp_id AND e.userid = p.userid WHERE p.corp_id = {p} AND p.cycle_id = {p}",
        (corp_id, cycle_id))
    parents = {d: pa for d, pa in conn.exec_driver_sql(
        f"SELECT dept_id, parent_id FROM {Department.__tablename__} WHERE corp_id = {p}", (corp_id,)).all()}
    return [tuple(r) for r in rows], parents


def _people(rows: Sequence[tuple[Any, ...]]) -> list[Person]:
    # Most people share a handful of department lists: decode each distinct JSON text once (cast to text so
    # PostgreSQL hands back a hashable string too).
    decoded: dict[str | None, tuple[int, ...]] = {None: ()}
    for depts in {r[2] for r in rows} - {None}:
        decoded[depts] = tuple(loads(depts) or ())
    return [Person(userid, decoded[depts], manager or synced_manager)
            for userid, manager, depts, synced_manager in rows]


# The last resolutions, keyed by exactly what they were computed from (every participant row, the department
# tree, the groups): a calibration session moves people one by one over an unchanged membership, and comparing
# the inputs costs a fraction of resolving them again. Any change to the inputs is a miss, never a stale answer.
_RESOLVED: dict[tuple[str, str], tuple[tuple[Any, ...], tuple[ResolvedGroup, ...]]] = {}
_RESOLVED_MAX = 8


def resolve_groups_in(s: Session, corp_id: str, cycle_id: str,
                      specs: Sequence[GroupSpec] | None = None) -> tuple[ResolvedGroup, ...]:
    """Every participant in exactly one group (see `resolve_groups`), inside the caller's session."""
    rows, parents = _rows_in(s, corp_id, cycle_id)
    if specs is not None:
        return assign_groups(specs, _people(rows), parents)
    declared = specs_in(s, corp_id, cycle_id)
    inputs = (tuple(rows), tuple(sorted(parents.items())), repr(declared))
    hit = _RESOLVED.get((corp_id, cycle_id))
    if hit is not None and hit[0] == inputs:
        return hit[1]
    groups = assign_groups(declared, _people(rows), parents)
    _RESOLVED.pop((corp_id, cycle_id), None)
    while len(_RESOLVED) >= _RESOLVED_MAX:
        _RESOLVED.pop(next(iter(_RESOLVED)))
    _RESOLVED[(corp_id, cycle_id)] = (inputs, groups)
    return groups


def resolve_groups(store: Store, corp_id: str, cycle_id: str) -> tuple[ResolvedGroup, ...]:
    """Every participant of the cycle in exactly one group: a person two groups claim is refused with both
    names, the unclaimed go to the "default" group, groups below their min size are pooled into their pool."""
    with store.session() as s:
        _cycle_row(s, corp_id, cycle_id)
        return resolve_groups_in(s, corp_id, cycle_id)


def _require_unreleased(s: Session, corp_id: str, cycle_id: str) -> None:
    released = s.exec(select(PerfResult.userid).where(PerfResult.corp_id == corp_id, PerfResult.cycle_id ==
                                                      cycle_id, col(PerfResult.released_at).is_not(None))
                      .limit(1)).first()
    if released is not None:
        raise ValidationError(f"results of cycle {cycle_id} are released; its calibration groups can no longer "
                              "change (an appeal changes a single result)")


def save_calibration_group(store: Store, corp_id: str, cycle_id: str, spec: GroupSpec | Mapping[str, Any], *,
                           actor: str, expected_revision: int | None = None, reason: str = "",
                           now: datetime | None = None) -> GroupSpec:
    """Declare or change a group; refused when its quota does not fit the cycle's grades, when it would claim
    someone another group claims, or once results are released. Audited as calibration_group.save."""
    spec = spec if isinstance(spec, GroupSpec) else group_spec_from_dict(spec)
    now = now or utcnow()
    with store.session() as s:
        order = grade_order_in(s, corp_id, cycle_id)
        _require_unreleased(s, corp_id, cycle_id)
        if spec.policy.shares:
            spec = replace(spec, policy=replace(spec.policy, shares=shares_in_order(dict(spec.policy.shares), order)))
        spec.policy.require_scale(order)
        others = [g for g in specs_in(s, corp_id, cycle_id) if g.group_id != spec.group_id]
        resolve_groups_in(s, corp_id, cycle_id, [*others, spec])
        save_document_in(s, corp_id, KIND, _doc_id(cycle_id, spec.group_id), status=ACTIVE,
                         body=group_spec_to_dict(spec), actor=actor, cycle_id=cycle_id,
                         expected_revision=expected_revision, reason=reason, now=now)
        return spec


def remove_calibration_group(store: Store, corp_id: str, cycle_id: str, group_id: str, *, actor: str,
                             reason: str, now: datetime | None = None) -> None:
    """Withdraw a group (its members fall back to the default group); a reason is required, audited."""
    if not reason.strip():
        raise ValidationError(f"removing calibration group {group_id} needs a reason; write why it goes")
    now = now or utcnow()
    with store.session() as s:
        _require_unreleased(s, corp_id, cycle_id)
        current = {g.group_id: g for g in specs_in(s, corp_id, cycle_id)}
        if group_id not in current:
            raise NotFound(f"cycle {cycle_id} has no calibration group {group_id!r}; list the groups to find it")
        pooled_here = [g.group_id for g in current.values() if g.pool == group_id]
        if pooled_here and group_id != DEFAULT_GROUP:
            resolve_groups_in(s, corp_id, cycle_id, [g for gid, g in current.items() if gid != group_id])
        save_document_in(s, corp_id, KIND, _doc_id(cycle_id, group_id), status=REMOVED,
                         body=group_spec_to_dict(current[group_id]), actor=actor, cycle_id=cycle_id,
                         action="remove", reason=reason, now=now)
