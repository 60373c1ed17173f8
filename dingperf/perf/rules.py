"""Rules that turn DingTalk data into indicator actuals or plus/minus inputs, each output citing the
source record ids it used; and the diff that tells services which outputs changed after a re-sync.

Plus/minus outputs use the vocabulary of ``indicators.Adjustment``: ``mode`` "points" (additive) or
"percent" (multiplicative, −10 = ×0.9) and ``stage`` "before"/"after". ``value`` is the signed
amount, i.e. the input of a template item that declares no per-occurrence amount.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from decimal import Decimal
from enum import StrEnum

from dingperf.perf.datasources import (
    ApprovalInstance,
    AttendanceRecord,
    CheckType,
    SourceData,
    TimeResult,
    effective_attendance,
)
from dingperf.perf.errors import ValidationError
from dingperf.perf.periods import Period


class OutputKind(StrEnum):
    INDICATOR_ACTUAL = "indicator_actual"
    PLUS_MINUS = "plus_minus"


@dataclass(frozen=True)
class RuleOutput:
    """What one rule produced for one person: the value, whether it applies, and its evidence."""

    rule_id: str
    userid: str
    kind: OutputKind
    target_code: str  # indicator code, or plus/minus item code
    value: Decimal
    triggered: bool
    source_ids: tuple[str, ...]
    detail: str
    mode: str = ""  # points | percent for plus/minus
    stage: str = ""  # before | after for plus/minus
    notes: tuple[str, ...] = ()


def _check_mode(rule_id: str, mode: str, stage: str) -> None:
    if mode not in ("points", "percent"):
        raise ValidationError(f"rule {rule_id}: mode must be 'points' (additive) or 'percent' (multiplicative)")
    if stage not in ("before", "after"):
        raise ValidationError(f"rule {rule_id}: stage must be 'before' or 'after'")


def _attendance(userid: str, period: Period, data: SourceData, results: frozenset[TimeResult],
                check_types: frozenset[CheckType] | None) -> list[AttendanceRecord]:
    return [r for r in effective_attendance(data.attendance)
            if r.userid == userid and period.contains(r.work_date) and r.time_result in results
            and (check_types is None or r.check_type in check_types)]


def _approved(userid: str, period: Period, tz: tzinfo, data: SourceData, process_code: str) -> list[ApprovalInstance]:
    found = [a for a in data.approvals
             if a.originator_userid == userid and a.process_code == process_code and a.is_approved
             and a.finish_time is not None and period.contains_moment(a.finish_time, tz)]
    return sorted(found, key=lambda a: a.instance_id)


@dataclass(frozen=True)
class AttendanceThresholdRule:
    """"More than N of these results in the cycle → amount" (e.g. > 3 Late/SeriousLate → −10%)."""

    rule_id: str
    target_code: str
    results: frozenset[TimeResult]
    more_than: int
    amount: Decimal
    mode: str = "percent"
    stage: str = "after"
    check_types: frozenset[CheckType] | None = None

    def __post_init__(self) -> None:
        _check_mode(self.rule_id, self.mode, self.stage)
        if self.more_than < 0 or not self.results:
            raise ValidationError(f"rule {self.rule_id}: needs result types and a threshold of 0 or more")

    def evaluate(self, userid: str, period: Period, tz: tzinfo, data: SourceData) -> RuleOutput:
        hits = _attendance(userid, period, data, self.results, self.check_types)
        n = len(hits)
        triggered = n > self.more_than
        names = "/".join(sorted(r.value for r in self.results))
        unit = "%" if self.mode == "percent" else " points"
        detail = (f"{n} × {names} in {period.start}..{period.last_day}; rule: more than {self.more_than} → "
                  f"{self.amount}{unit}; {'applies' if triggered else 'does not apply'}")
        return RuleOutput(self.rule_id, userid, OutputKind.PLUS_MINUS, self.target_code,
                          self.amount if triggered else Decimal(0), triggered,
                          tuple(r.record_id for r in hits), detail, self.mode, self.stage)


@dataclass(frozen=True)
class AttendanceCountRule:
    """Count of these results in the cycle → actual of an indicator (e.g. absences, a reverse indicator)."""

    rule_id: str
    target_code: str
    results: frozenset[TimeResult]
    check_types: frozenset[CheckType] | None = None

    def evaluate(self, userid: str, period: Period, tz: tzinfo, data: SourceData) -> RuleOutput:
        hits = _attendance(userid, period, data, self.results, self.check_types)
        names = "/".join(sorted(r.value for r in self.results))
        return RuleOutput(self.rule_id, userid, OutputKind.INDICATOR_ACTUAL, self.target_code, Decimal(len(hits)),
                          True, tuple(r.record_id for r in hits), f"{len(hits)} × {names} in the cycle")


@dataclass(frozen=True)
class ApprovalCountRule:
    """Each approval of ``process_code`` finished with agree → ``amount_each`` (e.g. +20 points)."""

    rule_id: str
    target_code: str
    process_code: str
    amount_each: Decimal
    mode: str = "points"
    stage: str = "after"
    cap: Decimal | None = None

    def __post_init__(self) -> None:
        _check_mode(self.rule_id, self.mode, self.stage)

    def evaluate(self, userid: str, period: Period, tz: tzinfo, data: SourceData) -> RuleOutput:
        hits = _approved(userid, period, tz, data, self.process_code)
        value = self.amount_each * len(hits)
        notes: tuple[str, ...] = ()
        if self.cap is not None and abs(value) > self.cap:
            value = self.cap if value > 0 else -self.cap
            notes = (f"capped at ±{self.cap}",)
        detail = f"{len(hits)} approved {self.process_code} instance(s) × {self.amount_each}"
        return RuleOutput(self.rule_id, userid, OutputKind.PLUS_MINUS, self.target_code, value, bool(hits),
                          tuple(a.instance_id for a in hits), detail, self.mode, self.stage, notes)


@dataclass(frozen=True)
class FormFieldSumRule:
    """Sum of form field ``field`` over approved instances of ``process_code`` → actual of an indicator."""

    rule_id: str
    target_code: str
    process_code: str
    field: str
    scale: Decimal = Decimal(1)  # unit conversion, e.g. 0.001 turns 元 into the indicator's 千元

    def evaluate(self, userid: str, period: Period, tz: tzinfo, data: SourceData) -> RuleOutput:
        total, used, notes = Decimal(0), [], []
        for a in _approved(userid, period, tz, data, self.process_code):
            try:
                total += a.number(self.field)
                used.append(a.instance_id)
            except ValidationError as exc:
                # One malformed form must not hide the others; it is listed so HR can fix it.
                notes.append(f"skipped: {exc}")
        detail = f"sum of {self.field!r} over {len(used)} approved {self.process_code} instance(s) = {total}"
        if self.scale != 1:
            total *= self.scale
            detail += f" × {self.scale} = {total}"
        return RuleOutput(self.rule_id, userid, OutputKind.INDICATOR_ACTUAL, self.target_code, total, True,
                          tuple(used), detail, notes=tuple(notes))


Rule = AttendanceThresholdRule | AttendanceCountRule | ApprovalCountRule | FormFieldSumRule


def evaluate_rules(rules: Sequence[Rule], userids: Iterable[str], period: Period, tz: tzinfo,
                   data: SourceData) -> dict[tuple[str, str], RuleOutput]:
    """Every rule for every person: ``{(rule_id, userid): output}``."""
    ids = [r.rule_id for r in rules]
    if len(ids) != len(set(ids)):
        raise ValidationError(f"rule ids must be unique, got {ids}")
    return {(r.rule_id, u): r.evaluate(u, period, tz, data) for u in sorted(set(userids)) for r in rules}


@dataclass(frozen=True)
class RuleChange:
    rule_id: str
    userid: str
    before: RuleOutput
    after: RuleOutput

    @property
    def value_changed(self) -> bool:
        """The score changes (not just the evidence)."""
        return (self.before.value, self.before.triggered) != (self.after.value, self.after.triggered)


def changed_outputs(rules: Sequence[Rule], userids: Iterable[str], period: Period, tz: tzinfo,
                    old: SourceData, new: SourceData) -> tuple[RuleChange, ...]:
    """Outputs that differ between two syncs (value, trigger or cited records), for recompute and notice."""
    users = list(userids)
    before = evaluate_rules(rules, users, period, tz, old)
    after = evaluate_rules(rules, users, period, tz, new)
    return tuple(RuleChange(k[0], k[1], before[k], after[k]) for k in sorted(after) if before[k] != after[k])


def users_to_notify(changes: Iterable[RuleChange], signed_off: Iterable[str]) -> tuple[frozenset[str], frozenset[str]]:
    """Split people whose score changed into (recompute and notify, frozen because already signed off)."""
    changed = {c.userid for c in changes if c.value_changed}
    done = set(signed_off)
    return frozenset(changed - done), frozenset(changed & done)
