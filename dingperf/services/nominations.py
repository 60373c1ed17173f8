"""Rater nominations in the store (documents of kind "nomination", id `{cycle}:{reviewee}:{rater}`): nominate,
approve, reject, withdraw, list per reviewee or per rater, and find who lacks enough approved raters.

The rules are dingperf.perf.reviews (the nomination state machine) and dingperf.perf.nomination_rules (limits,
phases, who may be nominated); each step here is one transaction, one document revision and one audit entry.
Per-cycle limits live in a "review_rules" document (id = cycle id); without one, the defaults apply.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from dingperf.perf.audit import AuditRecord, record
from dingperf.perf.errors import ValidationError
from dingperf.perf.nomination_rules import (
    NOMINATED,
    NominationLimits,
    check_nominee,
    nomination_limits,
    require_nomination_phase,
    shortfalls,
)
from dingperf.perf.reviews import Nomination, NominationStatus, RaterType, approve, nominate, reject, withdraw
from dingperf.perf.reviews import review_policy as _policy
from dingperf.services.cycles import get_cycle
from dingperf.services.documents import Document, get_document_in, latest_documents_in, save_document_in
from dingperf.services.templates import get_template
from dingperf.store.engine import NotFound, Store
from dingperf.store.tables.org import Employee
from dingperf.store.tables.perf_cycles import PerfCycle
from dingperf.store.tables.perf_documents import PerfDocument
from dingperf.store.tables.perf_inputs import PerfRating
from dingperf.store.tables.perf_participants import PerfParticipant
from dingperf.store.types import utcnow

KIND, RULES_KIND = "nomination", "review_rules"
STANDING = (NominationStatus.APPROVED.value, NominationStatus.SUBMITTED.value)  # may rate
_ACTIVE = (NominationStatus.NOMINATED.value, *STANDING)
_OPEN_POLICY = _policy({RaterType.MANAGER: 100}, nominations_need_approval=True)  # nominate() only reads this flag


@dataclass(frozen=True)
class StoredNomination:
    """The newest revision of one nomination, with its trail of moves."""

    nomination: Nomination
    revision: int
    history: tuple[Mapping[str, str], ...]


def nomination_id(cycle_id: str, reviewee: str, rater: str) -> str:
    """The document id of `rater`'s nomination for `reviewee` in `cycle_id`."""
    return f"{cycle_id}:{reviewee}:{rater}"


def _stored(doc: Document) -> StoredNomination:
    b = doc.body
    nom = Nomination(doc.cycle_id or "", doc.subject_userid or "", b["rater"], RaterType(b["rater_type"]),
                     b["nominated_by"], NominationStatus(doc.status))
    return StoredNomination(nom, doc.revision, tuple(b.get("history", ())))


def _phase(s: Session, corp_id: str, cycle_id: str) -> str:
    """The cycle's phase, read inside the caller's transaction."""
    row = s.get(PerfCycle, (corp_id, cycle_id))
    if row is None:
        raise NotFound(f"no cycle {cycle_id!r} in corp {corp_id}; check the id")
    return row.phase


def limits_for(store: Store, corp_id: str, cycle_id: str) -> NominationLimits:
    """The cycle's nomination limits: its review_rules document, else the defaults for its rater groups."""
    cycle = get_cycle(store, corp_id, cycle_id)
    config = cycle.raters or get_template(store, corp_id, cycle.template.id, cycle.template.version).raters
    with store.session() as s:
        try:
            declared = get_document_in(s, corp_id, RULES_KIND, cycle_id).body
        except NotFound:
            declared = {}
    return nomination_limits(config, declared)


def _employee(s: Session, corp_id: str, userid: str) -> Employee | None:
    return s.exec(select(Employee).where(Employee.corp_id == corp_id, Employee.userid == userid)).first()


def _manager(s: Session, corp_id: str, cycle_id: str, userid: str) -> str | None:
    """The reviewee's manager: the one set on the participant, else the synced one."""
    p = s.exec(select(PerfParticipant).where(PerfParticipant.corp_id == corp_id, PerfParticipant.cycle_id == cycle_id,
                                             PerfParticipant.userid == userid)).first()
    if p is None:
        raise ValidationError(f"{userid} is not a participant of cycle {cycle_id}; add them to the cycle first")
    if p.manager_userid:
        return p.manager_userid
    e = _employee(s, corp_id, userid)
    return e.manager_userid if e is not None else None


def _save(s: Session, corp_id: str, nom: Nomination, audit: AuditRecord, history: tuple[Mapping[str, str], ...],
          expected: int, now: datetime) -> StoredNomination:
    trail = (*history, audit.as_dict())
    doc = save_document_in(s, corp_id, KIND, nomination_id(nom.cycle_id, nom.reviewee, nom.rater),
                           status=nom.status.value, actor=audit.actor, cycle_id=nom.cycle_id,
                           subject_userid=nom.reviewee, expected_revision=expected, action=audit.action,
                           reason=audit.reason, now=now,
                           body={"rater": nom.rater, "rater_type": nom.rater_type.value,
                                 "nominated_by": nom.nominated_by, "history": list(trail)})
    return _stored(doc)


def nominate_rater(store: Store, corp_id: str, cycle_id: str, reviewee: str, rater: str, rater_type: RaterType | str,
                   *, actor: str, hr_userids: Collection[str] = (), now: datetime | None = None) -> StoredNomination:
    """Nominate `rater` (an active employee) as `rater_type` for `reviewee`; by the reviewee, their manager or HR."""
    now = now or utcnow()
    limits = limits_for(store, corp_id, cycle_id)
    with store.session() as s:
        require_nomination_phase(_phase(s, corp_id, cycle_id), cycle_id)
        manager = _manager(s, corp_id, cycle_id, reviewee)
        if actor not in (reviewee, manager) and actor not in hr_userids:
            raise ValidationError(f"{actor} cannot nominate raters for {reviewee}; {reviewee}, their manager "
                                  f"({manager or 'none recorded'}) or HR can")
        person = _employee(s, corp_id, rater)
        if person is None or not person.active:
            raise ValidationError(f"{rater} is not an active employee in the synced address book; sync contacts or "
                                  "nominate someone else")
        own = _employee(s, corp_id, reviewee)
        docs = latest_documents_in(s, corp_id, KIND, cycle_id=cycle_id, subject_userid=reviewee)
        current = next((d for d in docs if d.body["rater"] == rater), None)
        if current is not None and current.status in _ACTIVE:
            raise ValidationError(f"{rater} is already {current.status} as a {current.body['rater_type']} rater "
                                  f"for {reviewee}; withdraw that nomination to change it")
        try:
            wanted = RaterType(rater_type)
        except ValueError:
            wanted = rater_type  # type: ignore[assignment]  # check_nominee names the valid types
        active = sum(1 for d in docs if d.status in _ACTIVE and d.body["rater_type"] == wanted)
        t = check_nominee(reviewee, rater, wanted, limits, reviewee_manager=manager,
                          rater_manager=person.manager_userid, reviewee_depts=own.dept_ids if own else (),
                          rater_depts=person.dept_ids, active_of_type=active)
        nom = nominate(cycle_id, reviewee, rater, t, actor, _OPEN_POLICY)
        history = () if current is None else _stored(current).history
        return _save(s, corp_id, nom, record(actor, "nominate", current.status if current else "", nom.status.value,
                                             now), history, current.revision if current else 0, now)


def _decide(store: Store, corp_id: str, cycle_id: str, reviewee: str, rater: str, now: datetime | None,
            move: Any) -> StoredNomination:
    now = now or utcnow()
    with store.session() as s:
        require_nomination_phase(_phase(s, corp_id, cycle_id), cycle_id)
        manager = _manager(s, corp_id, cycle_id, reviewee)
        current = _stored(get_document_in(s, corp_id, KIND, nomination_id(cycle_id, reviewee, rater)))
        nom, audit = move(current.nomination, manager, now)
        return _save(s, corp_id, nom, audit, current.history, current.revision, now)


def _approver(actor: str, manager: str | None, reviewee: str, hr_userids: Collection[str]) -> str:
    if actor in hr_userids:
        return actor
    if manager is None:
        raise ValidationError(f"no manager is recorded for {reviewee}; HR approves or rejects their raters instead")
    return manager


def approve_nomination(store: Store, corp_id: str, cycle_id: str, reviewee: str, rater: str, *, actor: str,
                       hr_userids: Collection[str] = (), now: datetime | None = None) -> StoredNomination:
    """The reviewee's manager (or HR) approves a nominated rater."""
    return _decide(store, corp_id, cycle_id, reviewee, rater, now,
                   lambda nom, manager, at: approve(nom, actor, at, _approver(actor, manager, reviewee, hr_userids)))


def reject_nomination(store: Store, corp_id: str, cycle_id: str, reviewee: str, rater: str, *, reason: str,
                      actor: str, hr_userids: Collection[str] = (), now: datetime | None = None) -> StoredNomination:
    """The reviewee's manager (or HR) rejects a nominated rater, with a reason."""
    return _decide(store, corp_id, cycle_id, reviewee, rater, now,
                   lambda nom, manager, at: reject(nom, actor, at, _approver(actor, manager, reviewee, hr_userids),
                                                   reason))


def withdraw_nomination(store: Store, corp_id: str, cycle_id: str, reviewee: str, rater: str, *, reason: str,
                        actor: str, hr_userids: Collection[str] = (), now: datetime | None = None) -> StoredNomination:
    """Withdraw a nomination not yet submitted; by whoever nominated, the reviewee, their manager or HR."""
    def move(nom: Nomination, manager: str | None, at: datetime) -> tuple[Nomination, AuditRecord]:
        if actor not in (nom.nominated_by, reviewee, manager) and actor not in hr_userids:
            raise ValidationError(f"{actor} cannot withdraw {rater}'s nomination for {reviewee}; the nominator "
                                  f"({nom.nominated_by}), {reviewee}, their manager or HR can")
        return withdraw(nom, actor, at, reason)

    return _decide(store, corp_id, cycle_id, reviewee, rater, now, move)


def nominations_for_reviewee(store: Store, corp_id: str, cycle_id: str, reviewee: str) -> list[StoredNomination]:
    """Every rater ever nominated for `reviewee` in the cycle, newest state each, by rater."""
    with store.session() as s:
        return [_stored(d) for d in latest_documents_in(s, corp_id, KIND, cycle_id=cycle_id, subject_userid=reviewee)]


def reviews_to_write(store: Store, corp_id: str, cycle_id: str, rater: str) -> list[StoredNomination]:
    """Whom `rater` must still review in the cycle: approved nominations without a recorded rating, by reviewee."""
    with store.session() as s:
        docs = latest_documents_in(s, corp_id, KIND, cycle_id=cycle_id, status=NominationStatus.APPROVED.value)
        rated = set(s.exec(select(PerfRating.userid).where(PerfRating.corp_id == corp_id,
                                                           PerfRating.cycle_id == cycle_id,
                                                           PerfRating.rater_id == rater)).all())
        return [_stored(d) for d in docs if d.body["rater"] == rater and d.subject_userid not in rated]


def nomination_shortfalls(store: Store, corp_id: str, cycle_id: str) -> dict[str, tuple[str, ...]]:
    """Participants who lack enough approved raters (or have too many) under the cycle's limits, with why."""
    limits = limits_for(store, corp_id, cycle_id)
    with store.session() as s:
        people = s.exec(select(PerfParticipant.userid).where(PerfParticipant.corp_id == corp_id,
                                                             PerfParticipant.cycle_id == cycle_id)).all()
        approved: dict[str, Counter[RaterType]] = {}
        pending: dict[str, Counter[RaterType]] = {}
        for d in latest_documents_in(s, corp_id, KIND, cycle_id=cycle_id):
            into = approved if d.status in STANDING else pending if d.status in _ACTIVE else None
            if into is not None:
                into.setdefault(d.subject_userid or "", Counter())[RaterType(d.body["rater_type"])] += 1
    found = {u: shortfalls(u, approved.get(u, Counter()), pending.get(u, Counter()), limits) for u in sorted(people)}
    return {u: problems for u, problems in found.items() if problems}


def set_review_rules(store: Store, corp_id: str, cycle_id: str, *, actor: str, hr_userids: Collection[str],
                     required: bool | None = None, minimum: Mapping[str, int] | None = None,
                     maximum: Mapping[str, int] | None = None, now: datetime | None = None) -> NominationLimits:
    """HR declares the cycle's nomination limits (and whether ratings need approved nominations); audited."""
    if actor not in hr_userids:
        raise ValidationError(f"{actor} is not HR; only HR sets a cycle's nomination rules")
    declared: dict[str, Any] = {k: v for k, v in (("required", required), ("minimum", dict(minimum or {})),
                                                  ("maximum", dict(maximum or {}))) if v not in (None, {})}
    cycle = get_cycle(store, corp_id, cycle_id)
    config = cycle.raters or get_template(store, corp_id, cycle.template.id, cycle.template.version).raters
    limits = nomination_limits(config, declared)  # refuses bad limits before anything is written
    with store.session() as s:
        require_nomination_phase(_phase(s, corp_id, cycle_id), cycle_id)
        save_document_in(s, corp_id, RULES_KIND, cycle_id, status="declared", body=declared, actor=actor,
                         cycle_id=cycle_id, now=now or utcnow())
        return limits



# --- departures (services.departures) ----------------------------------------------------------------------------

DEPARTURE_ACTOR = "system:departures"
_UNRATED = (NominationStatus.NOMINATED.value, NominationStatus.APPROVED.value)


def _like(text: str) -> str:
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


def withdraw_departed_rater_in(s: Session, corp_id: str, cycle_id: str, rater: str, *, reason: str,
                               now: datetime) -> list[StoredNomination]:
    """In the caller's transaction, withdraw `rater`'s nominations in the cycle that they have not rated yet
    (in any phase: someone who left cannot rate any more); ratings already given stay and count."""
    ids = set(s.exec(select(PerfDocument.doc_id).where(
        PerfDocument.corp_id == corp_id, PerfDocument.kind == KIND, PerfDocument.cycle_id == cycle_id,
        col(PerfDocument.doc_id).like(f"{_like(cycle_id)}:%:{_like(rater)}", escape="/"))).all())
    rated = set(s.exec(select(PerfRating.userid).where(PerfRating.corp_id == corp_id, PerfRating.cycle_id == cycle_id,
                                                       PerfRating.rater_id == rater)).all())
    done = []
    for doc_id in sorted(ids):
        doc = get_document_in(s, corp_id, KIND, doc_id)
        if doc.body["rater"] != rater or doc.status not in _UNRATED or doc.subject_userid in rated:
            continue
        current = _stored(doc)
        nom, audit = withdraw(current.nomination, DEPARTURE_ACTOR, now, reason)
        done.append(_save(s, corp_id, nom, audit, current.history, current.revision, now))
    return done


def below_minimum_in(s: Session, corp_id: str, cycle_id: str, reviewees: Collection[str],
                     limits: NominationLimits) -> dict[str, tuple[str, ...]]:
    """Of `reviewees`, those with fewer approved raters of some type than the cycle's minimum, with why."""
    found = {}
    for reviewee in sorted(set(reviewees)):
        approved: Counter[RaterType] = Counter()
        for d in latest_documents_in(s, corp_id, KIND, cycle_id=cycle_id, subject_userid=reviewee):
            if d.status in STANDING:
                approved[RaterType(d.body["rater_type"])] += 1
        if any(approved[t] < limits.min_of(t) for t in NOMINATED):
            found[reviewee] = shortfalls(reviewee, approved, Counter(), limits)
    return found
