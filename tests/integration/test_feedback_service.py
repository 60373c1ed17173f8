"""Free feedback in the store: given between current employees, told to its reader through the outbox, read only
by who may see it, retracted by the giver as a new revision, and gathered per cycle as review evidence."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from dingperf.perf.checkins import FeedbackKind, FeedbackVisibility
from dingperf.perf.errors import ValidationError
from dingperf.perf.library import load_template
from dingperf.services.cycles import create_cycle
from dingperf.services.documents import latest_documents
from dingperf.services.feedback import (
    KIND,
    StoredFeedback,
    feedback_evidence,
    feedback_given,
    feedback_history,
    feedback_received,
    feedback_visible_to,
    get_feedback,
    give_feedback,
    retract_feedback,
)
from dingperf.services.goals import create_goal
from dingperf.services.templates import publish_template
from dingperf.store.engine import NotFound, Store
from dingperf.store.repositories.audit import list_audit
from dingperf.store.repositories.org import upsert_employees
from dingperf.store.repositories.outbox import list_outbox_messages
from dingperf.store.tables.org import EmployeeBase

CORP, CYCLE = "dingcorp-feedback", "2026-11"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
HR = ("hr",)
V = FeedbackVisibility


@pytest.fixture
def org(store: Store) -> Store:
    """rep and peer report to mgr, mgr to director; `gone` has left; a November cycle with rep's goal g1."""
    with store.session() as s:
        upsert_employees(session=s, corp_id=CORP, now=NOW, employees=[
            EmployeeBase(userid="rep", name="小王", manager_userid="mgr"),
            EmployeeBase(userid="peer", name="小李", manager_userid="mgr"),
            EmployeeBase(userid="mgr", name="张经理", manager_userid="director"),
            EmployeeBase(userid="director", name="刘总"),
            EmployeeBase(userid="stranger", name="路人"),
            EmployeeBase(userid="gone", name="已离职", manager_userid="mgr", active=False)])
    publish_template(store, CORP, load_template("sales-rep"), actor="hr", now=NOW)
    create_cycle(store, CORP, cycle_id=CYCLE, name="2026年11月", kind="monthly", period_start=date(2026, 11, 1),
                 period_end=date(2026, 11, 30), template_id="sales-rep", actor="hr", now=NOW)
    create_goal(store, CORP, CYCLE, goal_id="g1", owner="rep", title="revenue", target=Decimal(100),
                weight=Decimal(100), actor="mgr", now=NOW)
    return store


def _give(store: Store, feedback_id: str = "fb-1", **kw: object) -> StoredFeedback:
    args: dict[str, object] = {"giver": "peer", "receiver": "rep", "text": "客户演示讲得很清楚 clear demo",
                               "feedback_id": feedback_id, "now": NOW, **kw}
    return give_feedback(store, CORP, **args)  # type: ignore[arg-type]


def _outbox(store: Store) -> list[tuple[str, list[str], str]]:
    with store.session() as s:
        return [(m.idempotency_key, m.payload["userids"], str(m.payload["msg"]))
                for m in list_outbox_messages(session=s, corp_id=CORP)]


def _ids(items: list[StoredFeedback]) -> list[str]:
    return [i.feedback_id for i in items]


def test_giving_stores_revision_one_with_an_audit_entry(org: Store) -> None:
    saved = _give(org, kind=FeedbackKind.PRAISE)
    assert (saved.revision, saved.status, saved.feedback.giver, saved.feedback.kind) == (1, "given", "peer",
                                                                                          FeedbackKind.PRAISE)
    with org.session() as s:
        assert [e.action for e in list_audit(session=s, corp_id=CORP, subject="feedback:fb-1")] == ["feedback.give"]


def test_feedback_outside_any_cycle_has_no_cycle(org: Store) -> None:
    assert _give(org).cycle_id is None


def test_feedback_about_a_goal_belongs_to_the_goal_cycle(org: Store) -> None:
    assert _give(org, goal_id="g1").cycle_id == CYCLE


def test_the_receiver_is_told_through_the_outbox_keyed_per_feedback(org: Store) -> None:
    _give(org, kind=FeedbackKind.PRAISE)
    [(key, userids, msg)] = _outbox(org)
    assert (key, userids) == ("feedback:fb-1", ["rep"])
    assert "小李 给你的表扬" in msg and "clear demo" in msg


def test_manager_only_feedback_is_told_to_the_manager_not_the_receiver(org: Store) -> None:
    _give(org, visibility=V.MANAGER_ONLY)
    [(_, userids, msg)] = _outbox(org)
    assert userids == ["mgr"] and "仅主管可见" in msg


def test_a_managers_own_manager_only_note_sends_no_notice(org: Store) -> None:
    _give(org, giver="mgr", visibility=V.MANAGER_ONLY)
    assert _outbox(org) == [] and get_feedback(org, CORP, "fb-1").status == "given"


@pytest.mark.parametrize(("kw", "error", "match"), [
    ({"giver": "rep"}, ValidationError, "feedback goes to someone else"),
    ({"text": "  "}, ValidationError, "feedback text is empty"),
    ({"text": "好" * 2001}, ValidationError, "keep it to 2000"),
    ({"giver": "gone"}, ValidationError, "has left the company"),
    ({"giver": "nobody"}, ValidationError, "not in the synced address book"),
    ({"receiver": "gone"}, ValidationError, "has left the company"),
    ({"goal_id": "g-missing"}, NotFound, "no goal 'g-missing'"),
    ({"cycle_id": "2099-01"}, NotFound, "no cycle '2099-01'"),
])
def test_refused_feedback_writes_nothing(org: Store, kw: dict[str, object], error: type[Exception],
                                         match: str) -> None:
    with pytest.raises(error, match=match):
        _give(org, **kw)
    assert latest_documents(org, CORP, KIND) == [] and _outbox(org) == []


def test_a_reused_id_is_refused_and_the_first_feedback_is_unchanged(org: Store) -> None:
    _give(org)
    with pytest.raises(ValidationError, match="already exists"):
        _give(org, text="other")
    assert [h.revision for h in feedback_history(org, CORP, "fb-1")] == [1] and len(_outbox(org)) == 1


@pytest.fixture
def three(org: Store) -> Store:
    """peer gave rep one feedback of each visibility."""
    _give(org, "fb-r", visibility=V.RECEIVER)
    _give(org, "fb-m", visibility=V.MANAGER_ONLY)
    _give(org, "fb-p", visibility=V.PUBLIC)
    return org


@pytest.mark.parametrize(("viewer", "expected"), [
    ("rep", ["fb-p", "fb-r"]),
    ("peer", ["fb-m", "fb-p", "fb-r"]),
    ("mgr", ["fb-m", "fb-p", "fb-r"]),
    ("director", ["fb-m", "fb-p", "fb-r"]),
    ("stranger", ["fb-p"]),
    ("hr", ["fb-m", "fb-p", "fb-r"]),
])
def test_each_viewer_reads_only_what_they_may_see(three: Store, viewer: str, expected: list[str]) -> None:
    assert sorted(_ids(feedback_visible_to(three, CORP, "rep", viewer, hr_userids=HR))) == expected


def test_the_receiver_does_not_read_manager_only_feedback(three: Store) -> None:
    assert sorted(_ids(feedback_received(three, CORP, "rep"))) == ["fb-p", "fb-r"]


def test_given_lists_what_the_giver_wrote(three: Store) -> None:
    _give(three, "fb-x", giver="mgr", receiver="peer")
    assert sorted(_ids(feedback_given(three, CORP, "peer"))) == ["fb-m", "fb-p", "fb-r"]
    assert _ids(feedback_given(three, CORP, "mgr")) == ["fb-x"]


def test_retraction_is_a_new_revision_and_the_history_keeps_the_text(org: Store) -> None:
    _give(org)
    retracted = retract_feedback(org, CORP, "fb-1", actor="peer", reason="写错人了", now=NOW + timedelta(hours=1))
    assert (retracted.revision, retracted.status, retracted.retract_reason) == (2, "retracted", "写错人了")
    history = feedback_history(org, CORP, "fb-1")
    assert [(h.revision, h.status) for h in history] == [(1, "given"), (2, "retracted")]
    assert {h.feedback.text for h in history} == {"客户演示讲得很清楚 clear demo"}


def test_retracted_feedback_is_no_longer_read(org: Store) -> None:
    _give(org)
    retract_feedback(org, CORP, "fb-1", actor="peer", now=NOW)
    assert feedback_visible_to(org, CORP, "rep", "hr", hr_userids=HR) == []
    assert feedback_given(org, CORP, "peer") == []


@pytest.mark.parametrize(("actor", "at", "match"), [
    ("rep", NOW, "only the giver"),
    ("peer", NOW + timedelta(hours=25), "within 24 hours"),
])
def test_a_refused_retraction_writes_nothing(org: Store, actor: str, at: datetime, match: str) -> None:
    _give(org)
    with pytest.raises(ValidationError, match=match):
        retract_feedback(org, CORP, "fb-1", actor=actor, now=at)
    assert get_feedback(org, CORP, "fb-1").revision == 1


def test_a_second_retraction_is_refused(org: Store) -> None:
    _give(org)
    retract_feedback(org, CORP, "fb-1", actor="peer", now=NOW)
    with pytest.raises(ValidationError, match="already retracted"):
        retract_feedback(org, CORP, "fb-1", actor="peer", now=NOW)


def test_evidence_is_the_cycle_period_in_local_dates(org: Store) -> None:
    _give(org, "fb-before", now=datetime(2026, 10, 31, 15, 59, tzinfo=UTC))  # 23:59 on 31 Oct in Shanghai
    _give(org, "fb-first", now=datetime(2026, 10, 31, 16, 0, tzinfo=UTC))  # 00:00 on 1 Nov in Shanghai
    _give(org, "fb-after", now=datetime(2026, 11, 30, 16, 0, tzinfo=UTC))  # 1 Dec in Shanghai
    assert _ids(feedback_evidence(org, CORP, CYCLE, "rep", "mgr")) == ["fb-first"]


def test_evidence_shows_a_peer_reviewer_only_what_they_may_see(three: Store) -> None:
    _give(three, "fb-mgr", giver="mgr", visibility=V.MANAGER_ONLY)
    assert sorted(_ids(feedback_evidence(three, CORP, CYCLE, "rep", "stranger"))) == ["fb-p"]
    assert sorted(_ids(feedback_evidence(three, CORP, CYCLE, "rep", "peer"))) == ["fb-m", "fb-p", "fb-r"]
