"""Indicator collection: rules turn synced attendance and approvals into a cycle's inputs.

Reads the store's attendance records and approval instances for the cycle's participants and period,
evaluates the domain rules (dingperf.perf.rules) and records each output as an input of the cycle —
an indicator actual or a plus/minus item — citing the record ids it used, so `explain` can show them.
Running it again after the source data changed (a 补卡 approved later, an approval revoked) replaces the
inputs and reports whose values changed, so the owners can be told until results are signed off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from dingperf.perf.datasources import (
    ApprovalInstance,
    ApprovalStatus,
    AttendanceRecord,
    CheckType,
    FormField,
    SourceData,
    TimeResult,
)
from dingperf.perf.errors import ValidationError
from dingperf.perf.explanation import SourceRef
from dingperf.perf.indicators import Adjustment
from dingperf.perf.periods import Period
from dingperf.perf.rules import (
    ApprovalCountRule,
    AttendanceCountRule,
    FormFieldSumRule,
    OutputKind,
    Rule,
    RuleOutput,
    evaluate_rules,
)
from dingperf.perf.templates import Template
from dingperf.services.cycles import get_cycle
from dingperf.services.score_inputs import InputValue, record_inputs
from dingperf.services.templates import get_template
from dingperf.store.engine import Store
from dingperf.store.perf_repositories import participant_ids
from dingperf.store.tables.approvals import ApprovalInstance as ApprovalRow
from dingperf.store.tables.attendance import AttendanceRecord as AttendanceRow

_SOURCE_KIND = {"attendance": "attendance_record", "approval": "approval_instance"}


@dataclass(frozen=True)
class CollectSummary:
    """What a collection run recorded, and whose values differ from the previous run."""

    cycle_id: str
    participants: int
    inputs: int
    triggered: int
    changed: tuple[str, ...]


def cycle_period(start: date, end_inclusive: date) -> Period:
    return Period(start, end_inclusive + timedelta(days=1))


def load_source_data(store: Store, corp_id: str, userids: Sequence[str], period: Period,
                     tz: ZoneInfo) -> SourceData:
    """Attendance of the period and approvals finished in it (a day of slack each side for time zones)."""
    wanted = set(userids)
    lo = datetime.combine(period.start - timedelta(days=1), datetime.min.time(), tzinfo=tz).astimezone(UTC)
    hi = datetime.combine(period.end + timedelta(days=1), datetime.min.time(), tzinfo=tz).astimezone(UTC)
    with store.session() as s:
        att_rows = s.exec(select(AttendanceRow).where(
            AttendanceRow.corp_id == corp_id, col(AttendanceRow.work_date) >= period.start,
            col(AttendanceRow.work_date) < period.end)).all()
        app_rows = s.exec(select(ApprovalRow).where(
            ApprovalRow.corp_id == corp_id, col(ApprovalRow.finish_time) >= lo,
            col(ApprovalRow.finish_time) < hi)).all()
        attendance = tuple(_attendance(r) for r in att_rows if r.userid in wanted)
        approvals = tuple(_approval(r) for r in app_rows if r.originator_userid in wanted)
    return SourceData(attendance=attendance, approvals=approvals)


def _attendance(row: AttendanceRow) -> AttendanceRecord:
    return AttendanceRecord(record_id=row.record_id, userid=row.userid, work_date=row.work_date,
                            check_type=CheckType(row.check_type), time_result=TimeResult(row.time_result),
                            source_type=row.source_type or "ATM", proc_inst_id=row.proc_inst_id or "")


def _approval(row: ApprovalRow) -> ApprovalInstance:
    fields = tuple(FormField(name=f.get("name") or "", value=f.get("value") or "", component_id=f.get("id") or "",
                             biz_alias=f.get("biz_alias") or "") for f in row.form_values or [])
    return ApprovalInstance(instance_id=row.process_instance_id, process_code=row.process_code,
                            originator_userid=row.originator_userid, status=ApprovalStatus(row.status),
                            result=row.result or "", finish_time=row.finish_time, form_values=fields,
                            business_id=row.business_id or "")


def _input(output: RuleOutput, rule: Rule, template: Template) -> InputValue:
    refs = tuple(SourceRef(kind=_source_kind(rule), id=i) for i in output.source_ids)
    if output.kind is OutputKind.INDICATOR_ACTUAL:
        return InputValue(userid=output.userid, code=output.target_code, value=output.value, kind="actual",
                          sources=refs, note=output.detail)
    item = _adjustment(template, rule)
    if item.amount is None:
        value = output.value  # the template takes the amount itself
    elif isinstance(rule, ApprovalCountRule):
        value = Decimal(len(output.source_ids)) if output.triggered else Decimal(0)  # occurrences
    else:
        value = Decimal(1) if output.triggered else Decimal(0)
    return InputValue(userid=output.userid, code=output.target_code, value=value, kind="adjustment",
                      sources=refs, note=output.detail)


def _adjustment(template: Template, rule: Rule) -> Adjustment:
    """The template's plus/minus item a rule feeds; its mode and per-occurrence amount must agree."""
    found = {a.code: a for a in template.adjustments}.get(rule.target_code)
    if found is None:
        raise ValidationError(f"rule {rule.rule_id} feeds plus/minus item {rule.target_code!r}, which template "
                              f"{template.id} v{template.version} does not have; known: {sorted(a.code for a in template.adjustments)}")
    mode = getattr(rule, "mode", found.mode)
    own = getattr(rule, "amount", None) if not isinstance(rule, ApprovalCountRule) else rule.amount_each
    if mode != found.mode or (found.amount is not None and own is not None and Decimal(own) != found.amount):
        raise ValidationError(f"rule {rule.rule_id} says {own} {mode} but template item {found.code} says "
                              f"{found.amount} {found.mode} per occurrence; make them agree")
    return found


def _source_kind(rule: Rule) -> str:
    return _SOURCE_KIND["approval" if hasattr(rule, "process_code") else "attendance"]


def collect_inputs(store: Store, corp_id: str, cycle_id: str, rules: Sequence[Rule], *,
                   previous: dict[tuple[str, str], RuleOutput] | None = None,
                   actor: str = "system:rules") -> tuple[CollectSummary, dict[tuple[str, str], RuleOutput]]:
    """Evaluate `rules` for every participant and record the outputs as cycle inputs.

    Returns the summary and the outputs; pass those outputs as `previous` next time to learn who changed.
    """
    cycle = get_cycle(store, corp_id, cycle_id)
    tz = ZoneInfo(cycle.timezone)
    period = cycle_period(cycle.period_start, cycle.period_end)
    with store.session() as s:
        userids = participant_ids(s.connection(), corp_id, cycle_id)
    data = load_source_data(store, corp_id, userids, period, tz)
    outputs = evaluate_rules(rules, userids, period, tz, data)
    template = get_template(store, corp_id, cycle.template.id, cycle.template.version)
    by_id = {r.rule_id: r for r in rules}
    for rule in rules:
        if rule.rule_id and not isinstance(rule, (AttendanceCountRule, FormFieldSumRule)):
            _adjustment(template, rule)  # refuse a contradictory rule before anything is written
    values = [_input(out, by_id[rule_id], template) for (rule_id, _u), out in outputs.items()]
    count = record_inputs(store, corp_id, cycle_id, values, actor=actor)
    changed = sorted({u for key, out in outputs.items() for u in [key[1]]
                      if previous is not None and (key not in previous or previous[key].value != out.value)})
    summary = CollectSummary(cycle_id=cycle_id, participants=len(userids), inputs=count,
                             triggered=sum(1 for o in outputs.values() if o.triggered), changed=tuple(changed))
    return summary, outputs
