"""Shared setup for the performance-store tests: the sales-rep library template and PRODUCT.md §2.6 data."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from dingperf.perf.library import load_template
from dingperf.services.cycles import add_participants, create_cycle
from dingperf.services.score_inputs import InputValue, RatingEntry, record_inputs, record_ratings
from dingperf.services.templates import publish_template
from dingperf.store.engine import Store

CORP = "dingcorp-test"
CYCLE = "2026-Q4"
NOW = datetime(2026, 12, 31, 10, 0, tzinfo=UTC)


def worked_scorecard_cycle(store: Store) -> None:
    """PRODUCT.md §2.6: revenue 1,300k of 1,000k (capped 1.2 → 60), return rate 2.5% of 2.0% (ratio → 16),
    values rated 4/5 by the manager (r/max → 24): total 100.0. A second employee, 'u-late', adds the
    adjustment-order example's percent deduction; 'u-noreview' has no manager review yet."""
    publish_template(store, CORP, load_template("sales-rep"), actor="hr1", now=NOW)
    create_cycle(store, CORP, cycle_id=CYCLE, name="2026 Q4", kind="quarterly", period_start=date(2026, 10, 1),
                 period_end=date(2026, 12, 31), template_id="sales-rep", actor="hr1", now=NOW)
    people = ["u-rep", "u-late", "u-noreview"]
    add_participants(store, CORP, CYCLE, people, now=NOW)
    values = []
    for userid in people:
        values.append(InputValue(userid, "revenue", Decimal(1300)))
        values.append(InputValue(userid, "return_rate", Decimal("2.5")))
    values.append(InputValue("u-late", "late_over_3", 1, kind="adjustment",
                             sources=tuple(_late(i) for i in range(4)), note="4 × Late in the cycle"))
    record_inputs(store, CORP, CYCLE, values, actor="system:rules", now=NOW)
    record_ratings(store, CORP, CYCLE, [
        RatingEntry(userid, "mgr1", "manager", "values", {"customer_first": 4, "integrity": 4})
        for userid in ("u-rep", "u-late")], now=NOW)


def _late(i: int):  # type: ignore[no-untyped-def]
    from dingperf.perf.explanation import SourceRef

    return SourceRef("attendance_record", f"rec-{i}", "Late")
