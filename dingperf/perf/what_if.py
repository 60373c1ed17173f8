"""What-if: compare two scorings of the same inputs (the cycle's pinned template against a candidate) before
the candidate is published — how many totals move, how grades shift, who moves most, who becomes blocked.

Streaming: `WhatIfTally.add` takes one person at a time and keeps only counters and the top movers, so a
100,000-person cycle needs no more memory than a small one.
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

BLOCKED = "blocked"


@dataclass(frozen=True, slots=True)
class Outcome:
    """One scoring of one person: the total and grade, or blocked with the reason."""

    total: Decimal | None
    grade: str | None
    blocked_reason: str | None = None

    @property
    def label(self) -> str:
        """The grade, or 'blocked'."""
        return BLOCKED if self.total is None else (self.grade or "—")


@dataclass(frozen=True, slots=True)
class Mover:
    """A person whose total moved, with both outcomes."""

    userid: str
    before: Outcome
    after: Outcome

    @property
    def delta(self) -> Decimal:
        """after − before (0 when either is blocked)."""
        if self.before.total is None or self.after.total is None:
            return Decimal(0)
        return self.after.total - self.before.total


@dataclass(frozen=True)
class WhatIfReport:
    """The comparison: counts, grade transitions (before → after → people), mean shift and the top movers."""

    people: int
    unchanged: int
    changed: int
    newly_blocked: tuple[Mover, ...]
    unblocked: int
    transitions: dict[tuple[str, str], int]
    grades_before: dict[str, int]
    grades_after: dict[str, int]
    mean_before: Decimal | None
    mean_after: Decimal | None
    top_movers: tuple[Mover, ...]

    @property
    def grade_changes(self) -> int:
        """People whose grade (or blocked state) differs."""
        return sum(n for (a, b), n in self.transitions.items() if a != b)


@dataclass
class WhatIfTally:
    """Accumulates outcomes person by person; `report()` summarises. `top` bounds the movers kept."""

    top: int = 10
    _people: int = 0
    _unchanged: int = 0
    _unblocked: int = 0
    _newly_blocked: list[Mover] = field(default_factory=list)
    _transitions: Counter[tuple[str, str]] = field(default_factory=Counter)
    _sum_before: Decimal = Decimal(0)
    _sum_after: Decimal = Decimal(0)
    _both_scored: int = 0
    _heap: list[tuple[Decimal, str, Mover]] = field(default_factory=list)

    def add(self, userid: str, before: Outcome, after: Outcome) -> None:
        """Count one person."""
        self._people += 1
        self._transitions[(before.label, after.label)] += 1
        if before == after:
            self._unchanged += 1
        if before.total is not None and after.total is None:
            if len(self._newly_blocked) < 1000:  # enough to act on; the count is in the transitions
                self._newly_blocked.append(Mover(userid, before, after))
            return
        if before.total is None and after.total is not None:
            self._unblocked += 1
            return
        if before.total is None or after.total is None:
            return
        self._both_scored += 1
        self._sum_before += before.total
        self._sum_after += after.total
        mover = Mover(userid, before, after)
        key = (abs(mover.delta), userid, mover)
        if mover.delta == 0:
            return
        if len(self._heap) < self.top:
            heapq.heappush(self._heap, key)
        elif key[:2] > self._heap[0][:2]:
            heapq.heapreplace(self._heap, key)

    def report(self) -> WhatIfReport:
        """The summary so far."""
        before: Counter[str] = Counter()
        after: Counter[str] = Counter()
        for (a, b), n in self._transitions.items():
            before[a] += n
            after[b] += n
        n = self._both_scored
        movers = tuple(m for _, _, m in sorted(self._heap, key=lambda k: (-k[0], k[1])))
        return WhatIfReport(self._people, self._unchanged, self._people - self._unchanged,
                            tuple(self._newly_blocked), self._unblocked, dict(self._transitions), dict(before),
                            dict(after), self._sum_before / n if n else None, self._sum_after / n if n else None,
                            movers)
