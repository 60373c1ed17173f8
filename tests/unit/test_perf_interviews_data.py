"""面谈 records: revising before both confirm, who still lacks a confirmed interview, JSON round trips."""

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
    record_from_dict,
    record_interview,
    record_to_dict,
    revise_record,
    template_from_dict,
    template_to_dict,
    without_confirmed_interview,
)

NOW = datetime(2026, 4, 25, tzinfo=UTC)
HELD = date(2026, 4, 24)
TEMPLATE = InterviewTemplate("t1", "Quarterly talk", (
    Section("Back", (Question("went_well", "What went well?"),
                     Question("rating", "Rate it", QuestionKind.RATING, scale_max=5))),
    Section("Ahead", (Question("focus", "Focus", QuestionKind.CHOICE, options=("growth", "delivery")),
                      Question("other", "Anything else?", required=False))),
), "after each quarter")
ANSWERS = {"went_well": "launch", "rating": 4, "focus": "growth"}


def _rec():
    return record_interview(TEMPLATE, "r1", "q1", "ann", "mia", HELD, ANSWERS,
                            [AgreedAction("SQL course", "ann", date(2026, 6, 30))])


def test_template_round_trips_through_json_data():
    assert template_from_dict(template_to_dict(TEMPLATE)) == TEMPLATE


def test_template_data_without_sections_is_refused_with_what_it_needs():
    with pytest.raises(ValidationError, match="malformed.*sections"):
        template_from_dict({"id": "x", "name": "X"})


def test_template_data_with_unknown_question_kind_is_refused():
    with pytest.raises(ValidationError, match="malformed"):
        template_from_dict({"id": "x", "name": "X", "sections": [
            {"title": "s", "questions": [{"id": "q", "text": "Q", "kind": "essay"}]}]})


def test_question_without_text_is_refused():
    with pytest.raises(ValidationError, match="needs an id and a text"):
        Question("q1", "  ")


def test_record_round_trips_through_json_data_with_confirmations():
    rec, _ = confirm_record(_rec(), "ann", NOW)
    assert record_from_dict(record_to_dict(rec)) == rec


def test_agreed_action_due_before_the_interview_is_refused():
    with pytest.raises(ValidationError, match="before the interview"):
        record_interview(TEMPLATE, "r1", "q1", "ann", "mia", HELD, ANSWERS,
                         [AgreedAction("SQL course", "ann", date(2026, 4, 1))])


def test_revising_clears_earlier_confirmations():
    once, _ = confirm_record(_rec(), "ann", NOW)
    revised = revise_record(once, TEMPLATE, HELD, {**ANSWERS, "rating": 3})
    assert dict(revised.answers)["rating"] == "3"
    assert revised.confirmations == ()


def test_record_confirmed_by_both_cannot_be_revised():
    once, _ = confirm_record(_rec(), "ann", NOW)
    both, _ = confirm_record(once, "mia", NOW)
    with pytest.raises(ValidationError, match="final"):
        revise_record(both, TEMPLATE, HELD, ANSWERS)


def test_revision_still_enforces_required_questions():
    with pytest.raises(ValidationError, match="required"):
        revise_record(_rec(), TEMPLATE, HELD, {"rating": 3, "focus": "growth"})


def test_only_records_confirmed_by_both_count_as_done():
    half, _ = confirm_record(_rec(), "ann", NOW)
    both, _ = confirm_record(half, "mia", NOW)
    other = record_interview(TEMPLATE, "r2", "q1", "bob", "mia", HELD, ANSWERS)
    assert without_confirmed_interview(["ann", "bob", "cat"], [other]) == ("ann", "bob", "cat")
    assert without_confirmed_interview(["ann", "bob", "cat"], [both, other]) == ("bob", "cat")
