"""Bring a test cycle to where its results may be released (calibration), the way HR would: an audited phase move."""

from __future__ import annotations

from datetime import datetime

from dingperf.perf.cycles import Phase
from dingperf.services.phases import override_phase
from dingperf.store.engine import Store


def to_calibration(store: Store, corp_id: str, cycle_id: str, *, now: datetime) -> Store:
    """Skip the cycle to calibration by an admin override with a reason (tests seed scores without the reviews)."""
    override_phase(store, corp_id, cycle_id, Phase.CALIBRATION, actor="admin", now=now,
                   reason="test: scores are in, calibrate and release them")
    return store
