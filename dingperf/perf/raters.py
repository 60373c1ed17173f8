"""Rater groups and their aggregation under a declared missing-rater policy (PRODUCT.md §2.4).

Scores are averaged inside a group first, then weighted across groups. A group below its quorum counts
as missing and, when anonymous, nothing about its individual scores leaves this module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from dingperf.perf.errors import ValidationError
from dingperf.perf.numbers import HUNDRED, ZERO, fmt, normalise, to_decimal

GROUPS = ("self", "manager", "peer", "subordinate", "cross_department")
GROUP_LABELS = {"self": "自评 self", "manager": "上级 manager", "peer": "同事 peer",
                "subordinate": "下级 subordinate", "cross_department": "跨部门 cross-department"}
Policy = Literal["renormalise", "block", "zero"]
GroupStatus = Literal["present", "missing", "below_quorum"]


@dataclass(frozen=True, slots=True)
class RaterGroup:
    """A rater group with its normalised weight (fraction of 1), quorum and anonymity."""

    code: str
    weight: Decimal
    mandatory: bool = False
    anonymous: bool = False
    quorum: int = 1

    def __post_init__(self) -> None:
        if self.code not in GROUPS:
            raise ValidationError(f"unknown rater group {self.code!r}; use one of {', '.join(GROUPS)}")
        if self.weight < 0:
            raise ValidationError(f"rater group {self.code!r} has a negative weight; use 0 or more")
        if self.quorum < 1:
            raise ValidationError(f"rater group {self.code!r}: quorum must be at least 1")
        if self.anonymous and self.quorum < 2:
            # With a quorum of 1 the group's mean is one person's score, and nominations say who rated.
            raise ValidationError(f"anonymous rater group {self.code!r} needs a quorum of at least 2 (3 is usual); "
                                  "with 1, a lone rater's own score would be shown as the group's")


@dataclass(frozen=True, slots=True)
class WeightSet:
    """A scenario weight set (dootask style), used when exactly these groups are present."""

    name: str
    weights: Mapping[str, Decimal]

    def __hash__(self) -> int:  # the mapping is not hashable; hash its items so templates stay hashable
        return hash((self.name, tuple(sorted(self.weights.items()))))


def _percent_weights(weights: Mapping[str, object], what: str) -> dict[str, Decimal]:
    values = {code: to_decimal(w, f"weight of rater group {code!r}") for code, w in weights.items()}
    total = sum(values.values(), ZERO)
    if total != HUNDRED:
        biggest = max(values, key=lambda c: values[c]) if values else "a group"
        raise ValidationError(f"{what} weights total {fmt(total)}, not 100; adjust {biggest!r} by "
                              f"{fmt(HUNDRED - total)} (or spread the difference over the groups)")
    return {code: w / HUNDRED for code, w in values.items()}


@dataclass(frozen=True)
class RaterConfig:
    """Groups, the missing-rater policy and scenario weight sets; declared per template or cycle."""

    groups: tuple[RaterGroup, ...]
    policy: Policy = "renormalise"
    scenarios: tuple[WeightSet, ...] = ()

    def __post_init__(self) -> None:
        codes = [g.code for g in self.groups]
        if not codes or len(set(codes)) != len(codes):
            raise ValidationError(f"rater groups must be declared once each and at least one, got {codes}")
        if self.policy not in ("renormalise", "block", "zero"):
            raise ValidationError(f"missing-rater policy must be renormalise, block or zero, got {self.policy!r}")
        total = sum((g.weight for g in self.groups), ZERO)
        if total != 1:
            raise ValidationError(f"rater group weights must total 100%, got {fmt(total * HUNDRED)}%")
        for scenario in self.scenarios:
            unknown = set(scenario.weights) - set(codes)
            if unknown:
                raise ValidationError(f"scenario {scenario.name!r} weights unknown groups {sorted(unknown)}")

    @classmethod
    def build(cls, weights: Mapping[str, object], *, policy: Policy = "renormalise",
              mandatory: Sequence[str] = ("manager",), anonymous: Sequence[str] = (),
              quorum: Mapping[str, int] | None = None,
              scenarios: Mapping[str, Mapping[str, object]] | None = None) -> RaterConfig:
        """Build from percentages that must total 100, e.g. {'self': 10, 'manager': 70, 'peer': 20}."""
        fractions = _percent_weights(weights, "rater group")
        quorum = quorum or {}
        groups = tuple(RaterGroup(code, w, mandatory=code in mandatory, anonymous=code in anonymous,
                                  quorum=quorum.get(code, 1)) for code, w in fractions.items())
        sets = tuple(WeightSet(name, _percent_weights(ws, f"scenario {name!r}"))
                     for name, ws in (scenarios or {}).items())
        return cls(groups, policy, sets)

    def group(self, code: str) -> RaterGroup:
        """The declared group by code."""
        for g in self.groups:
            if g.code == code:
                return g
        raise ValidationError(f"rater group {code!r} is not declared; declared: {[g.code for g in self.groups]}")

    def to_dict(self) -> dict[str, object]:
        """Plain, JSON-ready form (weights in percent)."""
        return {
            "weights": {g.code: str(g.weight * HUNDRED) for g in self.groups},
            "policy": self.policy,
            "mandatory": [g.code for g in self.groups if g.mandatory],
            "anonymous": [g.code for g in self.groups if g.anonymous],
            "quorum": {g.code: g.quorum for g in self.groups if g.quorum != 1},
            "scenarios": {s.name: {c: str(w * HUNDRED) for c, w in s.weights.items()} for s in self.scenarios},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> RaterConfig:
        """Inverse of to_dict."""
        return cls.build(data["weights"], policy=data.get("policy", "renormalise"),  # type: ignore[arg-type]
                         mandatory=data.get("mandatory", ("manager",)),  # type: ignore[arg-type]
                         anonymous=data.get("anonymous", ()), quorum=data.get("quorum"),  # type: ignore[arg-type]
                         scenarios=data.get("scenarios"))  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class GroupOutcome:
    """What happened to one group: its mean (hidden when below quorum), weights and contribution."""

    code: str
    status: GroupStatus
    count: int
    declared_weight: Decimal
    effective_weight: Decimal
    mean: Decimal | None
    contribution: Decimal
    anonymous: bool
    quorum: int


@dataclass(frozen=True)
class RaterAggregate:
    """Result of rater aggregation: a value, or a blocked reason; always the policy and weights used."""

    value: Decimal | None
    policy_applied: str
    groups: tuple[GroupOutcome, ...]
    blocked_reason: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def is_blocked(self) -> bool:
        """True when no score can be given yet (e.g. awaiting the manager)."""
        return self.value is None


def aggregate(config: RaterConfig, scores: Mapping[str, Sequence[Decimal]]) -> RaterAggregate:
    """Average inside each group, then weight the groups under the config's policy."""
    for code in scores:
        if code not in {g.code for g in config.groups}:
            raise ValidationError(f"scores given for rater group {code!r}, which this template does not declare")
    means: dict[str, Decimal] = {}
    status: dict[str, GroupStatus] = {}
    notes: list[str] = []
    for g in config.groups:
        values = scores.get(g.code, ())
        n = len(values)
        if n == 0:
            status[g.code] = "missing"
        elif n < g.quorum:
            status[g.code] = "below_quorum"
            notes.append(f"{g.code}: {n} of {g.quorum} required raters; treated as missing"
                         + (" and not shown (anonymous)" if g.anonymous else ""))
        else:
            status[g.code] = "present"
            means[g.code] = sum(values, ZERO) / n
    absent = [g for g in config.groups if status[g.code] != "present"]
    awaiting = [g.code for g in absent if g.mandatory]
    if awaiting:
        return _blocked(config, status, scores, f"awaiting {', '.join(awaiting)}", "blocked:mandatory", notes)
    weights = {g.code: g.weight for g in config.groups}
    policy = "all_present"
    if absent:
        present = frozenset(means)
        scenario = next((s for s in config.scenarios if frozenset(s.weights) == present), None)
        if scenario is not None:
            weights = {g.code: scenario.weights.get(g.code, ZERO) for g in config.groups}
            policy = f"scenario:{scenario.name}"
        elif config.policy == "block":
            missing = ", ".join(g.code for g in absent)
            return _blocked(config, status, scores, f"awaiting {missing}", "blocked:policy", notes)
        else:
            policy = config.policy
    return _weighted(config, status, scores, means, weights, policy, notes)


def _weighted(config: RaterConfig, status: Mapping[str, GroupStatus], scores: Mapping[str, Sequence[Decimal]],
              means: Mapping[str, Decimal], weights: Mapping[str, Decimal], policy: str,
              notes: list[str]) -> RaterAggregate:
    present_weight = sum((weights[c] for c in means), ZERO)
    if policy == "renormalise" or policy.startswith("scenario") or policy == "all_present":
        divisor = present_weight
    else:  # zero-fill keeps the declared weights; the missing groups contribute 0
        divisor = sum(weights.values(), ZERO)
    if divisor == 0:
        return _blocked(config, status, scores, "no weighted rater group has scored yet", "blocked:empty", notes)
    codes = [g.code for g in config.groups if g.code in means and weights[g.code] > 0]
    effective = dict(zip(codes, normalise([weights[c] for c in codes]))) if policy != "zero" else dict(weights)
    if policy == "renormalise":
        notes.append(f"weights renormalised over present groups (÷ {fmt(present_weight)})")
    outcomes = []
    total = ZERO
    for g in config.groups:
        mean = means.get(g.code)
        contribution = ZERO if mean is None else weights[g.code] * mean / divisor
        total += contribution
        outcomes.append(GroupOutcome(g.code, status[g.code], len(scores.get(g.code, ())),
                                     g.weight, effective.get(g.code, ZERO) if mean is not None else ZERO,
                                     mean, contribution, g.anonymous, g.quorum))
    return RaterAggregate(total, policy, tuple(outcomes), None, tuple(notes))


def _blocked(config: RaterConfig, status: Mapping[str, GroupStatus], scores: Mapping[str, Sequence[Decimal]],
             reason: str, policy: str, notes: list[str]) -> RaterAggregate:
    outcomes = tuple(GroupOutcome(g.code, status[g.code], len(scores.get(g.code, ())), g.weight, ZERO, None, ZERO,
                                  g.anonymous, g.quorum) for g in config.groups)
    return RaterAggregate(None, policy, outcomes, reason, tuple(notes))
