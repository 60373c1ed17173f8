"""Scoring a cycle from stored inputs, and explaining one employee's result.

`score_cycle` compiles the pinned template once, streams participants in batches (two range queries per
batch), scores each with the pure fast path and upserts the batch in one transaction, so memory stays
bounded at any cycle size. `explain` recomputes one employee with the full explanation builder; it uses
the same inputs and the same compiled pipeline, so it shows exactly the stored total.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from dingperf.perf.errors import ValidationError
from dingperf.perf.explanation import Explanation, to_dict
from dingperf.perf.scoring import Scorer, ScoreResult, compile_template
from dingperf.perf.templates import TemplateRef
from dingperf.services.cycles import CycleRecord, get_cycle
from dingperf.services.score_inputs import InputLoader
from dingperf.services.templates import get_template
from dingperf.store.engine import NotFound, Store
from dingperf.store.perf_repositories import Binder, dumps, executemany, participant_ids, result_upsert_sql
from dingperf.store.repositories.audit import append_audit
from dingperf.store.types import utcnow

Progress = Callable[[int, int], None]
DEFAULT_BATCH = 5_000


@dataclass(frozen=True, slots=True)
class ScoreSummary:
    """What a scoring run did: how many were scored or blocked, under which template, in how long."""

    cycle_id: str
    template: TemplateRef
    participants: int
    scored: int
    blocked: int
    seconds: float


def scorer_for(store: Store, cycle: CycleRecord) -> Scorer:
    """The cycle's pinned template (checked against its hash) compiled with the cycle's rater policy."""
    ref = cycle.template
    template = get_template(store, cycle.corp_id, ref.id, ref.version)
    template.check_pin(ref)
    if cycle.grades is not None:
        template = replace(template, grades=cycle.grades)  # band edges are stored on the cycle (PRODUCT §2.7)
    return compile_template(template, cycle.raters)


class _RowBuilder:
    """ScoreResult → the tuple persisted in perf_results; repeated JSON (policies, weights) is encoded once."""

    def __init__(self, binder: Binder, corp_id: str, cycle_id: str, ref: TemplateRef, scored_at: datetime) -> None:
        self.b = binder
        self.head = (corp_id, cycle_id)
        self.ref = (ref.id, ref.version)
        self.at = binder.time(scored_at)
        self._json: dict[object, str] = {}

    def _cached(self, key: object, value: object) -> str:
        text = self._json.get(key)
        if text is None:
            if len(self._json) > 10_000:
                self._json.clear()
            text = self._json[key] = dumps(value)
        return text

    def row(self, r: ScoreResult, explanation: Explanation | None) -> tuple[object, ...]:
        policy = self._cached(("p", *r.rater_policy.items()), dict(r.rater_policy))
        weights_key = ("w", *((s, *w.items()) for s, w in r.effective_weights.items()))
        weights = self._cached(weights_key, {s: {g: str(v) for g, v in w.items()}
                                             for s, w in r.effective_weights.items()})
        sections = dumps({k: str(v) for k, v in r.sections.items()})
        adjustments = dumps([[a.code, str(a.amount), str(a.delta)] for a in r.adjustments]) if r.adjustments \
            else "[]"
        return (*self.head, r.employee_id, *self.ref, r.status, r.blocked_reason, self.b.decimal(r.total),
                None if r.unrounded is None else str(r.unrounded), r.grade, r.veto, sections, adjustments, policy,
                weights, None if explanation is None else dumps(to_dict(explanation)), self.at)


def _score_one(scorer: Scorer, inp: object, with_explanation: bool) -> tuple[ScoreResult, Explanation | None]:
    try:
        if with_explanation:
            explanation = scorer.explain(inp)  # type: ignore[arg-type]
            return scorer.score(inp), explanation  # type: ignore[arg-type]
        return scorer.score(inp), None  # type: ignore[arg-type]
    except ValidationError as exc:
        # One employee's bad or missing input must not stop 100,000 others: block them with the reason.
        blocked = ScoreResult(inp.employee_id, scorer.ref, "blocked", None, None, None, {}, {},  # type: ignore[attr-defined]
                              blocked_reason=f"input problem: {exc}")
        return blocked, None


def score_cycle(store: Store, corp_id: str, cycle_id: str, *, progress: Progress | None = None,
                with_explanations: bool = False, batch_size: int = DEFAULT_BATCH,
                now: datetime | None = None, actor: str = "system:scoring") -> ScoreSummary:
    """Score every participant of the cycle from stored inputs and upsert the results (idempotent)."""
    started = time.perf_counter()
    cycle = get_cycle(store, corp_id, cycle_id)
    scorer = scorer_for(store, cycle)
    now = now or utcnow()
    with store.session() as s:
        ids = participant_ids(s.connection(), corp_id, cycle_id)
    loader = InputLoader()
    scored = blocked = 0
    for start in range(0, len(ids), batch_size):
        chunk = ids[start:start + batch_size]
        with store.session() as s:
            conn = s.connection()
            builder = _RowBuilder(Binder(conn), corp_id, cycle_id, cycle.template, now)
            rows = []
            for inp in loader.load(conn, corp_id, cycle_id, chunk):
                result, explanation = _score_one(scorer, inp, with_explanations)
                if result.status == "scored":
                    scored += 1
                else:
                    blocked += 1
                rows.append(builder.row(result, explanation))
            executemany(conn, result_upsert_sql(conn), rows)
        if progress is not None:
            progress(min(start + batch_size, len(ids)), len(ids))
    with store.session() as s:
        append_audit(session=s, corp_id=corp_id, actor=actor, action="cycle.score", subject=f"cycle:{cycle_id}",
                     after={"scored": scored, "blocked": blocked, "template": cycle.template.id,
                            "version": cycle.template.version}, at=now)
    return ScoreSummary(cycle_id, cycle.template, len(ids), scored, blocked, time.perf_counter() - started)


def explain(store: Store, corp_id: str, cycle_id: str, userid: str) -> Explanation:
    """Recompute one employee's score with the full explanation tree (same numbers as the stored total)."""
    cycle = get_cycle(store, corp_id, cycle_id)
    with store.session() as s:
        conn = s.connection()
        if userid not in _participant(conn, corp_id, cycle_id, userid):
            raise NotFound(f"employee {userid!r} is not a participant of cycle {cycle_id!r}; check the userid "
                           "(participants are added with add_participants or by the cycle's groups)")
        inputs = list(InputLoader().load(conn, corp_id, cycle_id, [userid]))
    return scorer_for(store, cycle).explain(inputs[0])


def _participant(conn: object, corp_id: str, cycle_id: str, userid: str) -> Sequence[str]:
    b = Binder(conn)  # type: ignore[arg-type]
    p = b.placeholder
    sql = f"SELECT userid FROM perf_participants WHERE corp_id = {p} AND cycle_id = {p} AND userid = {p}"
    return [r[0] for r in conn.exec_driver_sql(sql, (corp_id, cycle_id, userid))]  # type: ignore[attr-defined]

