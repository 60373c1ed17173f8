"""Domain values for synced DingTalk data that rules read: attendance check results and approval
instances. Wire parsing lives in ``dingperf.dingtalk``; these are what the store hands the domain.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from dingperf.perf.audit import require_aware
from dingperf.perf.errors import ValidationError


class TimeResult(StrEnum):
    NORMAL = "Normal"
    EARLY = "Early"
    LATE = "Late"
    SERIOUS_LATE = "SeriousLate"
    ABSENTEEISM = "Absenteeism"
    NOT_SIGNED = "NotSigned"


class CheckType(StrEnum):
    ON_DUTY = "OnDuty"
    OFF_DUTY = "OffDuty"


CORRECTION_SOURCE = "APPROVE"  # sourceType of a check point fixed by an approved 补卡/leave


@dataclass(frozen=True)
class AttendanceRecord:
    """One scheduled check point (attendance/list row)."""

    record_id: str
    userid: str
    work_date: date
    check_type: CheckType
    time_result: TimeResult
    source_type: str = "ATM"
    plan_id: str = ""
    proc_inst_id: str = ""

    @property
    def check_point(self) -> tuple[str, date, str, str]:
        """Identity of the scheduled check point; a correction replaces the row for the same point."""
        return (self.userid, self.work_date, self.check_type.value, self.plan_id)


def effective_attendance(records: Iterable[AttendanceRecord]) -> tuple[AttendanceRecord, ...]:
    """One row per check point: an APPROVE-sourced correction wins, otherwise the later row in sync order."""
    chosen: dict[tuple[str, date, str, str], AttendanceRecord] = {}
    for r in records:
        prev = chosen.get(r.check_point)
        if prev is not None and prev.source_type == CORRECTION_SOURCE and r.source_type != CORRECTION_SOURCE:
            continue
        chosen[r.check_point] = r
    return tuple(sorted(chosen.values(), key=lambda r: (r.userid, r.work_date, r.check_type.value, r.record_id)))


class ApprovalStatus(StrEnum):
    NEW = "NEW"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    TERMINATED = "TERMINATED"  # revoked by the originator
    CANCELED = "CANCELED"


@dataclass(frozen=True)
class FormField:
    """One ``formComponentValues`` entry."""

    name: str
    value: str
    component_id: str = ""
    biz_alias: str = ""


@dataclass(frozen=True)
class ApprovalInstance:
    """An approval (OA 审批) instance as synced."""

    instance_id: str
    process_code: str
    originator_userid: str
    status: ApprovalStatus
    result: str = ""  # agree | refuse | "" while running or after terminate
    finish_time: datetime | None = None
    form_values: tuple[FormField, ...] = field(default=())
    business_id: str = ""

    def __post_init__(self) -> None:
        if self.finish_time is not None:
            require_aware(self.finish_time, "finish_time")

    @property
    def is_approved(self) -> bool:
        """Finished with agree; refused, revoked (TERMINATED) and running instances never count."""
        return self.status is ApprovalStatus.COMPLETED and self.result == "agree" and self.finish_time is not None

    def field(self, key: str) -> str | None:
        """A form value by component id, bizAlias or label, in that order of precedence."""
        for attr in ("component_id", "biz_alias", "name"):
            for f in self.form_values:
                if getattr(f, attr) == key:
                    return f.value
        return None

    def number(self, key: str) -> Decimal:
        """A numeric form value (thousands separators and currency signs tolerated)."""
        raw = self.field(key)
        if raw is None:
            raise ValidationError(f"approval {self.instance_id} has no form field {key!r}")
        text = raw.replace(",", "").replace("，", "").replace("¥", "").replace("￥", "").strip()
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ValidationError(f"approval {self.instance_id}: form field {key!r} is {raw!r}, not a number") from None
        if not value.is_finite():
            raise ValidationError(f"approval {self.instance_id}: form field {key!r} is {raw!r}, not a finite number")
        return value


@dataclass(frozen=True)
class SourceData:
    """Everything rules read for a cycle; compare two of these to find what changed."""

    attendance: tuple[AttendanceRecord, ...] = ()
    approvals: tuple[ApprovalInstance, ...] = ()
