"""What-if for HR: score a cycle's stored inputs with a candidate template, next to the pinned one, and report
what would change — before the candidate is published. Nothing is written.

Both scorings use the same inputs, loaded once, so the difference is the template's alone (not inputs that
arrived since the last scoring run).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from dingperf.perf.library import resolver
from dingperf.perf.scoring import Scorer, ScoreResult, compile_template
from dingperf.perf.templates import Template
from dingperf.perf.what_if import Outcome, WhatIfReport, WhatIfTally
from dingperf.services.cycles import get_cycle
from dingperf.services.score_inputs import InputLoader
from dingperf.services.scoring_service import scorer_for
from dingperf.store.engine import Store
from dingperf.store.perf_repositories import participant_ids

Progress = Callable[[int, int], None]
BATCH = 2_000


def _outcome(result: ScoreResult) -> Outcome:
    return Outcome(result.total, result.grade, result.blocked_reason)


def candidate_scorer(store: Store, corp_id: str, cycle_id: str, candidate: Template | Mapping[str, object]) -> Scorer:
    """The candidate compiled the way the cycle would use it (its rater policy and grade bands, if the cycle sets
    them); ValidationError naming what to fix when the candidate is not a valid template."""
    cycle = get_cycle(store, corp_id, cycle_id)
    template = candidate if isinstance(candidate, Template) else Template.from_dict(candidate, resolver())
    if cycle.grades is not None:
        template = replace(template, grades=cycle.grades)
    return compile_template(template, cycle.raters)


def what_if(store: Store, corp_id: str, cycle_id: str, candidate: Template | Mapping[str, object], *,
            top: int = 10, progress: Progress | None = None) -> WhatIfReport:
    """Compare the cycle's pinned template with `candidate` over every participant's stored inputs."""
    current = scorer_for(store, get_cycle(store, corp_id, cycle_id))
    proposed = candidate_scorer(store, corp_id, cycle_id, candidate)
    tally = WhatIfTally(top=top)
    loader = InputLoader()
    with store.session() as s:
        conn = s.connection()
        ids = participant_ids(conn, corp_id, cycle_id)
        for start in range(0, len(ids), BATCH):
            for inp in loader.load(conn, corp_id, cycle_id, ids[start:start + BATCH]):
                tally.add(inp.employee_id, _outcome(current.score(inp)), _outcome(proposed.score(inp)))
            if progress is not None:
                progress(min(start + BATCH, len(ids)), len(ids))
    return tally.report()
