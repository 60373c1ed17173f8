"""Scored results per (cycle, employee): the exact total, grade, status, applied policy, calibration,
release and acknowledgement. The explanation is optional here: `explain` can recompute it from the inputs."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Numeric, Text
from sqlmodel import Field, SQLModel

from dingperf.store.tables import _base  # noqa: F401
from dingperf.store.types import UTCDateTime

# Totals are rounded to at most 6 places by the template; 18 digits hold any realistic score exactly.
TOTAL_TYPE = Numeric(18, 6)


class PerfResult(SQLModel, table=True):
    __tablename__ = "perf_results"

    corp_id: str = Field(primary_key=True, max_length=64)
    cycle_id: str = Field(primary_key=True, max_length=64)
    userid: str = Field(primary_key=True, max_length=64)
    template_id: str = Field(max_length=64)
    template_version: int
    status: str = Field(max_length=16)  # scored | blocked
    blocked_reason: str | None = Field(default=None, sa_type=Text)
    total: Decimal | None = Field(default=None, sa_type=TOTAL_TYPE)
    unrounded: str | None = Field(default=None, max_length=64)  # exact pre-rounding total, as text
    grade: str | None = Field(default=None, max_length=16)
    veto: str | None = Field(default=None, max_length=64)
    sections: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)  # section code -> points (text)
    adjustments: list[Any] = Field(default_factory=list, sa_type=JSON)  # [[code, amount, delta], ...]
    rater_policy: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)  # section -> policy applied
    effective_weights: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)  # section -> group -> weight
    explanation: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    calibrated_grade: str | None = Field(default=None, max_length=16)
    calibrated_total: Decimal | None = Field(default=None, sa_type=TOTAL_TYPE)
    calibration_reason: str | None = Field(default=None, sa_type=Text)
    calibrated_by: str | None = Field(default=None, max_length=64)
    calibrated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    released_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_hash: str | None = Field(default=None, max_length=64)
    scored_at: datetime = Field(sa_type=UTCDateTime)
