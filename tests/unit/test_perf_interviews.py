from datetime import UTC, date, datetime

import pytest

from dingperf.perf.errors import ValidationError
from dingperf.perf.interviews import (
    AgreedAction,
    InterviewTemplate,
    Question,
    QuestionKind,
    Section,
    confirm_record,
    record_interview,
)

NOW = datetime(2026, 4, 25, tzinfo=UTC)
TEMPLATE = InterviewTemplate("t1", "Quarterly review talk", (
    Section("Looking back", (Question("went_well", "What went well?"),
                             Question("self_rating", "Rate your quarter", QuestionKind.RATING, scale_max=5))),
    Section("Looking ahead", (Question("focus", "Main focus", QuestionKind.CHOICE, options=("growth", "delivery")),
                              Question("other", "Anything else?", required=False))),
))
ANSWERS = {"went_well": "shipped the launch", "self_rating": 4, "focus": "growth"}


def test_record_keeps_answers_and_agreed_actions():
    rec = record_interview(TEMPLATE, "r1", "q1", "ann", "mia", date(2026, 4, 24), ANSWERS,
                           [AgreedAction("take the SQL course", "ann", date(2026, 6, 30))])
    assert dict(rec.answers) == {"went_well": "shipped the launch", "self_rating": "4", "focus": "growth"}
    assert rec.agreed_actions[0].owner == "ann"


def test_required_question_must_be_answered():
    with pytest.raises(ValidationError, match="'went_well'.*required"):
        record_interview(TEMPLATE, "r1", "q1", "ann", "mia", date(2026, 4, 24), {"self_rating": 4, "focus": "growth"})


def test_rating_and_choice_answers_are_checked():
    with pytest.raises(ValidationError, match="rating 1–5"):
        record_interview(TEMPLATE, "r1", "q1", "ann", "mia", date(2026, 4, 24), ANSWERS | {"self_rating": 6})
    with pytest.raises(ValidationError, match="one of"):
        record_interview(TEMPLATE, "r1", "q1", "ann", "mia", date(2026, 4, 24), ANSWERS | {"focus": "fun"})


def test_template_rejects_duplicate_question_ids():
    with pytest.raises(ValidationError, match="repeats"):
        InterviewTemplate("t", "t", (Section("a", (Question("q", "x"), Question("q", "y"))),))


def test_both_parties_confirm_the_record():
    rec = record_interview(TEMPLATE, "r1", "q1", "ann", "mia", date(2026, 4, 24), ANSWERS)
    rec, audit = confirm_record(rec, "ann", NOW)
    assert not rec.is_confirmed_by_both and audit.to_state == "open"
    rec, audit = confirm_record(rec, "mia", NOW)
    assert rec.is_confirmed_by_both and audit.to_state == "confirmed"
    with pytest.raises(ValidationError, match="not part of"):
        confirm_record(rec, "bob", NOW)
