"""Assigning grades by rank under exact quotas, with the declared tie-break at quota boundaries:
higher total first, then higher performance-section score, then a manager decision with a reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from dingperf.perf.audit import require_actor, require_reason
from dingperf.perf.errors import ValidationError


@dataclass(frozen=True)
class RankedEntry:
    userid: str
    total: Decimal
    performance: Decimal


@dataclass(frozen=True)
class TieDecision:
    """A manager's order (best first) for people tied on total and performance score."""

    ordered_userids: tuple[str, ...]
    decided_by: str
    reason: str

    def __post_init__(self) -> None:
        require_actor(self.decided_by)
        require_reason(self.reason, "break a tie at a quota boundary")


@dataclass(frozen=True)
class BoundaryTie:
    """People tied exactly across a quota boundary: ``seats`` of them get ``upper``, the rest ``lower``."""

    userids: tuple[str, ...]
    upper: str
    lower: str
    seats: int


@dataclass(frozen=True)
class ForcedGrading:
    grades: dict[str, str]
    ties: tuple[BoundaryTie, ...]
    decisions_used: tuple[TieDecision, ...]

    def require_resolved(self) -> dict[str, str]:
        """All grades, or an error naming every unresolved boundary tie."""
        if self.ties:
            parts = [f"{list(t.userids)} tie between {t.upper} and {t.lower} ({t.seats} seat(s) in {t.upper})"
                     for t in self.ties]
            raise ValidationError("manager decision needed: " + "; ".join(parts))
        return self.grades


def assign_by_quota(entries: Iterable[RankedEntry], quotas: Mapping[str, int],
                    decisions: Sequence[TieDecision] = ()) -> ForcedGrading:
    """Fill grades (best first, in ``quotas`` order) by rank; unresolved boundary ties are reported."""
    ranked = sorted(entries, key=lambda e: (-e.total, -e.performance, e.userid))
    if sum(quotas.values()) != len(ranked):
        raise ValidationError(f"quotas seat {sum(quotas.values())} people but {len(ranked)} are ranked")
    seat_grade = [g for g, q in quotas.items() for _ in range(q)]
    grades: dict[str, str] = {}
    ties: list[BoundaryTie] = []
    used: list[TieDecision] = []
    i = 0
    while i < len(ranked):
        j = i
        while j + 1 < len(ranked) and (ranked[j + 1].total, ranked[j + 1].performance) == (ranked[i].total, ranked[i].performance):
            j += 1
        block = ranked[i:j + 1]
        seats = seat_grade[i:j + 1]
        if len(set(seats)) == 1:
            for e in block:
                grades[e.userid] = seats[0]
        else:
            ids = {e.userid for e in block}
            decision = next((d for d in decisions if set(d.ordered_userids) == ids), None)
            if decision is None:
                upper, lower = seats[0], seats[-1]
                ties.append(BoundaryTie(tuple(sorted(ids)), upper, lower, seats.count(upper)))
            else:
                used.append(decision)
                for uid, grade in zip(decision.ordered_userids, seats, strict=True):
                    grades[uid] = grade
        i = j + 1
    return ForcedGrading(grades, tuple(ties), tuple(used))
