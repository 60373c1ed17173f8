"""Who sees which parts of a result, and when: the visibility matrix (role × stage → facets).

A viewer's roles towards one subject in one cycle come from the org and the nominations; the stage comes from
the cycle phase and whether results were released. What the viewer may see is the union of the facets of all
their roles at that stage. Decisions the table encodes:

- Results reach the employee only after release (release itself waits for calibration). Before that they see
  only what they submitted themselves (their self review). After release they see everything about their
  result except the calibration reason (it may discuss colleagues and quotas) and anonymous raters.
- The direct manager sees the team's scores from the manager-review phase on; a skip-level manager (anyone
  higher up the chain) from calibration on, when they take part in calibrating the subtree.
- Individual raters of non-anonymous groups (self, manager; peers when a cycle declares them open) are shown,
  with their scores, to the managers, HR and — after release — the employee. Anonymous raters only to HR.
- Calibration groups declare members, not reviewers; calibration is run by HR with the members' managers,
  who hold the HR / manager / skip-level rows below. There is no separate calibrator row.
- HR staff see every result but their own, which reaches them like anyone's (on release, no anonymous raters).
- Raters (nominated peers, subordinates, cross-department raters, anyone with a recorded rating) see only
  what they submitted. Everyone else sees nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from enum import StrEnum

from dingperf.perf.cycles import Phase, phase_index
from dingperf.perf.errors import DomainError


class NotVisible(DomainError):
    """The viewer may see nothing of this result at this stage; the message says when or whom to ask."""


class Role(StrEnum):
    HR = "hr"
    MANAGER = "manager"  # the subject's direct manager
    SKIP_MANAGER = "skip_manager"  # anyone above the direct manager in the chain
    SELF = "self"
    RATER = "rater"  # nominated peer/subordinate/cross-department rater, or anyone who recorded a rating
    OUTSIDER = "outsider"


class Stage(StrEnum):
    BEFORE_REVIEW = "before_review"  # goal setting … self review
    REVIEW = "review"  # manager and 360 review
    CALIBRATION = "calibration"  # calibration, and any later phase while results are not released
    RELEASED = "released"  # results released (whatever the phase)


class Facet(StrEnum):
    TOTAL = "total"  # final total and grade (the calibrated ones when calibration moved them), status
    COMPUTED = "computed"  # the total and grade before calibration, and whether calibration moved them
    CALIBRATION_REASON = "calibration_reason"  # why calibration moved the result, and who moved it
    SECTIONS = "sections"  # points per section
    BREAKDOWN = "breakdown"  # the explanation tree: indicator inputs, achievements, source records
    RATER_GROUPS = "rater_groups"  # each rater group's mean and weight; anonymous below quorum: no number
    RATER_SCORES = "rater_scores"  # who rated in non-anonymous groups, with their scores
    ANONYMOUS_RATERS = "anonymous_raters"  # who rated in anonymous groups, with their own scores
    OWN_RATINGS = "own_ratings"  # what the viewer submitted about the subject
    APPEAL = "appeal"  # appeals filed on the result and their status


NOTHING: frozenset[Facet] = frozenset()
OWN = frozenset({Facet.OWN_RATINGS})
EVERYTHING = frozenset(Facet)
TEAM = frozenset({Facet.TOTAL, Facet.COMPUTED, Facet.CALIBRATION_REASON, Facet.SECTIONS, Facet.BREAKDOWN,
                  Facet.RATER_GROUPS, Facet.RATER_SCORES, Facet.APPEAL})
RELEASED_TO_SELF = frozenset({Facet.TOTAL, Facet.COMPUTED, Facet.SECTIONS, Facet.BREAKDOWN, Facet.RATER_GROUPS,
                              Facet.RATER_SCORES, Facet.APPEAL, Facet.OWN_RATINGS})

STAGES: tuple[Stage, ...] = tuple(Stage)
# The matrix. Columns follow STAGES: before_review, review, calibration, released.
MATRIX: Mapping[Role, tuple[frozenset[Facet], ...]] = {
    Role.HR:           (EVERYTHING, EVERYTHING, EVERYTHING, EVERYTHING),
    Role.MANAGER:      (OWN,        TEAM | OWN, TEAM | OWN, TEAM | OWN),
    Role.SKIP_MANAGER: (NOTHING,    NOTHING,    TEAM,       TEAM),
    Role.SELF:         (OWN,        OWN,        OWN,        RELEASED_TO_SELF),
    Role.RATER:        (OWN,        OWN,        OWN,        OWN),
    Role.OUTSIDER:     (NOTHING,    NOTHING,    NOTHING,    NOTHING),
}


def stage_of(phase: Phase | str, released: bool) -> Stage:
    """The visibility stage of a cycle phase; a released result is RELEASED in any phase."""
    if released:
        return Stage.RELEASED
    i = phase_index(Phase(phase))
    if i < phase_index(Phase.MANAGER_REVIEW):
        return Stage.BEFORE_REVIEW
    if i == phase_index(Phase.MANAGER_REVIEW):
        return Stage.REVIEW
    return Stage.CALIBRATION


def roles_of(viewer: str, subject: str, *, hr_userids: Collection[str], manager_chain: Sequence[str],
             rated: bool) -> frozenset[Role]:
    """The viewer's roles towards the subject; manager_chain starts with the direct manager and goes up."""
    if viewer == subject:
        return frozenset({Role.SELF})  # HR staff are employees too: their own result reaches them on release
    roles: set[Role] = set()
    if viewer in hr_userids:
        roles.add(Role.HR)
    if manager_chain and manager_chain[0] == viewer:
        roles.add(Role.MANAGER)
    elif viewer in manager_chain[1:]:
        roles.add(Role.SKIP_MANAGER)
    if rated:
        roles.add(Role.RATER)
    return frozenset(roles or {Role.OUTSIDER})


def facets_for(roles: Iterable[Role], stage: Stage) -> frozenset[Facet]:
    """What a viewer holding these roles may see at this stage: the union over their roles."""
    column = STAGES.index(Stage(stage))
    out: frozenset[Facet] = NOTHING
    for role in roles:
        out |= MATRIX[Role(role)][column]
    return out


def first_stage(role: Role, facet: Facet) -> Stage | None:
    """The earliest stage at which the role sees the facet (None: never)."""
    return next((s for s, cell in zip(STAGES, MATRIX[role], strict=True) if facet in cell), None)


def refusal(roles: Collection[Role], stage: Stage, subject: str, cycle_id: str) -> str:
    """Why the viewer sees no score of the subject now, and what they can do."""
    if Role.SELF in roles:
        return (f"your result for cycle {cycle_id} is not released yet; results are released after calibration "
                "and you will be told when they are")
    for role, who in ((Role.MANAGER, "your team's"), (Role.SKIP_MANAGER, "your subtree's")):
        when = first_stage(role, Facet.TOTAL)
        if role in roles and when is not None:
            return (f"{who} scores in cycle {cycle_id} are shown from the {when.value.replace('_', ' ')} stage on; "
                    f"the cycle is at {stage.value.replace('_', ' ')} — come back then")
    if Role.RATER in roles:
        return (f"as a rater you see only the ratings you submitted about {subject} in cycle {cycle_id}, and you "
                "have not submitted any yet")
    return (f"you cannot see {subject}'s result in cycle {cycle_id}: results are shown to the employee, their "
            "managers, their raters (own ratings only) and HR; ask HR if you need it")


def require_visible(roles: Collection[Role], stage: Stage, subject: str, cycle_id: str, *,
                    has_own_ratings: bool) -> frozenset[Facet]:
    """The facets to show; NotVisible when nothing would be shown (own ratings count only if there are some)."""
    facets = facets_for(roles, stage)
    if facets - OWN or (facets and has_own_ratings):
        return facets
    raise NotVisible(refusal(roles, stage, subject, cycle_id))
