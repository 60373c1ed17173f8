"""Who still owes what in a cycle's current phase, read from the store and judged by `perf.reminders`.

Goal setting/confirmation read the newest revision of the cycle's goals; self review the self ratings (when
the cycle's rater groups weigh self); manager review the manager ratings and the approved 360 nominations
without a rating; calibration whether every result is scored; the appeal window the appeals still open.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import and_
from sqlmodel import Session, col, select

from dingperf.perf.cycles import Phase
from dingperf.perf.raters import RaterConfig
from dingperf.perf.reminders import (
    Debt,
    GoalState,
    appeal_debts,
    calibration_debts,
    goal_debts,
    manager_review_debts,
    self_review_debts,
)
from dingperf.perf.reviews import NominationStatus, RaterType
from dingperf.perf.templates import Template
from dingperf.services.documents import latest_documents_in
from dingperf.services.phases import calibration_finalised
from dingperf.store.tables.org import Employee
from dingperf.store.tables.perf_appeals import PerfAppeal
from dingperf.store.tables.perf_cycles import PerfCycle
from dingperf.store.tables.perf_goals import PerfGoal
from dingperf.store.tables.perf_inputs import PerfRating
from dingperf.store.tables.perf_participants import PerfParticipant
from dingperf.store.tables.perf_templates import PerfTemplate

NOMINATION = "nomination"
_CHUNK = 500  # userids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits


def participant_managers(s: Session, corp_id: str, cycle_id: str) -> dict[str, str | None]:
    """Participant → manager: as recorded on the participant, else the synced address book's."""
    rows = s.exec(select(PerfParticipant.userid, PerfParticipant.manager_userid, Employee.manager_userid)
                  .select_from(PerfParticipant)
                  .outerjoin(Employee, and_(col(Employee.corp_id) == col(PerfParticipant.corp_id),
                                            col(Employee.userid) == col(PerfParticipant.userid)))
                  .where(PerfParticipant.corp_id == corp_id, PerfParticipant.cycle_id == cycle_id)).all()
    return {u: own or synced for u, own, synced in rows}


def people(s: Session, corp_id: str, userids: Iterable[str]) -> dict[str, tuple[str, str | None]]:
    """Userid → (name, manager) from the synced address book, for those it knows."""
    ids = sorted(set(userids))
    found: dict[str, tuple[str, str | None]] = {}
    for i in range(0, len(ids), _CHUNK):
        rows = s.exec(select(Employee.userid, Employee.name, Employee.manager_userid)
                      .where(Employee.corp_id == corp_id, col(Employee.userid).in_(ids[i:i + _CHUNK]))).all()
        found.update({u: (name, manager) for u, name, manager in rows})
    return found


def _raters(s: Session, row: PerfCycle) -> RaterConfig:
    if row.raters:
        return RaterConfig.from_dict(row.raters)
    body = s.exec(select(PerfTemplate.body).where(PerfTemplate.corp_id == row.corp_id,
                                                  PerfTemplate.template_id == row.template_id,
                                                  PerfTemplate.version == row.template_version)).one()
    return Template.from_dict(body).raters


def _weighs(config: RaterConfig, group: str) -> bool:
    return any(g.code == group and g.weight > 0 for g in config.groups)


def _goals(s: Session, corp_id: str, cycle_id: str) -> list[GoalState]:
    newest: dict[str, PerfGoal] = {}
    for r in s.exec(select(PerfGoal).where(PerfGoal.corp_id == corp_id, PerfGoal.cycle_id == cycle_id)).all():
        if r.goal_id not in newest or r.revision > newest[r.goal_id].revision:
            newest[r.goal_id] = r
    goals = []
    for _, r in sorted(newest.items()):
        goal = r.body.get("goal") or {}  # goal_store.document_body: {"goal": goal_to_json(...), "check_ins": [...]}
        goals.append(GoalState(r.goal_id, r.owner_userid, r.status, str(goal.get("sent_by") or ""),
                               bool(goal.get("cancelled"))))
    return goals


def _ratings(s: Session, corp_id: str, cycle_id: str, group: str | None = None) -> list[tuple[str, str, str]]:
    stmt = (select(PerfRating.userid, PerfRating.rater_id, PerfRating.rater_group).distinct()
            .where(PerfRating.corp_id == corp_id, PerfRating.cycle_id == cycle_id))
    return list(s.exec(stmt if group is None else stmt.where(PerfRating.rater_group == group)).all())


def _nominations(s: Session, corp_id: str, cycle_id: str) -> list[tuple[str, str]]:
    # Self and manager nominations are chased as the participant's self review and the manager's rating.
    docs = latest_documents_in(s, corp_id, NOMINATION, cycle_id=cycle_id, status=NominationStatus.APPROVED.value)
    return [(d.subject_userid or "", str(d.body.get("rater") or "")) for d in docs
            if d.body.get("rater_type") not in (RaterType.SELF.value, RaterType.MANAGER.value) and d.body.get("rater")]


def phase_debts(s: Session, row: PerfCycle, hr_userids: Sequence[str] = ()) -> list[Debt]:
    """Every piece of work still owed in the cycle's current phase (nothing for phases nobody acts in)."""
    phase, corp_id, cycle_id = Phase(row.phase), row.corp_id, row.cycle_id
    if phase in (Phase.GOAL_SETTING, Phase.CONFIRMATION):
        return goal_debts(participant_managers(s, corp_id, cycle_id), _goals(s, corp_id, cycle_id))
    if phase is Phase.SELF_REVIEW:
        rated_self = {u for u, rater, _ in _ratings(s, corp_id, cycle_id, "self") if rater == u}
        return self_review_debts(participant_managers(s, corp_id, cycle_id), rated_self,
                                 self_weighted=_weighs(_raters(s, row), "self"))
    if phase is Phase.MANAGER_REVIEW:
        ratings = _ratings(s, corp_id, cycle_id)
        return manager_review_debts(participant_managers(s, corp_id, cycle_id),
                                    {u for u, _, group in ratings if group == "manager"},
                                    _nominations(s, corp_id, cycle_id), {(u, rater) for u, rater, _ in ratings},
                                    manager_weighted=_weighs(_raters(s, row), "manager"))
    if phase is Phase.CALIBRATION:
        return calibration_debts(hr_userids, finalised=calibration_finalised(s, corp_id, cycle_id))
    if phase is Phase.APPEAL_WINDOW:
        appeals = s.exec(select(PerfAppeal.appeal_id, PerfAppeal.status, PerfAppeal.handler)
                         .where(PerfAppeal.corp_id == corp_id, PerfAppeal.cycle_id == cycle_id)).all()
        return appeal_debts(appeals, hr_userids)
    return []
