"""The calibration board of a cycle: per calibration group its headcount, the seats per grade (largest
remainder), the current distribution (calibrated grade, else computed) and the violations; a suggested
forced-distribution assignment by the group's declared tie-break (never written); the quota impact of moves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session, select

from dingperf.perf.calibration_groups import ResolvedGroup, group_of
from dingperf.perf.errors import ValidationError
from dingperf.perf.numbers import to_decimal
from dingperf.perf.quota_policy import MoveImpact, check_group, move_impact
from dingperf.perf.quotas import QuotaLine
from dingperf.perf.tiebreak import BoundaryTie, RankedEntry, TieDecision, assign_by_quota
from dingperf.services.calibration_groups import grade_order_in, resolve_groups_in, specs_in
from dingperf.store.engine import NotFound, Store
from dingperf.store.perf_repositories import Binder, fetch_rows
from dingperf.store.tables.perf_results import PerfResult


@dataclass(frozen=True)
class GroupBoard:
    """One group on the board; `blocking` means its hard quota is broken (release waits for it)."""

    group_id: str
    name: str
    headcount: int
    pooled_from: tuple[str, ...]
    below_min_size: bool
    quota_lines: tuple[QuotaLine, ...]
    seats: dict[str, int] | None
    counts: dict[str, int]
    violations: tuple[str, ...]
    hard: bool
    tie_break: str
    unscored: tuple[str, ...]

    @property
    def blocking(self) -> bool:
        return self.hard and bool(self.violations)

    @property
    def summary(self) -> str:
        """One line naming the group and what to move, for refusals and robot summaries."""
        return f"{self.group_id} ({self.name}, {self.headcount} people): " + "; ".join(self.violations or ("ok",))


@dataclass(frozen=True)
class Suggestion:
    """A forced-distribution assignment for HR to review: the moves it implies and the ties it cannot settle."""

    group_id: str
    seats: dict[str, int]
    grades: dict[str, str]
    moves: tuple[tuple[str, str, str], ...]
    ties: tuple[BoundaryTie, ...]
    tie_break: str


def final_grades_in(s: Session, corp_id: str, cycle_id: str) -> dict[str, str]:
    """``{userid: final grade}`` of the cycle's scored results (the calibrated grade, else the computed one)."""
    # A plain driver read: every calibration move reads the whole cycle's grades.
    conn = s.connection()
    p = Binder(conn).placeholder
    rows = fetch_rows(conn, f"SELECT userid, grade, calibrated_grade FROM {PerfResult.__tablename__} WHERE "
                            f"corp_id = {p} AND cycle_id = {p} AND status = {p}", (corp_id, cycle_id, "scored"))
    return {u: str(c or g) for u, g, c in rows}


def _board(group: ResolvedGroup, grades: Mapping[str, str], order: Sequence[str]) -> GroupBoard:
    mine = {u: grades[u] for u in group.members if u in grades}
    check = check_group(mine, order, group.policy)
    return GroupBoard(group.group_id, group.name, len(mine), group.pooled_from, len(mine) < group.min_size,
                      group.policy.breakdown(len(mine)), check.seats, check.counts, check.violations, check.hard,
                      group.policy.tie_break.label, tuple(u for u in group.members if u not in grades))


def board_in(s: Session, corp_id: str, cycle_id: str) -> tuple[GroupBoard, ...]:
    """The board inside the caller's session (release uses it to refuse a broken hard quota)."""
    order = grade_order_in(s, corp_id, cycle_id)
    grades = final_grades_in(s, corp_id, cycle_id)
    return tuple(_board(g, grades, order) for g in resolve_groups_in(s, corp_id, cycle_id))


def calibration_board(store: Store, corp_id: str, cycle_id: str) -> tuple[GroupBoard, ...]:
    """Every calibration group of the cycle with its seats, distribution and violations."""
    with store.session() as s:
        return board_in(s, corp_id, cycle_id)


def _exact(value: object) -> Decimal:
    # SQLite hands Numeric back through float; the column's scale makes it exact again.
    return Decimal(f"{to_decimal(value).normalize():f}") if value is not None else Decimal(0)


def release_blockers_in(s: Session, corp_id: str, cycle_id: str) -> str | None:
    """Why release must wait (the groups breaking a hard quota and what to move), or None."""
    if not specs_in(s, corp_id, cycle_id):
        return None
    broken = [b for b in board_in(s, corp_id, cycle_id) if b.blocking]
    if not broken:
        return None
    return (f"{len(broken)} calibration group(s) break their hard quota; move people until they fit (or record an "
            "override on the move) before releasing: " + " | ".join(b.summary for b in broken))


def impacts_in(s: Session, corp_id: str, cycle_id: str, moves: Mapping[str, str]) -> tuple[MoveImpact, ...]:
    """What ``{userid: new grade}`` does to each group it touches; empty when the cycle declares no groups."""
    if not specs_in(s, corp_id, cycle_id):
        return ()
    order = grade_order_in(s, corp_id, cycle_id)
    bad = sorted({g for g in moves.values() if g not in order})
    if bad:
        raise ValidationError(f"grades {bad} are not in the cycle's grade scale {list(order)}")
    grades = final_grades_in(s, corp_id, cycle_id)
    groups = resolve_groups_in(s, corp_id, cycle_id)
    touched: dict[str, tuple[ResolvedGroup, dict[str, str]]] = {}
    for userid, grade in moves.items():
        group = group_of(groups, userid)
        touched.setdefault(group.group_id, (group, {}))[1][userid] = grade
    return tuple(move_impact(gid, {u: grades[u] for u in g.members if u in grades}, m, order, g.policy)
                 for gid, (g, m) in sorted(touched.items()))


def group_seats_in(s: Session, corp_id: str, cycle_id: str, userid: str,
                   grades: Mapping[str, str]) -> tuple[dict[str, str], dict[str, int] | None] | None:
    """The grades of `userid`'s group and its seats (None when the group forces no shares); None when the
    cycle declares no calibration groups."""
    if not specs_in(s, corp_id, cycle_id):
        return None
    group = group_of(resolve_groups_in(s, corp_id, cycle_id), userid)
    mine = {u: grades[u] for u in group.members if u in grades}
    return mine, group.policy.seats(len(mine))


def suggest_assignment(store: Store, corp_id: str, cycle_id: str, group_id: str, *,
                       decisions: Sequence[TieDecision] = ()) -> Suggestion:
    """Grades by rank under the group's exact seats, using its declared tie-break; nothing is written."""
    with store.session() as s:
        groups = {g.group_id: g for g in resolve_groups_in(s, corp_id, cycle_id)}
        if group_id not in groups:
            raise NotFound(f"cycle {cycle_id} has no calibration group {group_id!r}; see the board for its groups")
        group = groups[group_id]
        rows = s.exec(select(PerfResult).where(PerfResult.corp_id == corp_id, PerfResult.cycle_id == cycle_id,
                                               PerfResult.status == "scored")).all()
        mine = [r for r in rows if r.userid in set(group.members)]
    seats = group.policy.seats(len(mine))
    if seats is None:
        raise ValidationError(f"group {group_id} forces no distribution; declare shares per grade to get a "
                              "suggested assignment")
    section = group.policy.tie_break.section
    entries = [RankedEntry(r.userid, _exact(r.calibrated_total if r.calibrated_total is not None else r.total),
                           Decimal(str((r.sections or {}).get(section, 0))) if section else Decimal(0))
               for r in mine]
    forced = assign_by_quota(entries, seats, decisions)
    current = {r.userid: str(r.calibrated_grade or r.grade) for r in mine}
    moves = tuple((u, current[u], g) for u, g in sorted(forced.grades.items()) if current[u] != g)
    return Suggestion(group_id, seats, forced.grades, moves, forced.ties, group.policy.tie_break.label)
