"""Free feedback in the store: give it at any time (inside a cycle or not), retract it within the grace period,
and read only what the viewer may see — as the receiver, the giver, a manager, HR, or a reviewer gathering a
cycle's evidence.

Feedback items are revisioned documents of kind "feedback" (subject = the receiver; status "given", then
"retracted" — a retraction is a new revision, so the history keeps the text). The rules are `perf.checkins`.
Giving queues a work notification in the same transaction: to the receiver, or to their manager when the
feedback is manager-only (the receiver must not learn of what they may not read).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from dingperf.dingtalk.messages import action_card_msg, markdown_msg
from dingperf.perf import checkins as rules
from dingperf.perf.checkins import Feedback, FeedbackKind, FeedbackVisibility
from dingperf.perf.errors import ValidationError
from dingperf.services.documents import (
    Document,
    document_history,
    get_document,
    get_document_in,
    latest_documents_in,
    save_document_in,
)
from dingperf.services.goal_store import cycle_row, load_goal
from dingperf.services.notice_queue import queue_notice_in
from dingperf.services.org_chain import manager_chain
from dingperf.services.perf_notices import workbench_link
from dingperf.store.engine import NotFound, Store
from dingperf.store.tables.org import Employee
from dingperf.store.types import utcnow

KIND = "feedback"
GIVEN, RETRACTED = "given", "retracted"
_NOTICE_CLIP = 120  # characters of the feedback text quoted in the work notice
_KIND_LABEL = {FeedbackKind.PRAISE: "表扬", FeedbackKind.COACHING: "辅导建议", FeedbackKind.GENERAL: "反馈"}


@dataclass(frozen=True)
class StoredFeedback:
    """One revision of a feedback item; ``status`` is "given" or "retracted"."""

    feedback_id: str
    feedback: Feedback
    status: str
    revision: int
    cycle_id: str | None
    saved_by: str
    saved_at: datetime
    retract_reason: str = ""


def _body(fb: Feedback, **extra: Any) -> dict[str, Any]:
    return {"giver": fb.giver, "receiver": fb.receiver, "at": fb.at.isoformat(), "kind": fb.kind.value,
            "text": fb.text, "goal_id": fb.goal_id, "visibility": fb.visibility.value, **extra}


def _stored(doc: Document) -> StoredFeedback:
    b = doc.body
    fb = Feedback(b["giver"], b["receiver"], datetime.fromisoformat(b["at"]), b["text"], FeedbackKind(b["kind"]),
                  FeedbackVisibility(b["visibility"]), b.get("goal_id"))
    return StoredFeedback(doc.doc_id, fb, doc.status, doc.revision, doc.cycle_id, doc.saved_by, doc.saved_at,
                          b.get("retract_reason", ""))


def _active_employee(s: Session, corp_id: str, userid: str, role: str) -> Employee:
    person = s.get(Employee, (userid, corp_id))
    if person is None:
        raise ValidationError(f"the {role} {userid!r} is not in the synced address book of corp {corp_id}; "
                              "check the userid, or run `dingperf sync contacts` first")
    if not person.active:
        raise ValidationError(f"the {role} {userid} has left the company; feedback is between current employees")
    return person


def _exists(s: Session, corp_id: str, feedback_id: str) -> bool:
    try:
        get_document_in(s, corp_id, KIND, feedback_id)
    except NotFound:
        return False
    return True


def _clip(text: str, limit: int = _NOTICE_CLIP) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def feedback_notice(*, corp_id: str, feedback_id: str, fb: Feedback, giver_name: str, receiver_name: str,
                    public_url: str = "") -> dict[str, Any]:
    """The work notice of a new feedback: to the receiver, or (manager-only) to the receiver's manager."""
    label = _KIND_LABEL[fb.kind]
    if fb.visibility is FeedbackVisibility.MANAGER_ONLY:
        title = f"【反馈】关于 {receiver_name} 的{label}"
        head = f"{giver_name} 给 {receiver_name} 写了一条仅主管可见的{label}（{feedback_id}）："
    else:
        title = f"【反馈】{giver_name} 给你的{label}"
        head = f"{giver_name} 给你写了一条{label}（{feedback_id}）："
    lines = [head, f"> {_clip(fb.text)}"]
    if fb.goal_id:
        lines.append(f"关于目标 {fb.goal_id}。")
    body = f"### {title}\n\n" + "\n\n".join(lines)
    link = workbench_link(public_url, corp_id, "feedback")
    if link is None:
        return markdown_msg(title, body + "\n\n在钉钉工作台打开 dingperf 查看。")
    return action_card_msg(title, body, single_title="查看反馈", single_url=link)


def give_feedback(store: Store, corp_id: str, *, giver: str, receiver: str, text: str,
                  kind: FeedbackKind = FeedbackKind.GENERAL,
                  visibility: FeedbackVisibility = FeedbackVisibility.RECEIVER, goal_id: str | None = None,
                  cycle_id: str | None = None, feedback_id: str | None = None, public_url: str = "",
                  now: datetime | None = None) -> StoredFeedback:
    """Store a feedback between two current employees (optionally about a goal, in the goal's cycle unless one is
    named) and notify its reader; every check runs before anything is written."""
    at = now or utcnow()
    with store.session() as s:
        fb = rules.require_feedback_length(rules.give_feedback(giver, receiver, at, text, kind=kind,
                                                               visibility=visibility, goal_id=goal_id))
        giver_row = _active_employee(s, corp_id, fb.giver, "giver")
        receiver_row = _active_employee(s, corp_id, fb.receiver, "receiver")
        if goal_id is not None:
            goal_cycle = load_goal(s, corp_id, goal_id).goal.cycle_id  # NotFound for an unknown goal
            cycle_id = cycle_id or goal_cycle or None
        if cycle_id is not None:
            cycle_row(s, corp_id, cycle_id)
        feedback_id = feedback_id or f"fb-{uuid.uuid4().hex[:12]}"
        if _exists(s, corp_id, feedback_id):
            raise ValidationError(f"feedback {feedback_id!r} already exists; pick another id")
        doc = save_document_in(s, corp_id, KIND, feedback_id, status=GIVEN, body=_body(fb), actor=fb.giver,
                               cycle_id=cycle_id, subject_userid=fb.receiver, expected_revision=0, action="give",
                               reason=fb.kind.value, now=at)
        reader = receiver_row.manager_userid if visibility is FeedbackVisibility.MANAGER_ONLY else fb.receiver
        if reader and reader != fb.giver:  # a manager's own manager-only note needs no notice to themselves
            msg = feedback_notice(corp_id=corp_id, feedback_id=feedback_id, fb=fb, giver_name=giver_row.name,
                                  receiver_name=receiver_row.name, public_url=public_url)
            queue_notice_in(s, corp_id, key=f"feedback:{feedback_id}", userids=[reader], msg=msg, now=at)
        return _stored(doc)


def retract_feedback(store: Store, corp_id: str, feedback_id: str, *, actor: str, reason: str = "",
                     now: datetime | None = None) -> StoredFeedback:
    """The giver takes a feedback back within the grace period: a new revision "retracted", the text kept."""
    at = now or utcnow()
    with store.session() as s:
        current = _stored(get_document_in(s, corp_id, KIND, feedback_id))
        if current.status == RETRACTED:
            raise ValidationError(f"feedback {feedback_id} is already retracted")
        rules.require_retractable(current.feedback, actor, at)
        doc = save_document_in(s, corp_id, KIND, feedback_id, status=RETRACTED,
                               body=_body(current.feedback, retract_reason=reason.strip()), actor=actor,
                               cycle_id=current.cycle_id, subject_userid=current.feedback.receiver,
                               expected_revision=current.revision, action="retract", reason=reason, now=at)
        return _stored(doc)


def get_feedback(store: Store, corp_id: str, feedback_id: str) -> StoredFeedback:
    """The newest revision of a feedback (no visibility check: for HR tools and tests)."""
    return _stored(get_document(store, corp_id, KIND, feedback_id))


def feedback_history(store: Store, corp_id: str, feedback_id: str) -> list[StoredFeedback]:
    """Every revision of a feedback, oldest first; NotFound when there is none."""
    history = [_stored(d) for d in document_history(store, corp_id, KIND, feedback_id)]
    if not history:
        raise NotFound(f"no feedback {feedback_id!r} in corp {corp_id}; check the id")
    return history


def _visible(s: Session, corp_id: str, items: Iterable[StoredFeedback], viewer: str,
             hr_userids: Collection[str]) -> list[StoredFeedback]:
    chains: dict[str, tuple[str, ...]] = {}
    out = []
    for item in items:
        receiver = item.feedback.receiver
        if receiver not in chains:
            chains[receiver] = manager_chain(s, corp_id, None, receiver)
        if rules.is_feedback_visible(item.feedback, viewer, manager_chain=chains[receiver],
                                     is_hr=viewer in hr_userids):
            out.append(item)
    return sorted(out, key=lambda i: (i.feedback.at, i.feedback_id))


def _given_to(s: Session, corp_id: str, receiver: str) -> list[StoredFeedback]:
    return [_stored(d) for d in latest_documents_in(s, corp_id, KIND, subject_userid=receiver, status=GIVEN)]


def feedback_visible_to(store: Store, corp_id: str, receiver: str, viewer: str, *,
                        hr_userids: Collection[str] = ()) -> list[StoredFeedback]:
    """The feedback `receiver` has received that `viewer` may read (retracted items excluded), oldest first."""
    with store.session() as s:
        return _visible(s, corp_id, _given_to(s, corp_id, receiver), viewer, hr_userids)


def feedback_received(store: Store, corp_id: str, receiver: str) -> list[StoredFeedback]:
    """What the receiver reads about themselves: everything but manager-only and retracted feedback."""
    return feedback_visible_to(store, corp_id, receiver, receiver)


def feedback_given(store: Store, corp_id: str, giver: str) -> list[StoredFeedback]:
    """Everything `giver` has given and not retracted, oldest first."""
    with store.session() as s:
        # The giver is in the body, not a column: read the kind and filter (feedback is small, text-only rows).
        items = [_stored(d) for d in latest_documents_in(s, corp_id, KIND, status=GIVEN)]
    return sorted((i for i in items if i.feedback.giver == giver), key=lambda i: (i.feedback.at, i.feedback_id))


def feedback_evidence(store: Store, corp_id: str, cycle_id: str, employee: str, reviewer: str, *,
                      hr_userids: Collection[str] = ()) -> list[StoredFeedback]:
    """Feedback `employee` received during the cycle's period (local dates in the cycle's timezone) that
    `reviewer` may read: the evidence shown beside a review form or 面谈 notes."""
    with store.session() as s:
        cycle = cycle_row(s, corp_id, cycle_id)
        tz = ZoneInfo(cycle.timezone)
        during = [i for i in _given_to(s, corp_id, employee)
                  if rules.given_between(i.feedback, cycle.period_start, cycle.period_end, tz)]
        return _visible(s, corp_id, during, reviewer, hr_userids)
