"""面谈 in the store: recorded by the manager or HR, required answers enforced, revised until both confirm,
every revision kept and audited, and HR's list of released results still lacking a confirmed interview."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dingperf.perf.errors import ValidationError
from dingperf.perf.interviews import AgreedAction, InterviewTemplate, Question, QuestionKind, Section
from dingperf.services.collect import collect_inputs
from dingperf.services.cycles import Participant, add_participants
from dingperf.services.documents import StaleRevision
from dingperf.services.interview_templates import (
    get_interview_template,
    list_interview_templates,
    save_interview_template,
    starter_interview_templates,
)
from dingperf.services.interviews import (
    StoredInterview,
    confirm_interview,
    get_interview,
    interview_history,
    interviews_missing,
    list_interviews,
    record_interview,
    revise_interview,
)
from dingperf.services.results import release_results
from dingperf.services.scoring_service import score_cycle
from dingperf.store.engine import NotFound, Store
from dingperf.store.repositories.audit import list_audit
from dingperf.store.repositories.outbox import list_outbox_messages
from tests.integration.collect_kit import CORP, CYCLE, LATE, NOW, REVENUE
from tests.integration.release_kit import to_calibration

HR = ("hr",)
HELD = date(2026, 12, 1)
FEEDBACK = {"result_explained": "是 yes", "achievements": "closed the Q4 deals", "gaps": "late four times",
            "employee_view": "agrees", "next_focus": "punctuality"}
LATER = NOW + timedelta(hours=1)


@pytest.fixture
def cycle(collect_cycle: Store) -> Store:
    """Two reps managed by `mgr`, scored but not released."""
    add_participants(collect_cycle, CORP, CYCLE, [Participant("u-late", "mgr"), Participant("u-ok", "mgr")], now=NOW)
    collect_inputs(collect_cycle, CORP, CYCLE, [LATE, REVENUE])
    score_cycle(collect_cycle, CORP, CYCLE, now=NOW)
    return collect_cycle


def _record(store: Store, employee: str = "u-late", record_id: str = "iv-1", **kw: object) -> StoredInterview:
    args: dict[str, object] = {"interviewer": "mgr", "template_id": "results-feedback", "held_on": HELD,
                               "answers": FEEDBACK, "record_id": record_id, "hr_userids": HR, "now": NOW, **kw}
    return record_interview(store, CORP, CYCLE, employee, **args)  # type: ignore[arg-type]


def _trail(store: Store, record_id: str = "iv-1") -> list[str]:
    with store.session() as s:
        return [e.action for e in list_audit(session=s, corp_id=CORP, subject=f"interview:{record_id}")]


def test_starter_templates_cover_feedback_low_performer_and_check_in() -> None:
    assert {t.template_id for t in starter_interview_templates()} == {"results-feedback", "low-performer",
                                                                      "mid-cycle-check-in"}


def test_manager_records_an_interview_with_agreed_actions(cycle: Store) -> None:
    action = AgreedAction("arrive by 9:00 for a month", "u-late", date(2026, 12, 31))
    stored = _record(cycle, agreed_actions=[action])
    got = get_interview(cycle, CORP, "iv-1")
    assert got == stored and got.status == "open" and got.revision == 1
    assert got.record.agreed_actions == (action,) and dict(got.record.answers)["gaps"] == "late four times"
    assert _trail(cycle) == ["interview.record"]


def test_the_employee_is_asked_to_confirm_each_new_or_revised_record(cycle: Store) -> None:
    _record(cycle)
    revise_interview(cycle, CORP, "iv-1", actor="mgr", expected_revision=1, held_on=HELD, answers=FEEDBACK,
                     now=LATER)
    with cycle.session() as s:
        rows = sorted(list_outbox_messages(session=s, corp_id=CORP), key=lambda r: r.idempotency_key)
    assert [(r.idempotency_key, r.payload["userids"]) for r in rows] == [
        ("interview:iv-1:confirm:1", ["u-late"]), ("interview:iv-1:confirm:2", ["u-late"])]
    assert "已修改" in rows[1].payload["msg"]["markdown"]["text"]


def test_a_refused_record_queues_no_notice(cycle: Store) -> None:
    with pytest.raises(ValidationError):
        _record(cycle, interviewer="u-ok")
    with cycle.session() as s:
        assert list_outbox_messages(session=s, corp_id=CORP) == []


def test_hr_may_hold_the_interview_instead_of_the_manager(cycle: Store) -> None:
    assert _record(cycle, interviewer="hr").record.interviewer == "hr"


def test_someone_who_is_neither_manager_nor_hr_is_refused_and_nothing_is_written(cycle: Store) -> None:
    with pytest.raises(ValidationError, match="only their manager \\(mgr\\) or HR"):
        _record(cycle, interviewer="u-ok")
    assert list_interviews(cycle, CORP, CYCLE) == []


def test_a_missing_required_answer_is_refused(cycle: Store) -> None:
    with pytest.raises(ValidationError, match="next_focus.*required"):
        _record(cycle, answers={k: v for k, v in FEEDBACK.items() if k != "next_focus"})
    assert _trail(cycle) == []


def test_someone_outside_the_cycle_cannot_be_interviewed(cycle: Store) -> None:
    with pytest.raises(ValidationError, match="not a participant"):
        _record(cycle, employee="u-stranger")


def test_an_unknown_template_names_the_ones_to_pick(cycle: Store) -> None:
    with pytest.raises(NotFound, match="results-feedback"):
        _record(cycle, template_id="nope")


def test_a_second_record_under_the_same_id_is_refused(cycle: Store) -> None:
    _record(cycle)
    with pytest.raises(ValidationError, match="already exists"):
        _record(cycle)


def test_both_confirming_makes_the_record_final(cycle: Store) -> None:
    _record(cycle)
    confirm_interview(cycle, CORP, "iv-1", userid="u-late", expected_revision=1, now=LATER)
    done = confirm_interview(cycle, CORP, "iv-1", userid="mgr", expected_revision=2, now=LATER)
    assert done.status == "confirmed"
    assert [u for u, _ in done.record.confirmations] == ["u-late", "mgr"]
    assert _trail(cycle) == ["interview.record", "interview.confirm", "interview.confirm"]
    with pytest.raises(ValidationError, match="final"):
        revise_interview(cycle, CORP, "iv-1", actor="mgr", expected_revision=3, held_on=HELD, answers=FEEDBACK)


def test_confirming_a_revision_that_was_since_revised_is_refused(cycle: Store) -> None:
    _record(cycle)
    revise_interview(cycle, CORP, "iv-1", actor="mgr", expected_revision=1, held_on=HELD,
                     answers={**FEEDBACK, "gaps": "late three times"}, reason="miscounted", now=LATER)
    with pytest.raises(StaleRevision, match="reload"):
        confirm_interview(cycle, CORP, "iv-1", userid="u-late", expected_revision=1, now=LATER)


def test_revising_restarts_confirmation_and_keeps_every_revision(cycle: Store) -> None:
    _record(cycle)
    confirm_interview(cycle, CORP, "iv-1", userid="u-late", now=LATER)
    revised = revise_interview(cycle, CORP, "iv-1", actor="mgr", expected_revision=2, held_on=HELD,
                               answers={**FEEDBACK, "gaps": "late three times"}, reason="miscounted", now=LATER)
    assert revised.record.confirmations == () and revised.revision == 3
    history = interview_history(cycle, CORP, "iv-1")
    assert [dict(h.record.answers)["gaps"] for h in history] == ["late four times"] * 2 + ["late three times"]
    assert [h.saved_by for h in history] == ["mgr", "u-late", "mgr"]


def test_only_the_interviewer_or_hr_may_revise(cycle: Store) -> None:
    _record(cycle)
    with pytest.raises(ValidationError, match="only its interviewer"):
        revise_interview(cycle, CORP, "iv-1", actor="u-late", expected_revision=1, held_on=HELD, answers=FEEDBACK)


def test_missing_list_is_empty_until_results_are_released(cycle: Store) -> None:
    assert interviews_missing(cycle, CORP, CYCLE) == []


def test_missing_list_names_released_people_without_a_confirmed_interview(cycle: Store) -> None:
    to_calibration(cycle, CORP, CYCLE, now=NOW)
    release_results(cycle, CORP, CYCLE, by="hr", now=NOW)
    _record(cycle, "u-late", "iv-1")
    _record(cycle, "u-ok", "iv-2")
    for who in ("u-late", "mgr"):
        confirm_interview(cycle, CORP, "iv-1", userid=who, now=LATER)
    missing = interviews_missing(cycle, CORP, CYCLE)
    assert [(m.userid, m.manager_userid, m.open_record_ids) for m in missing] == [("u-ok", "mgr", ("iv-2",))]


def test_list_interviews_filters_by_status(cycle: Store) -> None:
    _record(cycle, "u-late", "iv-1")
    _record(cycle, "u-ok", "iv-2")
    for who in ("u-late", "mgr"):
        confirm_interview(cycle, CORP, "iv-1", userid=who, now=LATER)
    assert [i.record.record_id for i in list_interviews(cycle, CORP, CYCLE, status="open")] == ["iv-2"]


# --- HR-defined templates -----------------------------------------------------------------------------------------

SKIP_LEVEL = InterviewTemplate("skip-level", "隔级面谈 Skip-level", (
    Section("团队 Team", (Question("morale", "How is the team?"),
                          Question("score", "Rate your manager", QuestionKind.RATING, scale_max=5))),))


def test_hr_defines_a_template_managers_can_record_against(cycle: Store) -> None:
    save_interview_template(cycle, CORP, SKIP_LEVEL, actor="hr", hr_userids=HR, now=NOW)
    stored = _record(cycle, template_id="skip-level", answers={"morale": "good", "score": 4})
    assert stored.template_revision == 1
    assert [e.template.template_id for e in list_interview_templates(cycle, CORP)][-1] == "skip-level"


def test_only_hr_defines_templates(store: Store) -> None:
    with pytest.raises(ValidationError, match="only HR"):
        save_interview_template(store, CORP, SKIP_LEVEL, actor="mgr", hr_userids=HR, now=NOW)


def test_starter_templates_are_read_only(store: Store) -> None:
    starter = get_interview_template(store, CORP, "low-performer").template
    with pytest.raises(ValidationError, match="new id"):
        save_interview_template(store, CORP, starter, actor="hr", hr_userids=HR, now=NOW)


def test_changing_a_template_needs_the_revision_read(store: Store) -> None:
    save_interview_template(store, CORP, SKIP_LEVEL, actor="hr", hr_userids=HR, now=NOW)
    with pytest.raises(ValidationError, match="expected_revision"):
        save_interview_template(store, CORP, SKIP_LEVEL, actor="hr", hr_userids=HR, now=NOW)
    renamed = InterviewTemplate("skip-level", "Skip-level v2", SKIP_LEVEL.sections)
    assert save_interview_template(store, CORP, renamed, actor="hr", hr_userids=HR, expected_revision=1,
                                   now=NOW).revision == 2
    with pytest.raises(StaleRevision):
        save_interview_template(store, CORP, renamed, actor="hr", hr_userids=HR, expected_revision=1, now=NOW)


def test_a_revision_is_checked_against_the_template_revision_it_was_recorded_on(cycle: Store) -> None:
    save_interview_template(cycle, CORP, SKIP_LEVEL, actor="hr", hr_userids=HR, now=NOW)
    _record(cycle, template_id="skip-level", answers={"morale": "good", "score": 4})
    stricter = InterviewTemplate("skip-level", "Skip-level v2", (*SKIP_LEVEL.sections,
                                 Section("More", (Question("extra", "New required question"),))))
    save_interview_template(cycle, CORP, stricter, actor="hr", hr_userids=HR, expected_revision=1, now=NOW)
    again = revise_interview(cycle, CORP, "iv-1", actor="mgr", expected_revision=1, held_on=HELD,
                             answers={"morale": "better", "score": 5}, now=LATER)
    assert again.template_revision == 1
