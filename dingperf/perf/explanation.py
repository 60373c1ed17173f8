"""Explanation tree of a score: every step with inputs, formula text, sources and contribution.

Leaves carry a `contribution` (points they add to the total); the leaf contributions of a scored
explanation sum exactly to the total — items, rater groups, formula deltas, adjustments, veto, caps
and the final rounding each appear as a leaf.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from dingperf.perf.numbers import HUNDRED, ZERO, fmt

if TYPE_CHECKING:  # scoring imports this module; the builder below only reads its objects
    from dingperf.perf.scoring import ScoreInput, Scorer, ScoreResult


@dataclass(frozen=True, slots=True)
class SourceRef:
    """A record an input came from, e.g. kind 'attendance_record' or 'approval_instance' and its id."""

    kind: str
    id: str
    note: str = ""

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}" + (f" ({self.note})" if self.note else "")


@dataclass(frozen=True, slots=True)
class Step:
    """One node of the explanation tree."""

    key: str
    label: str
    value: Decimal | None
    formula: str = ""
    inputs: tuple[tuple[str, str], ...] = ()
    sources: tuple[SourceRef, ...] = ()
    notes: tuple[str, ...] = ()
    contribution: Decimal | None = None
    children: tuple[Step, ...] = ()

    def walk(self) -> Iterator[Step]:
        """This step and all its descendants, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()

    def leaves(self) -> Iterator[Step]:
        """The steps without children."""
        return (s for s in self.walk() if not s.children)


@dataclass(frozen=True)
class Explanation:
    """The whole derivation of one employee's score under one template version."""

    employee_id: str
    template_id: str
    template_version: int
    status: str
    total: Decimal | None
    grade: str | None
    root: Step
    policy: Mapping[str, str] = field(default_factory=dict)
    blocked_reason: str | None = None

    def leaf_sum(self) -> Decimal:
        """Sum of the leaf contributions; equals total for a scored explanation."""
        return sum((s.contribution for s in self.root.leaves() if s.contribution is not None), ZERO)

    def find(self, key: str) -> Step:
        """The step with this key (e.g. 'item:revenue', 'adjust:late', 'rounding')."""
        for step in self.root.walk():
            if step.key == key:
                return step
        raise KeyError(f"no step {key!r} in this explanation; keys: {[s.key for s in self.root.walk()]}")


def _signed(value: Decimal) -> str:
    return ("+" if value >= 0 else "") + fmt(value)


def render_text(explanation: Explanation) -> str:
    """A readable tree (Chinese and English labels) that shows every step and each contribution."""
    e = explanation
    head = f"员工 employee {e.employee_id} · 模板 template {e.template_id} v{e.template_version}"
    lines = [head]
    if e.status == "blocked":
        lines.append(f"状态 status: blocked — {e.blocked_reason}")
    else:
        lines.append(f"总分 total {e.total:f} · 等级 grade {e.grade}")
    for name, value in e.policy.items():
        lines.append(f"  {name}: {value}")
    _render(e.root, "", True, lines, is_root=True)
    if e.status != "blocked":
        lines.append(f"Σ contributions = {fmt(e.leaf_sum())} = total {e.total:f}")
    return "\n".join(lines)


def _render(step: Step, prefix: str, last: bool, lines: list[str], is_root: bool = False) -> None:
    branch = "" if is_root else ("└─ " if last else "├─ ")
    text = f"{step.label} = {fmt(step.value)}"
    if step.contribution is not None:
        text += f"  [{_signed(step.contribution)}]"
    lines.append(prefix + branch + text)
    inner = prefix + ("" if is_root else ("   " if last else "│  "))
    detail = inner + ("   " if not step.children else "│  ")
    if step.formula:
        lines.append(detail + "= " + step.formula)
    if step.inputs:
        lines.append(detail + "inputs: " + ", ".join(f"{k}={v}" for k, v in step.inputs))
    for note in step.notes:
        lines.append(detail + "note: " + note)
    if step.sources:
        lines.append(detail + "sources: " + ", ".join(str(s) for s in step.sources))
    for i, child in enumerate(step.children):
        _render(child, inner, i == len(step.children) - 1, lines)


def step_to_dict(step: Step) -> dict[str, object]:
    """Plain JSON-ready form of a step and its subtree."""
    return {
        "key": step.key, "label": step.label, "value": None if step.value is None else str(step.value),
        "formula": step.formula, "inputs": [list(p) for p in step.inputs],
        "sources": [{"kind": s.kind, "id": s.id, "note": s.note} for s in step.sources],
        "notes": list(step.notes),
        "contribution": None if step.contribution is None else str(step.contribution),
        "children": [step_to_dict(c) for c in step.children],
    }


def step_from_dict(data: Mapping[str, object]) -> Step:
    """Inverse of step_to_dict."""
    value, contribution = data.get("value"), data.get("contribution")
    return Step(
        key=str(data["key"]), label=str(data["label"]), value=None if value is None else Decimal(str(value)),
        formula=str(data.get("formula", "")),
        inputs=tuple((str(k), str(v)) for k, v in data.get("inputs", ())),  # type: ignore[attr-defined]
        sources=tuple(SourceRef(str(s["kind"]), str(s["id"]), str(s.get("note", "")))
                      for s in data.get("sources", ())),  # type: ignore[attr-defined]
        notes=tuple(str(n) for n in data.get("notes", ())),  # type: ignore[attr-defined]
        contribution=None if contribution is None else Decimal(str(contribution)),
        children=tuple(step_from_dict(c) for c in data.get("children", ())),  # type: ignore[attr-defined]
    )


def to_dict(explanation: Explanation) -> dict[str, object]:
    """Plain JSON-ready form for storage."""
    e = explanation
    return {"employee_id": e.employee_id, "template_id": e.template_id, "template_version": e.template_version,
            "status": e.status, "total": None if e.total is None else str(e.total), "grade": e.grade,
            "policy": dict(e.policy), "blocked_reason": e.blocked_reason, "root": step_to_dict(e.root)}


def from_dict(data: Mapping[str, object]) -> Explanation:
    """Inverse of to_dict."""
    total = data.get("total")
    return Explanation(
        employee_id=str(data["employee_id"]), template_id=str(data["template_id"]),
        template_version=int(data["template_version"]), status=str(data["status"]),  # type: ignore[call-overload]
        total=None if total is None else Decimal(str(total)),
        grade=None if data.get("grade") is None else str(data["grade"]),
        root=step_from_dict(data["root"]),  # type: ignore[arg-type]
        policy={str(k): str(v) for k, v in dict(data.get("policy") or {}).items()},  # type: ignore[call-overload]
        blocked_reason=None if data.get("blocked_reason") is None else str(data["blocked_reason"]),
    )


# -- building an explanation from a scoring trace --------------------------------------------------------


def _pct(fraction: Decimal) -> str:
    return f"{fmt(fraction * HUNDRED)}%"


def _item_step(scorer: Scorer, entry: tuple) -> Step:  # type: ignore[type-arg]
    from dingperf.perf.achievement import describe

    _, _, item, raw, a, points = entry
    ind = item.indicator
    value = getattr(raw, "value", raw)
    sources = tuple(getattr(raw, "sources", ()))
    clamped = points / item.points if item.points else ZERO
    notes = []
    if a > ind.cap:
        notes.append(f"cap {fmt(ind.cap)} applied (achievement {fmt(a)})")
    elif a < ind.floor:
        notes.append(f"floor {fmt(ind.floor)} applied (achievement {fmt(a)})")
    given = getattr(raw, "achievement", None)
    if given is not None:
        text = f"given {fmt(given)}"
        notes.append(getattr(raw, "note", "") or "achievement supplied with the input (precomputed)")
    elif item.formula:
        text = f"custom formula {ind.formula} = {fmt(a)}"
    else:
        text = describe(ind, value, scorer.template.rating_rule)
    unit = f" {ind.unit}" if getattr(ind, "unit", "") else ""
    inputs = [("actual" if ind.kind == "quantitative" else "input", f"{value}{unit}")]
    for name in ("target", "baseline", "threshold", "challenge"):
        if getattr(ind, name, None) is not None:
            inputs.append((name, fmt(getattr(ind, name))))
    inputs.append(("weight", _pct(item.points / scorer.template.full_marks)))
    return Step(f"item:{item.code}", f"{ind.name} ({item.code})", points,
                f"a = {text}; a' = {fmt(clamped)}; {fmt(item.points)} × {fmt(clamped)} = {fmt(points)}",
                tuple(inputs), sources, tuple(notes), points)


def _rated_steps(scorer: Scorer, inp: ScoreInput, section: str, agg: object) -> list[Step]:
    from dingperf.perf.raters import GROUP_LABELS

    compiled = next(c for code, _, _, c in scorer._sections if code == section)
    steps = []
    for g in agg.groups:  # type: ignore[attr-defined]
        inputs: list[tuple[str, str]] = []
        sources: list[SourceRef] = []
        if not g.anonymous and g.status == "present":
            for rater in inp.ratings:
                if rater.group != g.code or not any(i.code in rater.ratings for i in compiled):
                    continue
                parts = []
                for item in compiled:
                    raw = rater.ratings[item.code]
                    value = getattr(raw, "value", raw)
                    sources.extend(getattr(raw, "sources", ()))
                    a = scorer.item_achievement(item, value, inp.inputs)
                    parts.append(f"{item.code} {value} → {fmt(a)}")
                inputs.append((rater.rater_id, "; ".join(parts)))
        elif g.status == "present":
            inputs.append(("raters", f"{g.count} (anonymous, quorum {g.quorum}; individual scores not shown)"))
        notes = []
        if g.status == "missing":
            notes.append("no ratings; treated as missing")
        elif g.status == "below_quorum":
            notes.append(f"fewer raters than the quorum of {g.quorum}; treated as missing"
                         + ("; scores not shown (anonymous)" if g.anonymous else ""))
        formula = (f"mean {fmt(g.mean)} × effective weight {_pct(g.effective_weight)} (declared "
                   f"{_pct(g.declared_weight)}) = {fmt(g.contribution)}") if g.mean is not None else ""
        steps.append(Step(f"rater:{section}:{g.code}", GROUP_LABELS.get(g.code, g.code), g.mean, formula,
                          tuple(inputs), tuple(sources), tuple(notes), g.contribution))
    return steps


def build_explanation(scorer: Scorer, inp: ScoreInput, result: ScoreResult, trace: Sequence[tuple]) -> Explanation:  # type: ignore[type-arg]
    """Turn a scoring trace into the explanation tree (used by Scorer.explain)."""
    t = scorer.template
    per_section: dict[str, list[Step]] = {s.code: [] for s in t.sections}
    notes: dict[str, tuple[str, ...]] = {}
    tail: list[Step] = []
    policy = {"template hash 模板指纹": scorer.ref.content_hash[:16],
              "rating rule 评分换算": "r/max" if t.rating_rule == "ratio" else "(r−min)/(max−min)",
              "rounding 取整": f"{t.rounding.places} places, {t.rounding.mode}"}
    for entry in trace:
        kind = entry[0]
        if kind == "item":
            per_section[entry[1]].append(_item_step(scorer, entry))
        elif kind == "rated":
            agg = entry[2]
            per_section[entry[1]].extend(_rated_steps(scorer, inp, entry[1], agg))
            notes[entry[1]] = agg.notes
            policy[f"missing-rater policy 缺评策略 ({entry[1]})"] = agg.policy_applied
            if agg.blocked_reason is None:
                policy[f"effective weights 实际权重 ({entry[1]})"] = ", ".join(
                    f"{g.code} {_pct(g.effective_weight)}" for g in agg.groups)
        elif kind == "na":
            _, section, item, raw = entry
            per_section[section].append(Step(
                f"item:{item.code}", f"{item.indicator.name} ({item.code})", None, "不适用 not applicable",
                (("weight", _pct(item.points / t.full_marks)),), _sources(raw),
                ("left out; the other items are renormalised",), ZERO))
        elif kind == "na_scale":
            _, base, scaled, full, applicable = entry
            tail.append(Step("na_renormalise", "不适用项权重重分配 N/A renormalisation", scaled,
                             f"{fmt(base)} × {fmt(full)} ÷ {fmt(applicable)} = {fmt(scaled)}",
                             contribution=scaled - base))
        elif kind == "formula":
            _, base, value, used = entry
            tail.append(Step("formula:total", "自定义总分公式 custom total formula", value,
                             f"{t.total_formula} = {fmt(value)} (sections sum {fmt(base)})",
                             tuple((n, fmt(v) if isinstance(v, Decimal) else str(v)) for n, v in used),
                             contribution=value - base))
        elif kind == "adjustments":
            children = tuple(Step(f"adjust:{a.code}", f"{a.name} ({a.code})", a.after, a.formula(),
                                  (("mode", a.mode), ("stage", a.stage), ("amount", fmt(a.amount))),
                                  _sources(inp.adjustments.get(a.code)), (a.note,) if a.note else (), a.delta)
                             for a in entry[1])
            if children:
                tail.append(Step("adjustments", "加减分 adjustments", children[-1].value, children=children))
        elif kind == "veto":
            _, veto, before = entry
            effect = -before if veto.effect == "zero" else ZERO
            text = "total → 0" if veto.effect == "zero" else "grade → lowest band"
            tail.append(Step(f"veto:{veto.code}", f"一票否决 veto: {veto.name}", before + effect, text,
                             sources=_sources(inp.vetoes.get(veto.code)), contribution=effect))
        elif kind == "bound":
            _, before, after, note = entry
            tail.append(Step("bound", "总分封顶/保底 total cap/floor", after, note, contribution=after - before))
    children = [Step(f"section:{s.code}", f"{s.name} ({s.code})", result.sections.get(s.code),
                     "Σ rater groups" if s.rated else "Σ items", notes=notes.get(s.code, ()),
                     children=tuple(per_section[s.code])) for s in t.sections if per_section[s.code]]
    children.extend(tail)
    if result.is_blocked:
        root = Step("total", "总分 total", None, children=tuple(children))
    else:
        partial = Step("total", "", None, children=tuple(children))
        unrounded_sum = sum((s.contribution for s in partial.leaves() if s.contribution is not None), ZERO)
        assert result.total is not None
        children.append(Step("rounding", "取整 rounding", result.total,
                             f"round({fmt(result.unrounded)}, {t.rounding.places}, {t.rounding.mode})",
                             contribution=result.total - unrounded_sum))
        root = Step("total", "总分 total", result.total, children=tuple(children))
        if result.veto is not None and result.grade == t.grades.lowest:
            policy["grade 等级"] = f"{result.grade} (veto {result.veto} → lowest grade)"
        elif result.grade is not None:
            policy["grade 等级"] = f"{result.grade}: {t.grades.band(result.grade).describe()}"
    return Explanation(result.employee_id, t.id, t.version, result.status, result.total, result.grade, root,
                       policy, result.blocked_reason)


def _sources(raw: object) -> tuple[SourceRef, ...]:
    return tuple(getattr(raw, "sources", ()))
