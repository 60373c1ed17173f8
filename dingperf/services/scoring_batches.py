"""One batch of a scoring run (load → score → upsert), run in this process or in worker processes.

A batch reads, then writes in a transaction of its own: on SQLite a read transaction cannot become a write
once another process committed (SQLITE_BUSY_SNAPSHOT), while a fresh write waits its turn. On SQLite the
read is one compact statement outside any transaction (sessions begin IMMEDIATE, which would queue the
workers' reads behind each other's writes) and FastScorer scores it; employees it declines and runs with
explanations take the row-per-input load and `Scorer`. PostgreSQL reads the same compact parts (one
statement) and writes every row by COPY (store/pg_bulk.py); SQLite writes fast-path rows by an executemany
that binds only the varying columns.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from dingperf.perf.errors import ValidationError
from dingperf.perf.explanation import Explanation, to_dict
from dingperf.perf.fastscore import FastScorer, NotFast, Stored, fast_path_applies
from dingperf.perf.raters import RaterConfig
from dingperf.perf.scoring import ScoreInput, Scorer, ScoreResult, compile_template
from dingperf.perf.templates import Template, TemplateRef
from dingperf.services.score_inputs import InputLoader
from dingperf.store.engine import Store, open_store
from dingperf.store.perf_repositories import (
    COMPACT_MARK,
    COMPACT_ROW,
    RESULT_SCORE_COLUMNS,
    Binder,
    compact_supported,
    dumps,
    executemany,
    load_compact_rows,
    result_upsert_sql,
    result_upsert_sql_fixed,
)
from dingperf.store.pg_bulk import copy_upsert_results

PARALLEL_MIN = 20_000  # below this, starting worker processes costs more than it saves


class RowBuilder:
    """ScoreResult → the tuple persisted in perf_results; repeated JSON (policies, weights) is encoded once."""

    def __init__(self, binder: Binder, corp_id: str, cycle_id: str, ref: TemplateRef, scored_at: datetime) -> None:
        self.b = binder
        self.head = (corp_id, cycle_id)
        self.ref = (ref.id, ref.version)
        self.at = binder.time(scored_at)
        self._json: dict[object, str] = {}
        self._keys: dict[str, str] = {}  # section code -> its JSON string; values are Decimal text, no escaping
        self._all_present: tuple[str, str] | None = None  # (policy, weights) JSON shared by fast-path results

    def _cached(self, key: object, value: object) -> str:
        text = self._json.get(key)
        if text is None:
            if len(self._json) > 10_000:
                self._json.clear()
            text = self._json[key] = dumps(value)
        return text

    def _key(self, key: str) -> str:
        text = self._keys[key] = dumps(key)
        return text

    def _policy_weights(self, r: ScoreResult) -> tuple[str, str]:
        policy = self._cached(("p", *r.rater_policy.items()), dict(r.rater_policy))
        weights_key = ("w", *((s, *w.items()) for s, w in r.effective_weights.items()))
        weights = self._cached(weights_key, {s: {g: str(v) for g, v in w.items()}
                                             for s, w in r.effective_weights.items()})
        return policy, weights

    def row(self, r: ScoreResult, explanation: Explanation | None) -> tuple[object, ...]:
        """The perf_results row (RESULT_SCORE_COLUMNS order) for one result."""
        policy, weights = self._policy_weights(r)
        keys = self._keys
        sections = "{" + ",".join([f'{keys.get(k) or self._key(k)}:"{v}"' for k, v in r.sections.items()]) + "}"
        adjustments = dumps([[a.code, str(a.amount), str(a.delta)] for a in r.adjustments]) if r.adjustments \
            else "[]"
        return (*self.head, r.employee_id, *self.ref, r.status, r.blocked_reason, self.b.decimal(r.total),
                None if r.unrounded is None else str(r.unrounded), r.grade, r.veto, sections, adjustments, policy,
                weights, None if explanation is None else dumps(to_dict(explanation)), self.at)

    def fast_constants(self, fast: FastScorer) -> None:
        """Encode, once, the rater policy and weights JSON that every fast-path result shares."""
        self._all_present = self._cached(("p", *fast.policies.items()), dict(fast.policies)), self._cached(
            ("w", *((s, *w.items()) for s, w in fast.weights.items())),
            {s: {g: str(v) for g, v in w.items()} for s, w in fast.weights.items()})

    SHORT = ("userid", "total", "unrounded", "grade", "sections", "adjustments")

    def short_fixed(self) -> dict[str, object]:
        """The columns every short_row shares (everything but SHORT), as bound values."""
        assert self._all_present is not None, "short_fixed() before fast_constants()"
        policy, weights = self._all_present
        return {"corp_id": self.head[0], "cycle_id": self.head[1], "template_id": self.ref[0],
                "template_version": self.ref[1], "status": "scored", "blocked_reason": None, "veto": None,
                "rater_policy": policy, "effective_weights": weights, "explanation": None, "scored_at": self.at}

    def short_sql(self) -> str:
        """The SQLite upsert for short_row tuples: every other column a literal."""
        sql, bound = result_upsert_sql_fixed(self.short_fixed())
        assert bound == self.SHORT, bound
        return sql

    def short_row(self, r: Stored) -> tuple[object, ...]:
        """The varying columns (SHORT) of a FastScorer result without veto, for short_sql()."""
        keys = self._keys
        sections = "{" + ",".join([f'{keys.get(k) or self._key(k)}:"{v}"' for k, v in r.sections.items()]) + "}"
        adjustments = dumps([[a.code, str(a.amount), str(a.delta)] for a in r.adjustments]) if r.adjustments \
            else "[]"
        return r.userid, str(r.total), str(r.unrounded), r.grade, sections, adjustments


@dataclass
class BatchScorer:
    """Scores slices of a cycle's participants and upserts their results; counts (scored, blocked)."""

    store: Store
    scorer: Scorer
    corp_id: str
    cycle_id: str
    now: datetime
    with_explanations: bool = False

    def __post_init__(self) -> None:
        self.loader = InputLoader()
        self.fast = FastScorer(self.scorer) if fast_path_applies(self.scorer) else None

    def score_one(self, inp: ScoreInput) -> tuple[ScoreResult, Explanation | None]:
        """The result (and explanation when asked); bad input blocks this employee only, with the reason."""
        scorer = self.scorer
        try:
            explanation = scorer.explain(inp) if self.with_explanations else None
            return scorer.score(inp), explanation
        except ValidationError as exc:
            return ScoreResult(inp.employee_id, scorer.ref, "blocked", None, None, None, {}, {},
                               blocked_reason=f"input problem: {exc}"), None

    def run(self, userids: Sequence[str]) -> tuple[int, int]:
        """Load, score and persist one slice (userids in database order)."""
        builder = RowBuilder(Binder(dialect=self.store.dialect), self.corp_id, self.cycle_id, self.scorer.ref,
                             self.now)
        rows: list[tuple[object, ...]] = []
        short: list[tuple[object, ...]] = []  # fast-path results: only the SHORT columns vary
        slow: Sequence[str] = userids
        if self.fast is not None and not self.with_explanations and compact_supported(self.store.dialect) and userids:
            raw = self.store.engine.raw_connection()
            try:
                compact = load_compact_rows(raw, self.corp_id, self.cycle_id, userids[0], userids[-1])
            finally:
                raw.close()
            slow = self._score_compact(compact, userids, builder, rows, short)
        if slow:
            with self.store.session() as s:
                conn = s.connection()
                # One range load for a whole slice; one load per employee for the few the fast path declined.
                for part in ([slow] if slow is userids else ([u] for u in slow)):
                    for inp in self.loader.load(conn, self.corp_id, self.cycle_id, part):
                        rows.append(self._full_row(inp, builder))
        scored = len(short) + sum(1 for r in rows if r[5] == "scored")  # r[5]: status
        with self.store.session() as s:
            conn = s.connection()
            if self.store.dialect == "sqlite":
                executemany(conn, result_upsert_sql(conn), rows)
                if short:
                    executemany(conn, builder.short_sql(), short)
            else:
                copy_upsert_results(conn, {}, RESULT_SCORE_COLUMNS, rows)
                if short:
                    copy_upsert_results(conn, builder.short_fixed(), builder.SHORT, short)
        return scored, len(rows) + len(short) - scored

    def _full_row(self, inp: ScoreInput, builder: RowBuilder) -> tuple[object, ...]:
        result, explanation = self.score_one(inp)
        return builder.row(result, explanation)

    def _score_compact(self, compact: Sequence[tuple[str, str | None, str | None]], userids: Sequence[str],
                       builder: RowBuilder, rows: list[tuple[object, ...]],
                       short: list[tuple[object, ...]]) -> list[str]:
        """Fast-score the slice from compact rows into `short` (or `rows` when vetoed); returns the userids
        the full path must score."""
        fast, short_row, slow = self.fast, builder.short_row, []
        assert fast is not None
        builder.fast_constants(fast)
        stored, wanted = fast.stored, set(userids)
        for userid, inputs, raters in compact:
            if userid not in wanted:
                continue  # a participant between two requested ids that this slice does not ask for
            wanted.discard(userid)
            if not inputs or COMPACT_MARK in inputs:
                slow.append(userid)
                continue
            try:
                parts, rater_parts = inputs.split(COMPACT_ROW), raters.split(COMPACT_ROW) if raters else ()
                result = stored(userid, parts, rater_parts)
                if result.veto is None:
                    short.append(short_row(result))
                else:  # rare: a vetoed row carries its veto code, so it takes the full row shape
                    rows.append(builder.row(fast.score(userid, parts, rater_parts), None))
            except (NotFast, ValidationError, ValueError):
                slow.append(userid)  # outside the fast shape: the full path scores (or blocks) this one
        slow.extend(u for u in userids if u in wanted)  # not (or no longer) a participant: as the full path does
        return slow


_WORKER: BatchScorer | None = None


def _init_worker(url: str, template: Template, raters: RaterConfig, corp_id: str, cycle_id: str, now: datetime,
                 explain: bool) -> None:
    global _WORKER
    # Compiled here: a Scorer holds closures, which only the fork start method could hand over.
    _WORKER = BatchScorer(open_store(url), compile_template(template, raters), corp_id, cycle_id, now, explain)


def _run_in_worker(userids: Sequence[str]) -> tuple[int, int, int]:
    assert _WORKER is not None, "worker used before its initializer ran"
    scored, blocked = _WORKER.run(userids)
    return len(userids), scored, blocked


def worker_count(store: Store, participants: int, requested: int | None) -> int:
    """How many processes to use: 1 for small cycles and in-memory SQLite (it cannot be shared)."""
    url = store.engine.url
    if url.get_backend_name() == "sqlite" and (url.database in (None, "", ":memory:")):
        return 1
    if requested is not None:
        return max(1, requested)
    return 1 if participants < PARALLEL_MIN else min(os.cpu_count() or 1, 4)


def run_batches(batch: BatchScorer, chunks: Sequence[Sequence[str]], workers: int,
                progress: Callable[[int], None]) -> Iterator[tuple[int, int]]:
    """Run every chunk, here or on `workers` processes; yields (scored, blocked) per chunk as each finishes."""
    if workers <= 1:
        for chunk in chunks:
            counts = batch.run(chunk)
            progress(len(chunk))
            yield counts
        return
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    url = batch.store.engine.url.render_as_string(hide_password=False)
    args = (url, batch.scorer.template, batch.scorer.raters, batch.corp_id, batch.cycle_id, batch.now, batch.with_explanations)
    with multiprocessing.get_context(method).Pool(workers, initializer=_init_worker, initargs=args) as pool:
        for size, scored, blocked in pool.imap_unordered(_run_in_worker, chunks):
            progress(size)
            yield scored, blocked
