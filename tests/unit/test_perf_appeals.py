from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from dingperf.perf import appeals as ap
from dingperf.perf.errors import TransitionError, ValidationError

T = datetime(2026, 4, 20, 9, tzinfo=UTC)
WINDOW = ap.AppealWindow(T, T + timedelta(days=7))
TARGET = ap.AppealTarget(ap.AppealSubject.INDICATOR, "attendance")
GRADES = {"ann": "B", "bob": "A", "cat": "B", "dan": "C"}
QUOTAS = {"A": 1, "B": 2, "C": 1}


def filed():
    return ap.file_appeal("a1", "q1", "ann", TARGET, "the 补卡 on 3/12 was approved", Decimal(78), WINDOW, T)[0]


def in_review():
    return ap.assign(filed(), "hr1", T + timedelta(days=3), "hrlead", T)[0]


def test_filing_outside_the_window_is_refused():
    with pytest.raises(ValidationError, match="not open"):
        ap.file_appeal("a1", "q1", "ann", TARGET, "x", Decimal(78), WINDOW, T + timedelta(days=7))


def test_appeal_must_name_the_contested_indicator_or_rater():
    with pytest.raises(ValidationError, match="must name which one"):
        ap.AppealTarget(ap.AppealSubject.RATER)
    assert ap.AppealTarget(ap.AppealSubject.TOTAL).ref == ""


def test_assigning_sets_handler_and_deadline():
    a, audit = ap.assign(filed(), "hr1", T + timedelta(days=3), "hrlead", T)
    assert (a.status, a.handler, a.deadline) == (ap.AppealStatus.IN_REVIEW, "hr1", T + timedelta(days=3))
    assert audit.reason.startswith("handler hr1")
    with pytest.raises(ValidationError, match="cannot handle"):
        ap.assign(filed(), "ann", T + timedelta(days=3), "hrlead", T)


def test_accepting_reports_that_the_new_grade_breaks_the_quota():
    impact = ap.quota_impact(GRADES, QUOTAS, "ann", "A")
    assert impact.breaks_quota and impact.count_after == 2
    a, audit = ap.accept(in_review(), "hr1", T, Decimal(84), "补卡 confirmed", impact)
    assert a.status is ap.AppealStatus.ACCEPTED and a.new_score == 84 and a.quota_impact.breaks_quota
    assert "breaks the quota" in audit.reason


def test_grade_change_into_a_free_seat_fits():
    grades = {"ann": "C", "bob": "A", "cat": "B", "dan": "C"}
    assert not ap.quota_impact(grades, QUOTAS, "ann", "B").breaks_quota


def test_only_the_handler_decides_and_rejection_needs_a_reason():
    with pytest.raises(ValidationError, match="only the handler"):
        ap.reject(in_review(), "boss", T, "no")
    with pytest.raises(ValidationError, match="reason"):
        ap.reject(in_review(), "hr1", T, "")


def test_one_reopen_is_allowed_then_refused():
    rejected, _ = ap.reject(in_review(), "hr1", T, "the record shows late arrival")
    reopened, _ = ap.reopen(rejected, "ann", T + timedelta(hours=1), "attaching the approval id", WINDOW)
    assert reopened.status is ap.AppealStatus.FILED and reopened.reopen_count == 1
    again, _ = ap.assign(reopened, "hr2", T + timedelta(days=2), "hrlead", T + timedelta(hours=2))
    again, _ = ap.reject(again, "hr2", T + timedelta(hours=3), "still late")
    with pytest.raises(TransitionError, match="one re-open"):
        ap.reopen(again, "ann", T + timedelta(hours=4), "please", WINDOW)


def test_reopen_after_the_window_is_refused():
    rejected, _ = ap.reject(in_review(), "hr1", T, "no")
    with pytest.raises(ValidationError, match="not open"):
        ap.reopen(rejected, "ann", T + timedelta(days=8), "late", WINDOW)


def test_decided_appeal_cannot_be_decided_again():
    accepted, _ = ap.accept(in_review(), "hr1", T, Decimal(80), "ok", ap.quota_impact(GRADES, QUOTAS, "ann", "B"))
    with pytest.raises(TransitionError, match="'accepted'.*'reject'.*reopen"):
        ap.reject(accepted, "hr1", T, "changed my mind")


def test_overdue_appeals_are_listed_given_now():
    a = in_review()
    assert not ap.is_overdue(a, T + timedelta(days=3))
    assert ap.overdue_appeals([a, filed()], T + timedelta(days=3, seconds=1)) == (a,)
