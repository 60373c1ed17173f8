"""Indicator kinds (指标): quantitative, behavioural, binary, plus/minus and veto, validated on creation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from decimal import Decimal
from typing import Literal

from dingperf.perf.errors import ValidationError
from dingperf.perf.numbers import ONE, ZERO

Direction = Literal["higher", "lower"]
Form = Literal["ratio", "linear"]
ZeroActual = Literal["cap", "error"]
RatingRule = Literal["ratio", "min_max"]
BinaryStatus = Literal["done", "partial", "not_done"]
AdjustmentMode = Literal["points", "percent"]
AdjustmentStage = Literal["before", "after"]
VetoEffect = Literal["zero", "lowest_grade"]

DEFAULT_FLOOR = ZERO
DEFAULT_CAP = Decimal("1.2")


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValidationError(message)


def _check_code(code: str) -> None:
    _require(bool(code) and code.strip() == code and " " not in code,
             f"indicator code {code!r} must be a non-empty word without spaces (e.g. 'revenue')")


def _check_bounds(code: str, floor: Decimal, cap: Decimal) -> None:
    _require(floor <= cap, f"indicator {code!r}: floor {floor} is above cap {cap}; lower the floor or raise the cap")


@dataclass(frozen=True, slots=True)
class Quantitative:
    """定量指标: actual vs target, with an optional baseline and a threshold/target/challenge scale."""

    code: str
    name: str
    target: Decimal
    unit: str = ""
    direction: Direction = "higher"
    form: Form = "ratio"
    baseline: Decimal | None = None
    threshold: Decimal | None = None
    challenge: Decimal | None = None
    threshold_score: Decimal = Decimal("0.6")
    target_score: Decimal = ONE
    challenge_score: Decimal = DEFAULT_CAP
    below_threshold_score: Decimal = ZERO
    floor: Decimal = DEFAULT_FLOOR
    cap: Decimal = DEFAULT_CAP
    zero_actual: ZeroActual = "cap"
    formula: str | None = None
    description: str = ""
    kind: Literal["quantitative"] = field(default="quantitative", init=False)

    def __post_init__(self) -> None:
        _check_code(self.code)
        _check_bounds(self.code, self.floor, self.cap)
        c = self.code
        _require(self.direction in ("higher", "lower"),
                 f"indicator {c!r}: direction must be 'higher' or 'lower', got {self.direction!r}")
        _require(self.form in ("ratio", "linear"), f"indicator {c!r}: form must be 'ratio' or 'linear', got {self.form!r}")
        _require(self.zero_actual in ("cap", "error"),
                 f"indicator {c!r}: zero_actual must be 'cap' or 'error', got {self.zero_actual!r}")
        better = self.is_better
        if self.form == "linear":
            _require(self.baseline is not None,
                     f"indicator {c!r}: the linear form needs a baseline (the starting or worst acceptable value)")
        if self.baseline is not None and self.form == "linear":
            _require(better(self.target, self.baseline),
                     f"indicator {c!r}: target {self.target} must be better than baseline {self.baseline} "
                     f"for a '{self.direction} is better' indicator")
        if self.form == "ratio" and (self.threshold is None or self.challenge is None):
            _require(self.target != 0, f"indicator {c!r}: the ratio form divides by the target, which is 0; "
                     "use form 'linear' with a baseline (e.g. 0 incidents from a baseline of 5)")
        if self.threshold is not None:
            _require(better(self.target, self.threshold),
                     f"indicator {c!r}: threshold {self.threshold} must be worse than target {self.target}")
            _require(self.threshold_score <= self.target_score,
                     f"indicator {c!r}: threshold score {self.threshold_score} exceeds target score {self.target_score}")
        if self.challenge is not None:
            _require(better(self.challenge, self.target),
                     f"indicator {c!r}: challenge {self.challenge} must be better than target {self.target}")
            _require(self.challenge_score >= self.target_score,
                     f"indicator {c!r}: challenge score {self.challenge_score} is below target score {self.target_score}")

    def is_better(self, a: Decimal, b: Decimal) -> bool:
        """True when value a is strictly better than b under this indicator's direction."""
        return a > b if self.direction == "higher" else a < b

    @property
    def is_piecewise(self) -> bool:
        """True when a threshold or challenge value turns on the piecewise T/G/C scale."""
        return self.threshold is not None or self.challenge is not None


@dataclass(frozen=True, slots=True)
class ScaleLevel:
    """One level of a rating scale, with the anchor text raters read before choosing it."""

    value: Decimal
    label: str
    anchor: str = ""


@dataclass(frozen=True, slots=True)
class Behavioural:
    """定性/价值观指标: a rating on a labelled scale; the fraction rule may override the template's."""

    code: str
    name: str
    scale: tuple[ScaleLevel, ...]
    rating_rule: RatingRule | None = None
    floor: Decimal = DEFAULT_FLOOR
    cap: Decimal = DEFAULT_CAP
    formula: str | None = None
    description: str = ""
    kind: Literal["behavioural"] = field(default="behavioural", init=False)

    def __post_init__(self) -> None:
        _check_code(self.code)
        _check_bounds(self.code, self.floor, self.cap)
        _require(len(self.scale) >= 2, f"indicator {self.code!r}: a rating scale needs at least 2 levels")
        values = [level.value for level in self.scale]
        _require(values == sorted(values) and len(set(values)) == len(values),
                 f"indicator {self.code!r}: scale levels must be strictly increasing, got {[str(v) for v in values]}")
        _require(self.rating_rule in (None, "ratio", "min_max"),
                 f"indicator {self.code!r}: rating_rule must be 'ratio' (r/max) or 'min_max', got {self.rating_rule!r}")
        if self.rating_rule == "ratio" or self.rating_rule is None:
            _require(self.scale[-1].value > 0, f"indicator {self.code!r}: the top of the scale must be above 0")

    @property
    def minimum(self) -> Decimal:
        """Lowest rating on the scale."""
        return self.scale[0].value

    @property
    def maximum(self) -> Decimal:
        """Highest rating on the scale."""
        return self.scale[-1].value


@dataclass(frozen=True, slots=True)
class Binary:
    """里程碑/是否完成: done (done_fraction), partially done (partial_fraction), or not done (0)."""

    code: str
    name: str
    partial_fraction: Decimal = Decimal("0.5")
    done_fraction: Decimal = ONE
    floor: Decimal = DEFAULT_FLOOR
    cap: Decimal = DEFAULT_CAP
    formula: str | None = None
    description: str = ""
    kind: Literal["binary"] = field(default="binary", init=False)

    def __post_init__(self) -> None:
        _check_code(self.code)
        _check_bounds(self.code, self.floor, self.cap)
        _require(ZERO <= self.partial_fraction <= self.done_fraction,
                 f"indicator {self.code!r}: partial fraction {self.partial_fraction} must lie between 0 and "
                 f"the done fraction {self.done_fraction}")


@dataclass(frozen=True, slots=True)
class Adjustment:
    """加减分项: points added to the total, or a percent applied to it, at a declared stage.

    amount is per occurrence (the input counts occurrences); without amount the input is the signed
    points/percent itself. limit bounds the absolute effect.
    """

    code: str
    name: str
    mode: AdjustmentMode = "points"
    stage: AdjustmentStage = "after"
    amount: Decimal | None = None
    limit: Decimal | None = None
    description: str = ""
    kind: Literal["adjustment"] = field(default="adjustment", init=False)

    def __post_init__(self) -> None:
        _check_code(self.code)
        _require(self.mode in ("points", "percent"),
                 f"adjustment {self.code!r}: mode must be 'points' (additive) or 'percent' (multiplicative)")
        _require(self.stage in ("before", "after"),
                 f"adjustment {self.code!r}: stage must be 'before' or 'after' the other adjustments")
        _require(self.limit is None or self.limit >= 0, f"adjustment {self.code!r}: limit must be 0 or more")
        if self.mode == "percent" and self.amount is not None:
            _require(self.amount >= -100, f"adjustment {self.code!r}: a percent below -100 would flip the sign")


@dataclass(frozen=True, slots=True)
class Veto:
    """一票否决: when triggered the total becomes 0, or the grade becomes the lowest band."""

    code: str
    name: str
    effect: VetoEffect = "zero"
    description: str = ""
    kind: Literal["veto"] = field(default="veto", init=False)

    def __post_init__(self) -> None:
        _check_code(self.code)
        _require(self.effect in ("zero", "lowest_grade"),
                 f"veto {self.code!r}: effect must be 'zero' or 'lowest_grade', got {self.effect!r}")


WeightedIndicator = Quantitative | Behavioural | Binary
Indicator = Quantitative | Behavioural | Binary | Adjustment | Veto


_KINDS: dict[str, type] = {"quantitative": Quantitative, "behavioural": Behavioural, "binary": Binary,
                           "adjustment": Adjustment, "veto": Veto}
_DECIMALS = frozenset({"target", "baseline", "threshold", "challenge", "threshold_score", "target_score",
                       "challenge_score", "below_threshold_score", "floor", "cap", "partial_fraction",
                       "done_fraction", "amount", "limit"})


def indicator_to_dict(ind: Indicator) -> dict[str, object]:
    """Plain JSON-ready dict (Decimals as strings, defaults omitted so old hashes stay stable)."""
    out: dict[str, object] = {"kind": ind.kind}
    for f in fields(ind):  # type: ignore[arg-type]
        if f.name == "kind" or not f.init:
            continue
        value = getattr(ind, f.name)
        if f.default is not MISSING and value == f.default:
            continue
        if f.name == "scale":
            value = [{"value": str(level.value), "label": level.label, "anchor": level.anchor} for level in value]
        elif isinstance(value, Decimal):
            value = str(value)
        out[f.name] = value
    return out


def indicator_from_dict(data: Mapping[str, object]) -> Indicator:
    """Build an indicator from its dict; unknown kinds or fields raise ValidationError."""
    from dingperf.perf.numbers import to_decimal

    kind = data.get("kind")
    cls = _KINDS.get(str(kind))
    if cls is None:
        raise ValidationError(f"indicator kind must be one of {sorted(_KINDS)}, got {kind!r}")
    allowed = {f.name for f in fields(cls) if f.init}
    unknown = set(data) - allowed - {"kind"}
    code = data.get("code", "?")
    if unknown:
        raise ValidationError(f"indicator {code!r}: unknown field(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
    kwargs: dict[str, object] = {}
    for name, value in data.items():
        if name == "kind":
            continue
        if name == "scale":
            value = tuple(ScaleLevel(to_decimal(lv["value"], f"scale value of {code!r}"), str(lv["label"]),
                                     str(lv.get("anchor", ""))) for lv in value)  # type: ignore[attr-defined,index]
        elif name in _DECIMALS and value is not None:
            value = to_decimal(value, f"{name} of indicator {code!r}")
        kwargs[name] = value
    try:
        return cls(**kwargs)  # type: ignore[no-any-return]
    except TypeError as exc:
        raise ValidationError(f"indicator {code!r}: {exc}; check the required fields") from None
