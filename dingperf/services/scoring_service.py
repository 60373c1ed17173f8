"""Scoring a cycle from stored inputs, and explaining one employee's result.

`score_cycle` compiles the pinned template once, streams participants in batches (one compact read per
batch; two range queries for what the fast path declines), scores each with the bulk fast path (FastScorer, same
digits as Scorer.score) and upserts the batch in one transaction, so memory stays bounded at any size. `explain` recomputes one employee with the full explanation builder; it uses
the same inputs and the same compiled pipeline, so it shows exactly the stored total.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from dingperf.perf.explanation import Explanation
from dingperf.perf.scoring import Scorer, compile_template
from dingperf.perf.templates import TemplateRef
from dingperf.services.cycles import CycleRecord, get_cycle
from dingperf.services.score_inputs import InputLoader
from dingperf.services.scoring_batches import BatchScorer, run_batches, worker_count
from dingperf.services.templates import get_template
from dingperf.store.engine import NotFound, Store
from dingperf.store.perf_repositories import Binder, participant_ids
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


def score_cycle(store: Store, corp_id: str, cycle_id: str, *, progress: Progress | None = None,
                with_explanations: bool = False, batch_size: int = DEFAULT_BATCH, workers: int | None = 1,
                now: datetime | None = None, actor: str = "system:scoring") -> ScoreSummary:
    """Score every participant of the cycle from stored inputs and upsert the results (idempotent).

    workers > 1 scores batches in that many processes (None: one per core, up to 4, for large cycles).
    """
    started = time.perf_counter()
    cycle = get_cycle(store, corp_id, cycle_id)
    scorer = scorer_for(store, cycle)
    now = now or utcnow()
    with store.session() as s:
        ids = participant_ids(s.connection(), corp_id, cycle_id)
    chunks = [ids[i:i + batch_size] for i in range(0, len(ids), batch_size)]
    done = 0

    def advance(size: int) -> None:
        nonlocal done
        done += size
        if progress is not None:
            progress(done, len(ids))

    batch = BatchScorer(store, scorer, corp_id, cycle_id, now, with_explanations)
    scored = blocked = 0
    for s_count, b_count in run_batches(batch, chunks, worker_count(store, len(ids), workers), advance):
        scored += s_count
        blocked += b_count
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

