"""Leniency statistics per manager against the company distribution (calibration assistant).

Arithmetic is Decimal (28 significant digits, ``Decimal.sqrt``); standard deviations are
population SDs (divide by N). The z-score is that of the manager's *mean*:
``z = (mean_manager − mean_company) / (sd_company / √n_manager)``, so a manager with many reports
needs a smaller gap to stand out. |z| ≥ 2 is flagged; the assistant only suggests.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from dingperf.perf.errors import ValidationError

FLAG_Z = Decimal(2)


@dataclass(frozen=True)
class Stats:
    count: int
    mean: Decimal
    stdev: Decimal


@dataclass(frozen=True)
class ManagerLeniency:
    manager: str
    stats: Stats
    gap: Decimal  # manager mean − company mean
    z: Decimal

    @property
    def flag(self) -> str:
        """"lenient", "harsh" or "" when within ±2."""
        if self.z >= FLAG_Z:
            return "lenient"
        if self.z <= -FLAG_Z:
            return "harsh"
        return ""


def stats(values: Sequence[Decimal]) -> Stats:
    """Count, mean and population standard deviation."""
    if not values:
        raise ValidationError("no scores to summarise")
    n = Decimal(len(values))
    mean = sum(values, Decimal(0)) / n
    var = sum(((v - mean) ** 2 for v in values), Decimal(0)) / n
    return Stats(len(values), mean, var.sqrt())


def leniency(scores_by_manager: Mapping[str, Iterable[Decimal]]) -> tuple[Stats, tuple[ManagerLeniency, ...]]:
    """Company stats and each manager's mean, spread and z-score, most lenient first."""
    groups = {m: [Decimal(v) for v in vs] for m, vs in scores_by_manager.items()}
    everyone = [v for vs in groups.values() for v in vs]
    company = stats(everyone)
    out = []
    for manager, vs in groups.items():
        if not vs:
            continue
        s = stats(vs)
        gap = s.mean - company.mean
        z = Decimal(0) if company.stdev == 0 else gap / (company.stdev / Decimal(s.count).sqrt())
        out.append(ManagerLeniency(manager, s, gap, z))
    return company, tuple(sorted(out, key=lambda m: (-m.z, m.manager)))
