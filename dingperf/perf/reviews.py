"""Review policy per cycle (rater weights, missing-rater policy, anonymity quorum, nomination limits)
and rater nominations: nominated → approved by the reviewee's manager → submitted.

Scoring reads ``ReviewPolicy`` as plain values; this module never computes a score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from dingperf.perf.audit import AuditRecord, record, require_reason, transition_error
from dingperf.perf.errors import ValidationError


class RaterType(StrEnum):
    SELF = "self"
    MANAGER = "manager"
    PEER = "peer"
    SUBORDINATE = "subordinate"
    CROSS_DEPARTMENT = "cross_department"


class MissingRaterPolicy(StrEnum):
    RENORMALISE = "renormalise"  # weights re-spread over present rater groups (w / Σ w_present)
    BLOCK = "block"  # no total until every weighted group is present ("awaiting ...")
    ZERO = "zero"  # a missing group scores 0 (frappe's default; shown so nobody is surprised)


_ANONYMOUS_DEFAULT = frozenset({RaterType.PEER, RaterType.SUBORDINATE, RaterType.CROSS_DEPARTMENT})


@dataclass(frozen=True)
class ReviewPolicy:
    """Declared per cycle and recorded on every result. Weights are percentages totalling 100."""

    weights: tuple[tuple[RaterType, Decimal], ...]
    missing_policy: MissingRaterPolicy = MissingRaterPolicy.RENORMALISE
    anonymity_quorum: int = 3
    anonymous_types: frozenset[RaterType] = _ANONYMOUS_DEFAULT
    min_peers: int = 0
    max_peers: int = 5
    max_subordinates: int = 10
    max_cross_department: int = 3
    nominations_need_approval: bool = True

    def __post_init__(self) -> None:
        seen = [t for t, _ in self.weights]
        if len(seen) != len(set(seen)):
            raise ValidationError(f"rater weights name a rater type twice: {seen}")
        if any(w < 0 for _, w in self.weights):
            raise ValidationError("rater weights must not be negative")
        total = sum((w for _, w in self.weights), Decimal(0))
        if total != 100:
            raise ValidationError(f"rater weights total {total}; they must total 100")
        if self.weight(RaterType.MANAGER) <= 0:
            raise ValidationError("the manager is a mandatory rater and needs a weight above 0")
        if self.anonymity_quorum < (2 if self.anonymous_types else 1):
            raise ValidationError("the anonymity quorum must be at least 2 (3 is usual); with 1, a lone rater's "
                                  "own score would be shown as their group's")
        if not (0 <= self.min_peers <= self.max_peers):
            raise ValidationError(f"peer limits are inconsistent: min {self.min_peers}, max {self.max_peers}")
        if RaterType.SELF in self.anonymous_types or RaterType.MANAGER in self.anonymous_types:
            raise ValidationError("self and manager reviews are never anonymous")

    def weight(self, rater_type: RaterType) -> Decimal:
        return dict(self.weights).get(RaterType(rater_type), Decimal(0))

    def fractions(self) -> dict[RaterType, Decimal]:
        """Weights as fractions of 1 for the rater types that carry weight."""
        return {t: w / 100 for t, w in self.weights if w > 0}

    def is_anonymous(self, rater_type: RaterType) -> bool:
        return RaterType(rater_type) in self.anonymous_types

    def rater_config_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``raters.RaterConfig.build`` (same group codes and policy names)."""
        weighted = [t for t, w in self.weights if w > 0]
        anonymous = [t.value for t in weighted if t in self.anonymous_types]
        return {
            "weights": {t.value: w for t, w in self.weights if w > 0},
            "policy": self.missing_policy.value,
            "mandatory": ("manager",),
            "anonymous": tuple(anonymous),
            "quorum": {code: self.anonymity_quorum for code in anonymous},
        }

    def as_dict(self) -> dict[str, Any]:
        """The declaration as plain values, to be saved on each result."""
        return {
            "weights": {t.value: str(w) for t, w in self.weights},
            "missing_policy": self.missing_policy.value,
            "anonymity_quorum": self.anonymity_quorum,
            "anonymous_types": sorted(t.value for t in self.anonymous_types),
            "min_peers": self.min_peers,
            "max_peers": self.max_peers,
        }


def review_policy(weights: Mapping[RaterType, Decimal | int | str], **options: Any) -> ReviewPolicy:
    """Build a policy from a ``{rater_type: percent}`` mapping."""
    pairs = tuple((RaterType(t), Decimal(str(w))) for t, w in weights.items())
    return ReviewPolicy(pairs, **options)


def visible_rater_groups(submitted: Mapping[RaterType, int], policy: ReviewPolicy) -> dict[RaterType, bool]:
    """Which groups may be shown: anonymous groups only at or above the quorum, never below."""
    return {
        RaterType(t): (n > 0 and (not policy.is_anonymous(t) or n >= policy.anonymity_quorum))
        for t, n in submitted.items()
    }


class NominationStatus(StrEnum):
    NOMINATED = "nominated"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"


_ACTIVE = (NominationStatus.NOMINATED, NominationStatus.APPROVED, NominationStatus.SUBMITTED)
_ALLOWED = {
    NominationStatus.NOMINATED: ("approve", "reject", "withdraw"),
    NominationStatus.APPROVED: ("submit", "withdraw"),
    NominationStatus.REJECTED: (),
    NominationStatus.SUBMITTED: (),
    NominationStatus.WITHDRAWN: (),
}


@dataclass(frozen=True)
class Nomination:
    """One rater of one reviewee in one cycle."""

    cycle_id: str
    reviewee: str
    rater: str
    rater_type: RaterType
    nominated_by: str
    status: NominationStatus = NominationStatus.NOMINATED


def nominate(cycle_id: str, reviewee: str, rater: str, rater_type: RaterType, nominated_by: str,
             policy: ReviewPolicy) -> Nomination:
    """A new nomination; self and manager raters are assigned, so they start approved."""
    rt = RaterType(rater_type)
    if rt is RaterType.SELF and rater != reviewee:
        raise ValidationError(f"a self review is written by {reviewee}, not {rater}")
    if rt is not RaterType.SELF and rater == reviewee:
        raise ValidationError(f"{rater} cannot rate themselves as {rt.value}; use the self review")
    assigned = rt in (RaterType.SELF, RaterType.MANAGER) or not policy.nominations_need_approval
    status = NominationStatus.APPROVED if assigned else NominationStatus.NOMINATED
    return Nomination(cycle_id, reviewee, rater, rt, nominated_by, status)


def _move(nom: Nomination, action: str, to: NominationStatus, actor: str, now: datetime,
          reason: str = "") -> tuple[Nomination, AuditRecord]:
    if action not in _ALLOWED[nom.status]:
        raise transition_error(f"nomination of {nom.rater} for {nom.reviewee}", nom.status.value, action,
                               _ALLOWED[nom.status])
    return replace(nom, status=to), record(actor, action, nom.status.value, to.value, now, reason)


def approve(nom: Nomination, actor: str, now: datetime, reviewee_manager: str) -> tuple[Nomination, AuditRecord]:
    """The reviewee's manager approves a nominated rater."""
    if actor != reviewee_manager:
        raise ValidationError(f"only {nom.reviewee}'s manager ({reviewee_manager}) approves raters, not {actor}")
    return _move(nom, "approve", NominationStatus.APPROVED, actor, now)


def reject(nom: Nomination, actor: str, now: datetime, reviewee_manager: str, reason: str) -> tuple[Nomination, AuditRecord]:
    """The reviewee's manager rejects a nominated rater, with a reason."""
    if actor != reviewee_manager:
        raise ValidationError(f"only {nom.reviewee}'s manager ({reviewee_manager}) rejects raters, not {actor}")
    return _move(nom, "reject", NominationStatus.REJECTED, actor, now, require_reason(reason, "reject"))


def submit(nom: Nomination, actor: str, now: datetime) -> tuple[Nomination, AuditRecord]:
    """The rater submits an approved review."""
    if actor != nom.rater:
        raise ValidationError(f"only the rater {nom.rater} submits this review, not {actor}")
    return _move(nom, "submit", NominationStatus.SUBMITTED, actor, now)


def withdraw(nom: Nomination, actor: str, now: datetime, reason: str) -> tuple[Nomination, AuditRecord]:
    """Withdraw a nomination that was not submitted yet (rater left, conflict found...)."""
    return _move(nom, "withdraw", NominationStatus.WITHDRAWN, actor, now, require_reason(reason, "withdraw"))


def check_nominations(
    reviewee: str,
    nominations: Sequence[Nomination],
    policy: ReviewPolicy,
    *,
    manager_of: Mapping[str, str],
    departments_of: Mapping[str, frozenset[str]] | None = None,
) -> tuple[str, ...]:
    """Problems with one reviewee's active nominations, as messages; empty when valid."""
    active = [n for n in nominations if n.reviewee == reviewee and n.status in _ACTIVE]
    problems: list[str] = []
    by_type: dict[RaterType, list[Nomination]] = {t: [] for t in RaterType}
    for n in active:
        by_type[n.rater_type].append(n)
    manager = manager_of.get(reviewee)
    if not by_type[RaterType.MANAGER]:
        problems.append(f"{reviewee} has no manager rater; the manager review is mandatory")
    elif manager is not None and all(n.rater != manager for n in by_type[RaterType.MANAGER]):
        problems.append(f"the manager rater of {reviewee} must be their manager {manager}")
    if policy.weight(RaterType.SELF) > 0 and not by_type[RaterType.SELF]:
        problems.append(f"{reviewee} has no self review but the policy weights self reviews")
    raters = [n.rater for n in active]
    for dup in sorted({r for r in raters if raters.count(r) > 1}):
        problems.append(f"{dup} is nominated more than once for {reviewee}; keep one rater type")
    peers = len(by_type[RaterType.PEER])
    if peers < policy.min_peers:
        problems.append(f"{reviewee} has {peers} peer raters; add {policy.min_peers - peers} (minimum {policy.min_peers})")
    if peers > policy.max_peers:
        problems.append(f"{reviewee} has {peers} peer raters; remove {peers - policy.max_peers} (maximum {policy.max_peers})")
    if len(by_type[RaterType.SUBORDINATE]) > policy.max_subordinates:
        problems.append(f"{reviewee} has more than {policy.max_subordinates} subordinate raters")
    if len(by_type[RaterType.CROSS_DEPARTMENT]) > policy.max_cross_department:
        problems.append(f"{reviewee} has more than {policy.max_cross_department} cross-department raters")
    for n in by_type[RaterType.SUBORDINATE]:
        if manager_of.get(n.rater) != reviewee:
            problems.append(f"{n.rater} does not report to {reviewee} and cannot rate as a subordinate")
    for n in by_type[RaterType.PEER]:
        if n.rater == manager:
            problems.append(f"{n.rater} is {reviewee}'s manager and cannot also rate as a peer")
    if departments_of is not None:
        own = departments_of.get(reviewee, frozenset())
        for n in by_type[RaterType.CROSS_DEPARTMENT]:
            if departments_of.get(n.rater, frozenset()) & own:
                problems.append(f"{n.rater} shares a department with {reviewee}; nominate them as a peer instead")
    return tuple(problems)


def require_valid_nominations(reviewee: str, nominations: Sequence[Nomination], policy: ReviewPolicy, *,
                              manager_of: Mapping[str, str],
                              departments_of: Mapping[str, frozenset[str]] | None = None) -> None:
    """Raise ValidationError listing every problem found by ``check_nominations``."""
    problems = check_nominations(reviewee, nominations, policy, manager_of=manager_of, departments_of=departments_of)
    if problems:
        raise ValidationError("; ".join(problems))
