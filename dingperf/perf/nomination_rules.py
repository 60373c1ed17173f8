"""Per-cycle nomination limits and who may rate whom: the pure rules behind stored nominations
(services/nominations.py) and the refusal of ratings from raters without standing (services/score_inputs.py).

Self and manager raters are assigned by the org chart; peer, subordinate and cross-department raters are
nominated and approved. A nominated group is only as trustworthy as its approvals, so ratings from those groups
need an approved nomination whenever the cycle weights one of them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from dingperf.perf.cycles import PHASE_ORDER, Phase, phase_index
from dingperf.perf.errors import TransitionError, ValidationError
from dingperf.perf.raters import RaterConfig
from dingperf.perf.reviews import RaterType

NOMINATED: tuple[RaterType, ...] = (RaterType.PEER, RaterType.SUBORDINATE, RaterType.CROSS_DEPARTMENT)
# The defaults when a cycle declares no limits, in one place. PRODUCT.md §2.4 recommends at least 3 peers (also
# the usual anonymity quorum); the maxima keep the 360 load bounded and match ReviewPolicy's defaults.
DEFAULT_MINIMUM: Mapping[RaterType, int] = {RaterType.PEER: 3, RaterType.SUBORDINATE: 0,
                                            RaterType.CROSS_DEPARTMENT: 0}
DEFAULT_MAXIMUM: Mapping[RaterType, int] = {RaterType.PEER: 5, RaterType.SUBORDINATE: 10,
                                            RaterType.CROSS_DEPARTMENT: 3}
# Raters are nominated from goal setting until the manager and 360 review closes; later, a new rater could
# only rate after calibration had started.
NOMINATION_PHASES: tuple[Phase, ...] = PHASE_ORDER[: phase_index(Phase.MANAGER_REVIEW) + 1]


@dataclass(frozen=True)
class NominationLimits:
    """Approved raters needed (minimum) and active ones allowed (maximum) per nominated group, and whether
    ratings from nominated groups need an approved nomination (``required``)."""

    minimum: tuple[tuple[RaterType, int], ...]
    maximum: tuple[tuple[RaterType, int], ...]
    required: bool

    def __post_init__(self) -> None:
        for t in NOMINATED:
            low, high = self.min_of(t), self.max_of(t)
            if low < 0 or high < 0:
                raise ValidationError(f"{t.value} rater limits must not be negative (minimum {low}, maximum {high})")
            if low > high:
                raise ValidationError(f"{t.value} rater limits are inconsistent: minimum {low} above maximum {high}")

    def min_of(self, rater_type: RaterType) -> int:
        """Approved raters of this type each reviewee needs."""
        return dict(self.minimum).get(RaterType(rater_type), 0)

    def max_of(self, rater_type: RaterType) -> int:
        """Active (nominated or approved) raters of this type a reviewee may have; 0 = the cycle does not use it."""
        return dict(self.maximum).get(RaterType(rater_type), 0)

    def as_dict(self) -> dict[str, Any]:
        """Plain values, as stored and shown."""
        return {"required": self.required, "minimum": {t.value: n for t, n in self.minimum},
                "maximum": {t.value: n for t, n in self.maximum}}


def nominated_type(code: object, where: str = "") -> RaterType:
    """The rater type `code` names, if it is one that is nominated (peer, subordinate, cross-department); else
    ValidationError (self and manager reviewers come from the org chart)."""
    kinds = [t.value for t in NOMINATED]
    try:
        t = RaterType(code)
    except ValueError as exc:
        raise ValidationError(f"{where}unknown rater type {code!r}; use one of {kinds}") from exc
    if t not in NOMINATED:
        raise ValidationError(f"{where}{t.value} raters are assigned by the org chart, not nominated; "
                              f"use one of {kinds}")
    return t


def _counts(declared: object, what: str) -> dict[RaterType, int]:
    if not isinstance(declared, Mapping):
        raise ValidationError(f"{what} must map rater types to counts, e.g. {{'peer': 3}}; got {declared!r}")
    counts: dict[RaterType, int] = {}
    for code, n in declared.items():
        t = nominated_type(code, f"{what}: ")
        if isinstance(n, bool) or not isinstance(n, int):
            raise ValidationError(f"{what} of {t.value} must be a whole number, got {n!r}")
        counts[t] = n
    return counts


def nomination_limits(config: RaterConfig, declared: Mapping[str, Any] | None = None) -> NominationLimits:
    """The cycle's limits: what HR declared, else the defaults — a weighted group needs its quorum (peers at
    least 3) and allows its default maximum; a group the cycle does not weight allows nobody. Nominations are
    required whenever a nominated group carries weight."""
    declared = declared or {}
    weighted = {RaterType(g.code): g for g in config.groups if g.weight > 0 and RaterType(g.code) in NOMINATED}
    low = _counts(declared.get("minimum", {}), "minimum")
    high = _counts(declared.get("maximum", {}), "maximum")
    for t in set(low) | set(high):
        if t not in weighted and (low.get(t, 0) or high.get(t, 0)):
            raise ValidationError(f"this cycle gives {t.value} raters no weight; weight them in the cycle's rater "
                                  "groups before setting their limits")
    minimum, maximum = [], []
    for t, g in weighted.items():
        floor = low.get(t, max(DEFAULT_MINIMUM[t], g.quorum if g.quorum > 1 else 0))
        minimum.append((t, floor))
        maximum.append((t, high.get(t, max(DEFAULT_MAXIMUM[t], floor))))
    required = declared.get("required", bool(weighted))
    if not isinstance(required, bool):
        raise ValidationError(f"'required' must be true or false, got {required!r}")
    return NominationLimits(tuple(minimum), tuple(maximum), required)


def require_nomination_phase(phase: str, cycle_id: str) -> None:
    """TransitionError unless raters may be nominated, approved or withdrawn in this phase."""
    if Phase(phase) not in NOMINATION_PHASES:
        raise TransitionError(f"cycle {cycle_id} is in its {Phase(phase).value} phase: raters are nominated and "
                              "approved only from goal setting until the manager and 360 review closes; "
                              "HR can re-open that phase if a rater must still be added")


def check_nominee(reviewee: str, rater: str, rater_type: RaterType, limits: NominationLimits, *,
                  reviewee_manager: str | None, rater_manager: str | None, reviewee_depts: Collection[int],
                  rater_depts: Collection[int], active_of_type: int) -> RaterType:
    """ValidationError unless `rater` may be nominated as `rater_type` for `reviewee`; returns the type."""
    t = nominated_type(rater_type)
    if rater == reviewee:
        raise ValidationError(f"{rater} cannot rate themselves as {t.value}; their own view is the self review")
    if limits.max_of(t) == 0:
        raise ValidationError(f"this cycle does not use {t.value} raters; nominate "
                              f"{', '.join(x.value for x in NOMINATED if limits.max_of(x))} raters instead"
                              if any(limits.max_of(x) for x in NOMINATED) else
                              "this cycle uses no peer, subordinate or cross-department raters")
    if reviewee_manager is not None and rater == reviewee_manager:
        raise ValidationError(f"{rater} is {reviewee}'s manager and rates as manager, not as {t.value}")
    if t is RaterType.SUBORDINATE and rater_manager != reviewee:
        raise ValidationError(f"{rater} does not report to {reviewee} and cannot rate as a subordinate; "
                              "nominate them as a peer or cross-department rater")
    if t is RaterType.CROSS_DEPARTMENT:
        if not reviewee_depts:
            raise ValidationError(f"{reviewee}'s departments are unknown, so a cross-department rater cannot be "
                                  "checked; sync contacts first")
        if set(rater_depts) & set(reviewee_depts):
            raise ValidationError(f"{rater} shares a department with {reviewee}; nominate them as a peer instead")
    if active_of_type >= limits.max_of(t):
        raise ValidationError(f"{reviewee} already has {active_of_type} {t.value} raters (maximum "
                              f"{limits.max_of(t)}); withdraw one before nominating {rater}")
    return t


def shortfalls(reviewee: str, approved: Mapping[RaterType, int], pending: Mapping[RaterType, int],
               limits: NominationLimits) -> tuple[str, ...]:
    """What one reviewee lacks (or has too many of) against the limits, as messages; empty when fine."""
    problems = []
    for t in NOMINATED:
        ok, waiting = approved.get(t, 0), pending.get(t, 0)
        need, most = limits.min_of(t), limits.max_of(t)
        if ok < need:
            hint = f" ({waiting} awaiting approval)" if waiting else ""
            problems.append(f"{reviewee} has {ok} approved {t.value} raters of {need} needed{hint}; "
                            f"nominate and approve {need - ok} more")
        if ok + waiting > most:
            problems.append(f"{reviewee} has {ok + waiting} {t.value} raters (maximum {most}); withdraw "
                            f"{ok + waiting - most}")
    return tuple(problems)


def rating_problem(reviewee: str, rater: str, group: str, *, manager: str | None, approved: bool,
                   limits: NominationLimits, hr_override: bool = False) -> str | None:
    """Why `rater` may not rate `reviewee` as `group`, or None when they may: self only by the reviewee; manager
    only by the known manager (HR may override; an unknown manager is refused when nominations are required);
    nominated groups only by an approved nominee when nominations are required."""
    if group == RaterType.SELF:
        return None if rater == reviewee else f"{rater} cannot write {reviewee}'s self review; only {reviewee} can"
    if group == RaterType.MANAGER:
        if hr_override or rater == manager:
            return None
        if manager is None:
            return (None if not limits.required else
                    f"no manager is recorded for {reviewee}, so {rater}'s manager rating cannot be checked; set the "
                    "participant's manager or sync contacts (or HR records it with the override)")
        return (f"{rater} is not {reviewee}'s manager ({manager}); only {manager} rates as manager "
                "(or HR, with the override)")
    if limits.required and not approved:
        return (f"{rater} has no approved {group} nomination for {reviewee}; nominate them and have the "
                f"nomination approved before they rate")
    return None
