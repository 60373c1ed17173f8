"""Plus/minus items (加减分) in declared stage order, veto (一票否决) and total bounds (PRODUCT.md §2.6)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from dingperf.perf.errors import ValidationError
from dingperf.perf.indicators import Adjustment, Veto
from dingperf.perf.numbers import HUNDRED, ONE, fmt, to_decimal

STAGES = ("before", "after")


@dataclass(frozen=True, slots=True)
class AppliedAdjustment:
    """One plus/minus item as applied: its signed amount, the change to the total and the totals around it."""

    code: str
    name: str
    mode: str
    stage: str
    amount: Decimal
    delta: Decimal
    before: Decimal
    after: Decimal
    count: Decimal | None = None
    per_occurrence: Decimal | None = None
    limit: Decimal | None = None

    @property
    def note(self) -> str:
        """How the amount came about, e.g. '4 × -5; limited to ±12' (built only when shown)."""
        parts = [] if self.per_occurrence is None else [f"{fmt(self.count)} × {fmt(self.per_occurrence)}"]
        if self.limit is not None:
            parts.append(f"limited to ±{fmt(self.limit)}")
        return "; ".join(parts)

    def formula(self) -> str:
        """Formula text, e.g. '92 × (1 − 10%) = 82.8' or '82.8 + 20 = 102.8'."""
        if self.mode == "percent":
            sign = "+" if self.amount >= 0 else "−"
            return f"{fmt(self.before)} × (1 {sign} {fmt(abs(self.amount))}%) = {fmt(self.after)}"
        sign = "+" if self.amount >= 0 else "−"
        return f"{fmt(self.before)} {sign} {fmt(abs(self.amount))} = {fmt(self.after)}"


def adjustment_amount(adj: Adjustment, value: object) -> tuple[Decimal, Decimal, bool]:
    """Signed points/percent for an input (amount × occurrences when the item declares an amount).

    Returns (amount, the input as a Decimal, whether the limit cut it).
    """
    raw = value if type(value) is Decimal else to_decimal(value, f"input of adjustment {adj.code!r}")
    amount = raw if adj.amount is None else adj.amount * raw
    limited = adj.limit is not None and abs(amount) > adj.limit
    if limited:
        amount = adj.limit if amount > 0 else -adj.limit  # type: ignore[operator,assignment]
    if adj.mode == "percent" and amount < -HUNDRED:
        raise ValidationError(f"adjustment {adj.code!r}: {fmt(amount)}% would make the total negative; "
                              "set a limit of at most 100")
    return amount, raw, limited


def apply_adjustments(base: Decimal, items: Sequence[Adjustment],
                      values: Mapping[str, object]) -> tuple[Decimal, tuple[AppliedAdjustment, ...]]:
    """Apply the triggered items: all 'before' items, then all 'after' items, each in declared order."""
    for code in values:
        if not any(a.code == code for a in items):
            raise ValidationError(f"value given for adjustment {code!r}, which the template does not declare")
    total = base
    applied: list[AppliedAdjustment] = []
    for stage in STAGES:
        for adj in items:
            if adj.stage != stage or adj.code not in values:
                continue
            amount, count, limited = adjustment_amount(adj, values[adj.code])
            if not amount:
                continue
            after = total * (ONE + amount / HUNDRED) if adj.mode == "percent" else total + amount
            applied.append(AppliedAdjustment(adj.code, adj.name, adj.mode, stage, amount, after - total, total,
                                             after, count, adj.amount, adj.limit if limited else None))
            total = after
    return total, tuple(applied)


def triggered_veto(vetoes: Sequence[Veto], values: Mapping[str, object]) -> Veto | None:
    """The first declared veto whose input is true (True, 1 or 'yes'), else None (no veto applies)."""
    for code in values:
        if not any(v.code == code for v in vetoes):
            raise ValidationError(f"value given for veto {code!r}, which the template does not declare")
    for veto in vetoes:
        flag = values.get(veto.code, False)
        if flag not in (True, False, 0, 1, "yes", "no"):
            raise ValidationError(f"veto {veto.code!r} takes true/false, got {flag!r}")
        if flag in (True, 1, "yes"):
            return veto
    return None


def bound_total(total: Decimal, floor: Decimal | None, cap: Decimal | None) -> tuple[Decimal, str]:
    """Apply the template's total floor and cap; returns the new total and a note when one applied."""
    if cap is not None and total > cap:
        return cap, f"total {fmt(total)} capped at {fmt(cap)}"
    if floor is not None and total < floor:
        return floor, f"total {fmt(total)} raised to the floor {fmt(floor)}"
    return total, ""

