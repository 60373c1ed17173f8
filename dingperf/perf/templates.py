"""Templates (考评模板): sections of weighted indicators, scoring choices, versions and content hashes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from dingperf.perf.errors import ValidationError
from dingperf.perf.formula import parse
from dingperf.perf.grades import DEFAULT_GRADES, GradeScale
from dingperf.perf.indicators import (
    Adjustment,
    Behavioural,
    Quantitative,
    RatingRule,
    Veto,
    WeightedIndicator,
    indicator_from_dict,
    indicator_to_dict,
)
from dingperf.perf.numbers import HUNDRED, ONE, ROUNDING_MODES, ZERO, fmt, optional_decimal, to_decimal
from dingperf.perf.raters import RaterConfig

DEFAULT_RATERS = RaterConfig.build({"manager": 100})
QUANT_NAMES = ("actual", "target", "baseline", "threshold", "challenge", "achievement")
RATING_NAMES = ("rating", "min", "max", "achievement")


@dataclass(frozen=True, slots=True)
class TemplateItem:
    """A weighted indicator; weight is its normalised share of the whole template (all items sum to 1)."""

    indicator: WeightedIndicator
    weight: Decimal

    @property
    def code(self) -> str:
        """The indicator's code."""
        return self.indicator.code


@dataclass(frozen=True)
class Section:
    """A group of items (业绩 performance, 价值观 values...); rated sections are scored per rater."""

    code: str
    name: str
    items: tuple[TemplateItem, ...]
    rated: bool = False

    @property
    def weight(self) -> Decimal:
        """The section's share of the template: the sum of its item weights."""
        return sum((i.weight for i in self.items), ZERO)


@dataclass(frozen=True, slots=True)
class Rounding:
    """Final rounding of the total: decimal places and a named mode."""

    places: int = 1
    mode: str = "half_up"

    def __post_init__(self) -> None:
        if not 0 <= self.places <= 6:
            raise ValidationError(f"rounding places must be 0–6, got {self.places}")
        if self.mode not in ROUNDING_MODES:
            raise ValidationError(f"unknown rounding mode {self.mode!r}; use one of {sorted(ROUNDING_MODES)}")


@dataclass(frozen=True, slots=True)
class TemplateRef:
    """What a cycle pins: template id, version and the content hash it had."""

    id: str
    version: int
    content_hash: str


@dataclass(frozen=True)
class Template:
    """A versioned scoring template. Editing yields a new version (revise); cycles pin a TemplateRef."""

    id: str
    version: int
    name: str
    sections: tuple[Section, ...]
    rating_rule: RatingRule = "ratio"
    rounding: Rounding = field(default_factory=Rounding)
    full_marks: Decimal = HUNDRED
    total_cap: Decimal | None = None
    total_floor: Decimal | None = ZERO
    grades: GradeScale = DEFAULT_GRADES
    raters: RaterConfig = DEFAULT_RATERS
    adjustments: tuple[Adjustment, ...] = ()
    vetoes: tuple[Veto, ...] = ()
    inputs: tuple[str, ...] = ()
    total_formula: str | None = None
    industry: str = ""
    role: str = ""
    description: str = ""

    def __post_init__(self) -> None:
        if not self.id or self.version < 1:
            raise ValidationError(f"template needs an id and a version ≥ 1, got {self.id!r} v{self.version}")
        if not self.sections:
            raise ValidationError(f"template {self.id!r} has no sections; add at least one with an indicator")
        if self.rating_rule not in ("ratio", "min_max"):
            raise ValidationError(f"rating_rule must be 'ratio' (r/max) or 'min_max', got {self.rating_rule!r}")
        codes = [s.code for s in self.sections]
        if len(set(codes)) != len(codes):
            raise ValidationError(f"template {self.id!r}: section codes repeat: {codes}")
        all_codes = [i.code for s in self.sections for i in s.items] + [a.code for a in self.adjustments] + [
            v.code for v in self.vetoes]
        dupes = sorted({c for c in all_codes if all_codes.count(c) > 1})
        if dupes:
            raise ValidationError(f"template {self.id!r}: indicator codes must be unique, repeated: {dupes}")
        total = sum((s.weight for s in self.sections), ZERO)
        if total != ONE:
            raise ValidationError(f"template {self.id!r}: weights total {fmt(total * HUNDRED)}, not 100")
        if any(i.weight <= 0 for s in self.sections for i in s.items):
            raise ValidationError(f"template {self.id!r}: every item needs a weight above 0")
        if self.total_cap is not None and self.total_floor is not None and self.total_cap < self.total_floor:
            raise ValidationError(f"template {self.id!r}: total cap {self.total_cap} is below floor {self.total_floor}")
        self._check_formulas()

    def _check_formulas(self) -> None:
        for section in self.sections:
            for item in section.items:
                ind = item.indicator
                if ind.formula:
                    names = QUANT_NAMES if isinstance(ind, Quantitative) else (
                        RATING_NAMES if isinstance(ind, Behavioural) else ("achievement",))
                    parse(ind.formula).check_names((*names, *self.inputs))
        if self.total_formula:
            names = ["base", *(s.code for s in self.sections),
                     *(i.code for s in self.sections if not s.rated for i in s.items), *self.inputs]
            parse(self.total_formula).check_names(names)

    @property
    def items(self) -> tuple[TemplateItem, ...]:
        """All weighted items in section order."""
        return tuple(i for s in self.sections for i in s.items)

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-ready dict; item weights are written as percent of the whole template."""
        return {
            "id": self.id, "version": self.version, "name": self.name, "industry": self.industry,
            "role": self.role, "description": self.description, "rating_rule": self.rating_rule,
            "rounding": {"places": self.rounding.places, "mode": self.rounding.mode},
            "full_marks": str(self.full_marks),
            "total_cap": None if self.total_cap is None else str(self.total_cap),
            "total_floor": None if self.total_floor is None else str(self.total_floor),
            "grades": self.grades.to_list(), "raters": self.raters.to_dict(),
            "sections": [{"code": s.code, "name": s.name, "rated": s.rated,
                          "items": [{"weight": str((i.weight * HUNDRED).normalize()),
                                     "indicator": indicator_to_dict(i.indicator)} for i in s.items]}
                         for s in self.sections],
            "adjustments": [indicator_to_dict(a) for a in self.adjustments],
            "vetoes": [indicator_to_dict(v) for v in self.vetoes],
            "inputs": list(self.inputs), "total_formula": self.total_formula,
        }

    def to_json(self) -> str:
        """Canonical JSON (sorted keys) of to_dict."""
        return json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    @property
    def content_hash(self) -> str:
        """sha256 of the canonical content without the version number."""
        content = self.to_dict()
        content.pop("version")
        raw = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(raw.encode()).hexdigest()

    def ref(self) -> TemplateRef:
        """The (id, version, hash) a cycle pins."""
        return TemplateRef(self.id, self.version, self.content_hash)

    def revise(self, **changes: object) -> Template:
        """A new version with the given fields changed; the original is untouched."""
        if "id" in changes or "version" in changes:
            raise ValidationError("revise() keeps the id and bumps the version itself; do not pass them")
        return replace(self, version=self.version + 1, **changes)  # type: ignore[arg-type]

    def check_pin(self, ref: TemplateRef) -> None:
        """Raise ValidationError unless this template is exactly the pinned (id, version, content)."""
        if (self.id, self.version) != (ref.id, ref.version):
            raise ValidationError(f"cycle pins template {ref.id} v{ref.version}, got {self.id} v{self.version}")
        if self.content_hash != ref.content_hash:
            raise ValidationError(f"template {self.id} v{self.version} changed after the cycle pinned it; "
                                  "publish the change as a new version instead")

    @classmethod
    def from_dict(cls, data: Mapping[str, object],
                  resolve: Callable[[str], Mapping[str, object]] | None = None) -> Template:
        """Build from a dict; weights in percent (per section when the section has a weight) must total 100.

        An item may name a library indicator with {"ref": "..."}; `resolve` turns the ref into its dict.
        """
        try:
            return cls._from_dict(data, resolve)
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValidationError(f"template {data.get('id', '?')!r} is malformed ({type(exc).__name__}: {exc}); "
                                  "compare it with a library template in dingperf/perf/library/") from None

    @classmethod
    def _from_dict(cls, data: Mapping[str, object],
                   resolve: Callable[[str], Mapping[str, object]] | None) -> Template:
        tid = str(data.get("id", ""))
        sections = tuple(_section_from_dict(tid, s, resolve) for s in data.get("sections", ()))  # type: ignore[attr-defined]
        _check_total(tid, sections)
        rounding = data.get("rounding") or {}
        raters = data.get("raters")
        return cls(
            id=tid, version=int(data.get("version", 1)), name=str(data.get("name", tid)), sections=sections,  # type: ignore[call-overload]
            rating_rule=data.get("rating_rule", "ratio"),  # type: ignore[arg-type]
            rounding=Rounding(**rounding),  # type: ignore[arg-type]
            full_marks=to_decimal(data.get("full_marks", 100), "full_marks"),
            total_cap=optional_decimal(data.get("total_cap"), "total_cap"),
            total_floor=optional_decimal(data.get("total_floor", 0), "total_floor"),
            grades=GradeScale.from_list(data["grades"]) if data.get("grades") else DEFAULT_GRADES,  # type: ignore[arg-type]
            raters=RaterConfig.from_dict(raters) if raters else DEFAULT_RATERS,  # type: ignore[arg-type]
            adjustments=tuple(indicator_from_dict(a) for a in data.get("adjustments", ())),  # type: ignore[misc,attr-defined]
            vetoes=tuple(indicator_from_dict(v) for v in data.get("vetoes", ())),  # type: ignore[misc,attr-defined]
            inputs=tuple(data.get("inputs", ())),  # type: ignore[arg-type]
            total_formula=data.get("total_formula"),  # type: ignore[arg-type]
            industry=str(data.get("industry", "")), role=str(data.get("role", "")),
            description=str(data.get("description", "")),
        )

    @classmethod
    def from_json(cls, text: str) -> Template:
        """Inverse of to_json."""
        return cls.from_dict(json.loads(text))


def _section_from_dict(tid: str, data: Mapping[str, object],
                       resolve: Callable[[str], Mapping[str, object]] | None) -> Section:
    code = str(data.get("code", ""))
    raw_items: Sequence[Mapping[str, object]] = data.get("items", ())  # type: ignore[assignment]
    if not raw_items:
        raise ValidationError(f"template {tid!r}: section {code!r} has no items")
    percents: list[Decimal] = []
    indicators: list[WeightedIndicator] = []
    for raw in raw_items:
        spec = raw.get("indicator")
        if spec is None and "ref" in raw:
            if resolve is None:
                raise ValidationError(f"template {tid!r}: item refers to {raw['ref']!r} but no library was given")
            spec = dict(resolve(str(raw["ref"])))
            spec.update(raw.get("override", {}))  # type: ignore[call-overload]
        ind = indicator_from_dict(spec)  # type: ignore[arg-type]
        if isinstance(ind, (Adjustment, Veto)):
            raise ValidationError(f"template {tid!r}: {ind.kind} {ind.code!r} carries no weight; list it under "
                                  f"'{ind.kind}s' instead of in a section")
        indicators.append(ind)
        percents.append(to_decimal(raw.get("weight"), f"weight of {ind.code!r}"))
    section_weight = optional_decimal(data.get("weight"), f"weight of section {code!r}")
    if section_weight is not None:
        inner = sum(percents, ZERO)
        if inner != HUNDRED:
            biggest = indicators[max(range(len(percents)), key=lambda i: percents[i])].code
            raise ValidationError(f"template {tid!r}: item weights in section {code!r} total {fmt(inner)}, not 100; "
                                  f"adjust {biggest!r} by {fmt(HUNDRED - inner)}")
        fractions = [section_weight * p / (HUNDRED * HUNDRED) for p in percents]
    else:
        fractions = [p / HUNDRED for p in percents]
    items = tuple(TemplateItem(ind, w) for ind, w in zip(indicators, fractions))
    return Section(code, str(data.get("name", code)), items, bool(data.get("rated", False)))


def _check_total(tid: str, sections: Sequence[Section]) -> None:
    total = sum((s.weight for s in sections), ZERO) * HUNDRED
    if total != HUNDRED and sections:
        biggest = max(sections, key=lambda s: s.weight)
        raise ValidationError(f"template {tid!r}: weights total {fmt(total)}, not 100; adjust section "
                              f"{biggest.code!r} (or its items) by {fmt(HUNDRED - total)}")
