"""Who may rate whom in one cycle, loaded once per batch of ratings: the approved nominations, every
participant's manager (set on the participant, else the synced one) and the cycle's nomination limits."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select

from dingperf.perf.nomination_rules import NominationLimits, rating_problem
from dingperf.services.documents import latest_documents_in
from dingperf.services.nominations import KIND, STANDING, limits_for
from dingperf.store.engine import Store
from dingperf.store.tables.org import Employee
from dingperf.store.tables.perf_participants import PerfParticipant


@dataclass(frozen=True)
class RatingStanding:
    """The approved (reviewee, rater, group) triples and managers of a cycle, checked without further reads."""

    cycle_id: str
    limits: NominationLimits
    approved: frozenset[tuple[str, str, str]]
    managers: dict[str, str | None]

    def problem(self, reviewee: str, rater: str, group: str, *, hr_override: bool = False) -> str | None:
        """Why this rating may not be recorded, or None when it may (see nomination_rules.rating_problem)."""
        if reviewee not in self.managers:
            return f"{reviewee} is not a participant of cycle {self.cycle_id}; add them to the cycle before rating"
        return rating_problem(reviewee, rater, group, manager=self.managers.get(reviewee),
                              approved=(reviewee, rater, group) in self.approved, limits=self.limits,
                              hr_override=hr_override)

    def is_manager(self, reviewee: str, rater: str) -> bool:
        """True when `rater` is the recorded manager of `reviewee`."""
        return self.managers.get(reviewee) == rater


def rating_standing(store: Store, corp_id: str, cycle_id: str) -> RatingStanding:
    """Load the cycle's standing in three reads (nominations, participants, synced managers)."""
    limits = limits_for(store, corp_id, cycle_id)
    with store.session() as s:
        approved = frozenset((d.subject_userid or "", d.body["rater"], d.body["rater_type"])
                             for d in latest_documents_in(s, corp_id, KIND, cycle_id=cycle_id)
                             if d.status in STANDING)
        set_on_participant = dict(s.exec(select(PerfParticipant.userid, PerfParticipant.manager_userid).where(
            PerfParticipant.corp_id == corp_id, PerfParticipant.cycle_id == cycle_id)).all())
        synced = dict(s.exec(select(Employee.userid, Employee.manager_userid).where(
            Employee.corp_id == corp_id, col(Employee.active))).all()) if not all(set_on_participant.values()) else {}
    managers = {u: m or synced.get(u) for u, m in set_on_participant.items()}
    return RatingStanding(cycle_id, limits, approved, managers)
