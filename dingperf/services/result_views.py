"""Results as a given viewer may see them: the one place that applies the visibility matrix (perf.visibility).

`view_result` is one result page (scores, the redacted breakdown, own ratings, appeals); `visible_results` is
the list page (every result the viewer may see something of, summary fields only, in a fixed number of reads).
Both are JSON-ready. `dingperf explain` is the admin view and does not come through here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from dingperf.perf.errors import DomainError
from dingperf.perf.explanation import to_dict
from dingperf.perf.numbers import to_decimal
from dingperf.perf.result_redaction import redact_breakdown
from dingperf.perf.reviews import NominationStatus
from dingperf.perf.visibility import Facet, Role, facets_for, require_visible, roles_of, stage_of
from dingperf.services.appeals import list_appeals
from dingperf.services.cycles import CycleRecord, get_cycle
from dingperf.services.documents import get_document_in
from dingperf.services.nominations import KIND as NOMINATION
from dingperf.services.nominations import nomination_id
from dingperf.services.org_chain import manager_chain, reports_under
from dingperf.services.results import get_result
from dingperf.services.scoring_service import explain
from dingperf.services.templates import get_template
from dingperf.store.engine import NotFound, Store
from dingperf.store.perf_repositories import loads
from dingperf.store.tables.perf_documents import PerfDocument
from dingperf.store.tables.perf_inputs import PerfRating
from dingperf.store.tables.perf_participants import PerfParticipant
from dingperf.store.tables.perf_results import PerfResult

_RATING = (NominationStatus.APPROVED.value, NominationStatus.SUBMITTED.value)  # nominations that may rate
_CHUNK = 500  # ids per IN (...) read


@dataclass(frozen=True)
class _Score:
    """The score fields of a stored result that a view may show."""

    status: str
    blocked_reason: str | None
    total: Decimal | None
    grade: str | None
    calibrated_total: Decimal | None
    calibrated_grade: str | None
    calibration_reason: str | None
    sections: dict[str, Any]
    released_at: datetime | None
    acknowledged_at: datetime | None


def _text(value: object) -> str | None:
    return None if value is None else f"{value}"


def _score_fields(score: _Score | None, facets: Collection[Facet]) -> dict[str, Any]:
    if Facet.TOTAL not in facets:
        return {}
    if score is None:
        return {"scored": False, "note": "not scored yet; scores appear once the cycle is scored"}
    calibrated = score.calibrated_grade is not None or score.calibrated_total is not None
    final_total = score.calibrated_total if score.calibrated_total is not None else score.total
    out: dict[str, Any] = {"scored": True, "status": score.status, "blocked_reason": score.blocked_reason,
                           "total": _text(final_total), "grade": score.calibrated_grade or score.grade,
                           "released": score.released_at is not None,
                           "acknowledged": score.acknowledged_at is not None}
    if Facet.COMPUTED in facets:
        out["calibrated"] = calibrated
        out["computed"] = {"total": _text(score.total), "grade": score.grade}
    if Facet.CALIBRATION_REASON in facets:
        out["calibration_reason"] = score.calibration_reason
    if Facet.SECTIONS in facets:
        out["sections"] = {k: _text(v) for k, v in score.sections.items()}
    return out


def _rating_dict(r: PerfRating) -> dict[str, Any]:
    return {"rater": r.rater_id, "group": r.rater_group, "section": r.section, "ratings": dict(r.ratings),
            "submitted_at": r.submitted_at.isoformat()}


def _nominated(s: Session, corp_id: str, cycle_id: str, subject: str, viewer: str) -> bool:
    try:
        doc = get_document_in(s, corp_id, NOMINATION, nomination_id(cycle_id, subject, viewer))
    except NotFound:
        return False
    return doc.status in _RATING


def _anonymous_groups(store: Store, cycle: CycleRecord) -> set[str]:
    config = cycle.raters or get_template(store, cycle.corp_id, cycle.template.id, cycle.template.version).raters
    return {g.code for g in config.groups if g.anonymous} if config is not None else set()


def _breakdown(store: Store, cycle: CycleRecord, subject: str, facets: Collection[Facet],
               stored: dict[str, Any] | None, stored_total: Decimal | None) -> dict[str, Any]:
    """The explanation the result was stored with, else recomputed (flagged stale if it no longer matches)."""
    try:
        tree = stored if stored is not None else to_dict(explain(store, cycle.corp_id, cycle.cycle_id, subject))
    except DomainError as exc:  # inputs removed or changed since scoring: say so rather than fail the page
        return {"unavailable": f"the breakdown cannot be recomputed now: {exc}", "stale": True}
    total = tree.get("total")
    out = redact_breakdown(tree, facets, anonymous_groups=_anonymous_groups(store, cycle))
    out["stale"] = total is not None and stored_total is not None and Decimal(str(total)) != stored_total
    return out


def _appeals(store: Store, corp_id: str, cycle_id: str, subject: str) -> list[dict[str, Any]]:
    return [{"appeal_id": a.appeal_id, "status": a.status.value, "target": {"subject": a.target.subject.value,
                                                                           "ref": a.target.ref},
             "filed_at": a.filed_at.isoformat(), "handler": a.handler or None,
             "deadline": None if a.deadline is None else a.deadline.isoformat(),
             "decided_at": None if a.decided_at is None else a.decided_at.isoformat(),
             "new_score": _text(a.new_score), "decision_reason": a.decision_reason or None}
            for a in list_appeals(store, corp_id, cycle_id, userid=subject)]


def view_result(store: Store, corp_id: str, cycle_id: str, subject: str, viewer: str, *,
                hr_userids: Collection[str]) -> dict[str, Any]:
    """One result redacted for `viewer`; NotVisible when they may see nothing of it now, NotFound when `subject`
    is not a participant (told only to viewers who could see something)."""
    cycle = get_cycle(store, corp_id, cycle_id)
    with store.session() as s:
        chain = manager_chain(s, corp_id, cycle_id, subject)
        own = list(s.exec(select(PerfRating).where(PerfRating.corp_id == corp_id, PerfRating.cycle_id == cycle_id,
                                                   PerfRating.userid == subject, PerfRating.rater_id == viewer)
                          .order_by(col(PerfRating.section))))
        rated = bool(own) or (viewer != subject and _nominated(s, corp_id, cycle_id, subject, viewer))
        released_at = s.exec(select(PerfResult.released_at).where(
            PerfResult.corp_id == corp_id, PerfResult.cycle_id == cycle_id, PerfResult.userid == subject)).first()
        participant = s.get(PerfParticipant, (corp_id, cycle_id, subject)) is not None
        own_dicts = [_rating_dict(r) for r in own]
    roles = roles_of(viewer, subject, hr_userids=hr_userids, manager_chain=chain, rated=rated)
    stage = stage_of(cycle.phase, released_at is not None)
    facets = require_visible(roles, stage, subject, cycle_id, has_own_ratings=bool(own))
    if not participant:
        raise NotFound(f"{subject} is not a participant of cycle {cycle_id}; check the userid")
    view: dict[str, Any] = {"cycle_id": cycle_id, "subject": subject, "viewer": viewer, "phase": cycle.phase,
                            "stage": stage.value, "roles": sorted(r.value for r in roles),
                            "visible": sorted(f.value for f in facets)}
    if Facet.OWN_RATINGS in facets:
        view["own_ratings"] = own_dicts
    if Facet.TOTAL in facets:
        _add_scores(store, cycle, subject, facets, view)
    if Facet.ANONYMOUS_RATERS in facets:
        view["ratings"] = _all_ratings(store, corp_id, cycle_id, subject)
    if Facet.APPEAL in facets:
        view["appeals"] = _appeals(store, corp_id, cycle_id, subject)
    return view


def _add_scores(store: Store, cycle: CycleRecord, subject: str, facets: Collection[Facet],
                view: dict[str, Any]) -> None:
    try:
        r = get_result(store, cycle.corp_id, cycle.cycle_id, subject)
    except NotFound:
        view.update(_score_fields(None, facets))
        return
    view.update(_score_fields(_Score(r.status, r.blocked_reason, r.total, r.grade, r.calibrated_total,
                                     r.calibrated_grade, r.calibration_reason, dict(r.sections), r.released_at,
                                     r.acknowledged_at), facets))
    if Facet.BREAKDOWN in facets:
        stored = None
        if r.has_explanation:
            with store.session() as s:
                stored = s.exec(select(PerfResult.explanation).where(
                    PerfResult.corp_id == cycle.corp_id, PerfResult.cycle_id == cycle.cycle_id,
                    PerfResult.userid == subject)).one()
        view["breakdown"] = _breakdown(store, cycle, subject, facets, loads(stored), r.total)


def _all_ratings(store: Store, corp_id: str, cycle_id: str, subject: str) -> list[dict[str, Any]]:
    with store.session() as s:
        rows = s.exec(select(PerfRating).where(PerfRating.corp_id == corp_id, PerfRating.cycle_id == cycle_id,
                                               PerfRating.userid == subject)
                      .order_by(col(PerfRating.section), col(PerfRating.rater_group), col(PerfRating.rater_id)))
        return [_rating_dict(r) for r in rows]


# -- the list page -------------------------------------------------------------------------------------------

_SCORE_COLUMNS = (PerfResult.userid, PerfResult.status, PerfResult.blocked_reason, PerfResult.total,
                  PerfResult.grade, PerfResult.calibrated_total, PerfResult.calibrated_grade,
                  PerfResult.calibration_reason, PerfResult.sections, PerfResult.released_at,
                  PerfResult.acknowledged_at)


def _exact(value: object) -> Decimal | None:
    # SQLite hands Numeric back through float; the column's scale makes it exact again, then trim zeros.
    return None if value is None else Decimal(f"{to_decimal(value).normalize():f}")


def _scores(s: Session, corp_id: str, cycle_id: str, userids: Collection[str] | None) -> dict[str, _Score]:
    """Score fields of the cycle's results (of `userids`, or all): one read per chunk, no explanation column."""
    base = select(*_SCORE_COLUMNS).where(PerfResult.corp_id == corp_id, PerfResult.cycle_id == cycle_id)
    ids = sorted(userids) if userids is not None else None
    reads = [base] if ids is None else [base.where(col(PerfResult.userid).in_(ids[i:i + _CHUNK]))
                                        for i in range(0, len(ids), _CHUNK)]
    out: dict[str, _Score] = {}
    for stmt in reads:
        for u, status, why, total, grade, c_total, c_grade, reason, sections, rel, ack in s.exec(stmt):
            out[u] = _Score(status, why, _exact(total), grade, _exact(c_total), c_grade, reason,
                            dict(loads(sections) or {}), rel, ack)
    return out


def _rated_by(s: Session, corp_id: str, cycle_id: str, viewer: str) -> tuple[set[str], dict[str, list[PerfRating]]]:
    """Whom the viewer may rate (standing nominations) and what they recorded, per subject."""
    newest: dict[str, PerfDocument] = {}
    for row in s.exec(select(PerfDocument).where(PerfDocument.corp_id == corp_id, PerfDocument.kind == NOMINATION,
                                                 PerfDocument.cycle_id == cycle_id,
                                                 col(PerfDocument.doc_id).endswith(f":{viewer}", autoescape=True))):
        if row.doc_id not in newest or row.revision > newest[row.doc_id].revision:
            newest[row.doc_id] = row
    nominated = {d.subject_userid for d in newest.values()
                 if d.status in _RATING and d.body.get("rater") == viewer and d.subject_userid}
    own: dict[str, list[PerfRating]] = defaultdict(list)
    for r in s.exec(select(PerfRating).where(PerfRating.corp_id == corp_id, PerfRating.cycle_id == cycle_id,
                                             PerfRating.rater_id == viewer)):
        own[r.userid].append(r)
    return nominated, own


def _candidates(s: Session, corp_id: str, cycle_id: str, viewer: str, is_hr: bool,
                nominated: Iterable[str], own: Iterable[str]) -> dict[str, set[Role]]:
    """Participants the viewer holds a role towards, with those roles (HR is added per row by the caller)."""
    participants = set(s.exec(select(PerfParticipant.userid).where(PerfParticipant.corp_id == corp_id,
                                                                   PerfParticipant.cycle_id == cycle_id)))
    roles: dict[str, set[Role]] = {u: set() for u in participants} if is_hr else {}
    for userid, depth in reports_under(s, corp_id, cycle_id, viewer).items():
        if userid in participants:
            roles.setdefault(userid, set()).add(Role.MANAGER if depth == 1 else Role.SKIP_MANAGER)
    if viewer in participants:
        roles.setdefault(viewer, set()).add(Role.SELF)
    for userid in (*nominated, *own):
        if userid in participants and userid != viewer:
            roles.setdefault(userid, set()).add(Role.RATER)
    return roles


def visible_results(store: Store, corp_id: str, cycle_id: str, viewer: str, *,
                    hr_userids: Collection[str]) -> list[dict[str, Any]]:
    """Every participant the viewer may see something of now, by userid: summary fields and own ratings only
    (the breakdown is on view_result). A fixed number of reads whatever the team size."""
    cycle = get_cycle(store, corp_id, cycle_id)
    is_hr = viewer in hr_userids
    with store.session() as s:
        nominated, own = _rated_by(s, corp_id, cycle_id, viewer)
        candidates = _candidates(s, corp_id, cycle_id, viewer, is_hr, nominated, own)
        scores = _scores(s, corp_id, cycle_id, None if is_hr or len(candidates) > 20 * _CHUNK else candidates)
        own_dicts = {u: [_rating_dict(r) for r in sorted(rs, key=lambda r: r.section)] for u, rs in own.items()}
    return list(_rows(cycle, viewer, candidates, scores, own_dicts, is_hr))


def _rows(cycle: CycleRecord, viewer: str, candidates: dict[str, set[Role]], scores: dict[str, _Score],
          own: dict[str, list[dict[str, Any]]], is_hr: bool) -> Iterator[dict[str, Any]]:
    for userid in sorted(candidates):
        roles = candidates[userid] | ({Role.HR} if is_hr and userid != viewer else set())
        score = scores.get(userid)
        stage = stage_of(cycle.phase, score is not None and score.released_at is not None)
        facets = facets_for(roles, stage)
        mine = own.get(userid, [])
        if not (facets - {Facet.OWN_RATINGS} or (facets and mine)):
            continue
        row: dict[str, Any] = {"userid": userid, "roles": sorted(r.value for r in roles), "stage": stage.value}
        row.update(_score_fields(score, facets))
        if Facet.OWN_RATINGS in facets:
            row["own_ratings"] = mine
        yield row
