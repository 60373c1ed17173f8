"""面谈 in the store: record an interview for (cycle, employee), revise it until both parties confirm, confirm,
history, and the list HR asks for — released results without a confirmed interview. Each new or revised record
asks the employee to confirm it by a work notification queued in the same transaction.

Records are revisioned documents of kind "interview" (status "open" until both confirm, then "confirmed"); the
rules are `perf.interviews`. Each step reads the newest revision and writes the next one, audited, in one
transaction; `expected_revision` refuses a save over someone else's change.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from dingperf.perf import interviews as rules
from dingperf.perf.errors import ValidationError
from dingperf.perf.interviews import AgreedAction, InterviewRecord
from dingperf.services.cycles import _row as _cycle_row
from dingperf.services.documents import (
    Document,
    document_history,
    get_document,
    get_document_in,
    latest_documents,
    latest_documents_in,
    save_document_in,
)
from dingperf.services.followup_notices import interview_to_confirm_notice
from dingperf.services.interview_templates import get_interview_template_in
from dingperf.services.notice_queue import queue_notice_in
from dingperf.store.engine import NotFound, Store
from dingperf.store.tables.org import Employee
from dingperf.store.tables.perf_participants import PerfParticipant
from dingperf.store.tables.perf_results import PerfResult
from dingperf.store.types import utcnow

KIND = "interview"


@dataclass(frozen=True)
class StoredInterview:
    """One revision of an interview record, with the template revision it was recorded against."""

    record: InterviewRecord
    revision: int
    template_revision: int
    saved_by: str
    saved_at: datetime

    @property
    def status(self) -> str:
        return _status(self.record)


@dataclass(frozen=True)
class MissingInterview:
    """Someone whose result is released but who has no interview confirmed by both parties yet."""

    userid: str
    manager_userid: str | None
    open_record_ids: tuple[str, ...]  # recorded but not yet confirmed by both


def _status(rec: InterviewRecord) -> str:
    return "confirmed" if rec.is_confirmed_by_both else "open"


def _stored(doc: Document) -> StoredInterview:
    return StoredInterview(rules.record_from_dict(doc.body["record"]), doc.revision, doc.body["template_revision"],
                           doc.saved_by, doc.saved_at)


def _manager_of(s: Session, corp_id: str, cycle_id: str, employee: str) -> str | None:
    """The cycle's participant row names the manager; the synced address book is the fallback."""
    row = s.get(PerfParticipant, (corp_id, cycle_id, employee))
    if row is None:
        raise ValidationError(f"{employee} is not a participant of cycle {cycle_id}; add them to the cycle first")
    if row.manager_userid:
        return row.manager_userid
    person = s.get(Employee, (employee, corp_id))
    return person.manager_userid if person is not None else None


def _exists(s: Session, corp_id: str, record_id: str) -> bool:
    try:
        get_document_in(s, corp_id, KIND, record_id)
    except NotFound:
        return False
    return True


def _require_interviewer(manager: str | None, employee: str, userid: str, hr_userids: Collection[str]) -> None:
    if userid != manager and userid not in hr_userids:
        raise ValidationError(f"{userid} cannot hold {employee}'s interview: only their manager "
                              f"({manager or 'none on record'}) or HR can; ask one of them to record it")


def _save(s: Session, corp_id: str, rec: InterviewRecord, template_revision: int, *, actor: str, action: str,
          expected_revision: int, now: datetime, reason: str = "") -> StoredInterview:
    doc = save_document_in(s, corp_id, KIND, rec.record_id, status=_status(rec),
                           body={"record": rules.record_to_dict(rec), "template_revision": template_revision},
                           actor=actor, cycle_id=rec.cycle_id, subject_userid=rec.employee,
                           expected_revision=expected_revision, action=action, reason=reason, now=now)
    return _stored(doc)


def _ask_to_confirm(s: Session, corp_id: str, saved: StoredInterview, template_name: str, public_url: str) -> None:
    rec = saved.record
    msg = interview_to_confirm_notice(corp_id=corp_id, record_id=rec.record_id, interviewer=rec.interviewer,
                                      template_name=template_name, held_on=rec.held_on, revision=saved.revision,
                                      public_url=public_url)
    queue_notice_in(s, corp_id, key=f"interview:{rec.record_id}:confirm:{saved.revision}", userids=[rec.employee],
                    msg=msg, now=saved.saved_at)


def record_interview(store: Store, corp_id: str, cycle_id: str, employee: str, *, interviewer: str,
                     template_id: str, held_on: date, answers: Mapping[str, str | int],
                     agreed_actions: Sequence[AgreedAction] = (), hr_userids: Collection[str] = (),
                     record_id: str | None = None, public_url: str = "",
                     now: datetime | None = None) -> StoredInterview:
    """The employee's manager (or HR) records a conversation against a template (required answers enforced);
    the employee is asked to confirm it."""
    at = now or utcnow()
    with store.session() as s:
        _cycle_row(s, corp_id, cycle_id)
        _require_interviewer(_manager_of(s, corp_id, cycle_id, employee), employee, interviewer, hr_userids)
        entry = get_interview_template_in(s, corp_id, template_id)
        record_id = record_id or f"iv-{uuid.uuid4().hex[:12]}"
        if _exists(s, corp_id, record_id):
            raise ValidationError(f"interview {record_id!r} already exists; pick another id or revise that one")
        rec = rules.record_interview(entry.template, record_id, cycle_id, employee, interviewer, held_on, answers,
                                     agreed_actions)
        saved = _save(s, corp_id, rec, entry.revision, actor=interviewer, action="record", expected_revision=0,
                      now=at, reason=f"{entry.template.name} held {held_on.isoformat()}")
        _ask_to_confirm(s, corp_id, saved, entry.template.name, public_url)
        return saved


def revise_interview(store: Store, corp_id: str, record_id: str, *, actor: str, expected_revision: int,
                     held_on: date, answers: Mapping[str, str | int], agreed_actions: Sequence[AgreedAction] = (),
                     hr_userids: Collection[str] = (), reason: str = "", public_url: str = "",
                     now: datetime | None = None) -> StoredInterview:
    """The interviewer (or HR) corrects a record both parties have not yet confirmed; confirmations restart and
    the employee is asked again."""
    at = now or utcnow()
    with store.session() as s:
        current = _stored(get_document_in(s, corp_id, KIND, record_id))
        rec = current.record
        if actor != rec.interviewer and actor not in hr_userids:
            raise ValidationError(f"{actor} cannot change interview {record_id}: only its interviewer "
                                  f"({rec.interviewer}) or HR can")
        template = get_interview_template_in(s, corp_id, rec.template_id, current.template_revision or None)
        new = rules.revise_record(rec, template.template, held_on, answers, agreed_actions)
        saved = _save(s, corp_id, new, current.template_revision, actor=actor, action="revise",
                      expected_revision=expected_revision, now=at, reason=reason)
        _ask_to_confirm(s, corp_id, saved, template.template.name, public_url)
        return saved


def confirm_interview(store: Store, corp_id: str, record_id: str, *, userid: str,
                      expected_revision: int | None = None, now: datetime | None = None) -> StoredInterview:
    """One party confirms the record they read (pass its revision); both confirming makes it final."""
    at = now or utcnow()
    with store.session() as s:
        current = _stored(get_document_in(s, corp_id, KIND, record_id))
        new, audit = rules.confirm_record(current.record, userid, at)
        return _save(s, corp_id, new, current.template_revision, actor=userid, action="confirm",
                     expected_revision=current.revision if expected_revision is None else expected_revision,
                     now=at, reason=f"{audit.from_state} -> {audit.to_state}")


def get_interview(store: Store, corp_id: str, record_id: str, revision: int | None = None) -> StoredInterview:
    """The newest revision (or the one asked for); NotFound when the record does not exist."""
    return _stored(get_document(store, corp_id, KIND, record_id, revision))


def interview_history(store: Store, corp_id: str, record_id: str) -> list[StoredInterview]:
    """Every revision of a record, oldest first (what was written, revised and confirmed, by whom, when)."""
    history = document_history(store, corp_id, KIND, record_id)
    if not history:
        raise NotFound(f"no interview {record_id!r} in corp {corp_id}; list the cycle's interviews to find its id")
    return [_stored(d) for d in history]


def list_interviews(store: Store, corp_id: str, cycle_id: str, *, employee: str | None = None,
                    status: str | None = None) -> list[StoredInterview]:
    """A cycle's interviews (newest revision each) ordered by record id; optionally one employee's or by status."""
    return [_stored(d) for d in latest_documents(store, corp_id, KIND, cycle_id=cycle_id, subject_userid=employee,
                                                 status=status)]


def interviews_missing(store: Store, corp_id: str, cycle_id: str) -> list[MissingInterview]:
    """People whose result is released and who lack an interview confirmed by both parties, by userid."""
    with store.session() as s:
        _cycle_row(s, corp_id, cycle_id)
        released = s.exec(select(PerfResult.userid).where(
            PerfResult.corp_id == corp_id, PerfResult.cycle_id == cycle_id,
            col(PerfResult.released_at).is_not(None))).all()
        records = [_stored(d).record for d in latest_documents_in(s, corp_id, KIND, cycle_id=cycle_id)]
        missing = rules.without_confirmed_interview(released, records)
        managers = {p.userid: p.manager_userid for p in s.exec(select(PerfParticipant).where(
            PerfParticipant.corp_id == corp_id, PerfParticipant.cycle_id == cycle_id,
            col(PerfParticipant.userid).in_(missing))).all()} if missing else {}
    return [MissingInterview(u, managers.get(u), tuple(r.record_id for r in records if r.employee == u))
            for u in missing]
