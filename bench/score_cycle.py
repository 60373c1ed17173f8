"""Bench: score a stored cycle of N employees × 10 indicators × 5 raters and persist the results.

Setup (not timed): migrate a fresh database, publish the template, create the cycle, and insert synthetic
but realistic inputs through the services' bulk paths (7 quantitative actuals of every form, 3 values items
rated by self, manager and 3 peers, plus/minus items for ~10%). Then, timed:

1. dingperf: `score_cycle` — load inputs in ranges, score every participant, upsert results in batches.
2. reference: one plain executemany INSERT of the very same result rows into a table of the same shape in
   the same database (the storage limit). The same on both backends; on PostgreSQL psycopg runs an
   executemany in pipeline mode (dingperf itself writes its fast-path rows there by COPY).
3. check: an independent numpy recomputation of every total from the raw input rows, rounded half-up to
   the template's 1 place, counted against the persisted totals.

Prints the database and its version, wall times, employees/s, CPU seconds (this process and its workers;
plus, for a PostgreSQL server on this machine, the server's own processes read from /proc — dingperf leaves
the grouping of input rows to the server there), the wall and CPU ratios and peak RSS, and ends with one
line (score_ratio is by wall time, as specified):
RESULT score_ratio=<dingperf time ÷ reference time> rss_mb=<peak RSS> mismatches=<count>

    python bench/score_cycle.py [--employees 100000] [--database-url URL] [--batch 5000] [--seed 7]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
from server_cpu import server_cpu_probe  # bench/server_cpu.py, beside this script
from sqlalchemy import MetaData

from dingperf.perf.templates import Template
from dingperf.services.cycles import add_participants, create_cycle
from dingperf.services.score_inputs import InputValue, RatingEntry, record_inputs, record_ratings
from dingperf.services.scoring_batches import worker_count
from dingperf.services.scoring_service import score_cycle
from dingperf.services.templates import publish_template
from dingperf.store.engine import Store, open_store
from dingperf.store.migrate import upgrade_database
from dingperf.store.perf_repositories import RESULT_SCORE_COLUMNS, RESULTS, Binder, dumps, result_insert_sql

CORP, CYCLE = "bench-corp", "bench-2026-Q4"
NOW = datetime(2026, 12, 31, 12, 0, tzinfo=UTC)
SCALE = [{"value": str(i), "label": str(i)} for i in range(1, 6)]
RATERS = (("self", "self"), ("manager", "mgr"), ("peer", "p1"), ("peer", "p2"), ("peer", "p3"))

# code, weight %, indicator fields (PRODUCT.md §2.2/§2.3 forms); the numpy check re-implements each form.
QUANT = [
    ("revenue", 15, {"target": "1000"}),
    ("return_rate", 10, {"target": "2.0", "direction": "lower"}),
    ("units", 10, {"target": "100", "threshold": "80", "challenge": "120"}),
    ("lead_time", 10, {"target": "7", "threshold": "10", "challenge": "5", "direction": "lower"}),
    ("nps", 10, {"target": "60", "baseline": "20", "form": "linear"}),
    ("defect_rate", 10, {"target": "0", "baseline": "4.0", "form": "linear", "direction": "lower"}),
    ("tasks", 5, {"target": "20"}),
]
VALUES = ["customer_first", "teamwork", "integrity"]  # 10 % each, rated 1–5 (r/max)


def bench_template() -> Template:
    """The 10-indicator template with self 10 / manager 60 / peer 30 (≥ 3 peers) and a points bonus."""
    perf = [{"weight": w, "indicator": {"kind": "quantitative", "code": c, "name": c, **f}} for c, w, f in QUANT]
    vals = [{"weight": 10, "indicator": {"kind": "behavioural", "code": c, "name": c, "scale": SCALE}}
            for c in VALUES]
    return Template.from_dict({
        "id": "bench-10x5", "name": "Bench 10 indicators × 5 raters", "rounding": {"places": 1},
        "total_cap": "120",
        "raters": {"weights": {"self": 10, "manager": 60, "peer": 30}, "quorum": {"peer": 3}},
        "sections": [{"code": "performance", "items": perf}, {"code": "values", "rated": True, "items": vals}],
        "adjustments": [{"kind": "adjustment", "code": "key_account", "name": "Key account", "mode": "points",
                         "amount": "2", "limit": "10"}],
    })


def synthetic_actuals(rng: np.random.Generator, n: int) -> np.ndarray:
    """n × 7 actuals with one decimal, spread around each target (some misses, some over-achievers)."""
    cols = [rng.normal(1000, 220, n), rng.uniform(0.5, 5.0, n), rng.normal(100, 18, n), rng.uniform(3, 13, n),
            rng.uniform(0, 90, n), rng.uniform(0, 6, n), rng.integers(5, 31, n).astype(float)]
    actual = np.round(np.column_stack(cols), 1)
    actual[:, 0] = np.maximum(actual[:, 0], 0)
    actual[:, 1] = np.maximum(actual[:, 1], 0.1)  # a return rate of 0 is its own case; keep the check simple
    return actual


def setup(url: str, n: int, seed: int) -> None:
    """Migrate, publish, create the cycle and bulk-insert every input (not timed)."""
    upgrade_database(url)
    store = open_store(url)
    publish_template(store, CORP, bench_template(), actor="bench", now=NOW)
    create_cycle(store, CORP, cycle_id=CYCLE, name="bench", kind="quarterly", period_start=date(2026, 10, 1),
                 period_end=date(2026, 12, 31), template_id="bench-10x5", actor="bench", now=NOW)
    users = [f"u{i:07d}" for i in range(n)]
    add_participants(store, CORP, CYCLE, users, now=NOW)
    rng = np.random.default_rng(seed)
    actual = synthetic_actuals(rng, n)
    ratings = rng.integers(2, 6, (n, len(RATERS), len(VALUES)))
    bonus = np.where(rng.random(n) < 0.1, rng.integers(1, 7, n), 0)
    codes = [c for c, _, _ in QUANT]

    def values():  # type: ignore[no-untyped-def]
        for i, userid in enumerate(users):
            row = actual[i]
            for j, code in enumerate(codes):
                yield InputValue(userid, code, f"{row[j]:.1f}")
            if bonus[i]:
                yield InputValue(userid, "key_account", int(bonus[i]), kind="adjustment")

    def rated():  # type: ignore[no-untyped-def]
        for i, userid in enumerate(users):
            for r, (group, rater) in enumerate(RATERS):
                yield RatingEntry(userid, f"{rater}-{i}", group, "values",
                                  {c: int(ratings[i, r, k]) for k, c in enumerate(VALUES)})

    record_inputs(store, CORP, CYCLE, values(), actor="bench", now=NOW)
    record_ratings(store, CORP, CYCLE, rated(), now=NOW, actor="bench", trusted_import=True)  # synthetic raters
    store.dispose()


def reference_insert(url: str, server: Callable[[], float] | None) -> tuple[float, float, float, int]:
    """Time one plain executemany of the persisted result rows into a same-shaped table (storage limit):
    (wall s, CPU s of this process, CPU s of a local PostgreSQL server or 0, rows)."""
    store = open_store(url)
    ref = RESULTS.to_metadata(MetaData(), name="bench_ref_results")
    ref.primary_key.name = "pk_bench_ref_results"  # PostgreSQL wants constraint names unique per schema
    ref.drop(store.engine, checkfirst=True)
    ref.create(store.engine)
    cols = ", ".join(RESULT_SCORE_COLUMNS)
    with store.engine.connect() as conn:
        raw = conn.exec_driver_sql(f"SELECT {cols} FROM perf_results WHERE cycle_id = '{CYCLE}'").fetchall()
        b = Binder(conn)
        at = b.time(NOW)
        idx_total, idx_at = RESULT_SCORE_COLUMNS.index("total"), RESULT_SCORE_COLUMNS.index("scored_at")
        # Same values as dingperf bound: totals as exact decimals, the timestamp in the column's stored form.
        json_cols = {RESULT_SCORE_COLUMNS.index(c) for c in ("sections", "adjustments", "rater_policy",
                                                             "effective_weights", "explanation")}

        def bound(k: int, v: object) -> object:
            if k == idx_total:
                return b.decimal(None if v is None else Decimal(str(v)))
            if k == idx_at:
                return at
            if k in json_cols and v is not None and not isinstance(v, str):
                return dumps(v)  # psycopg hands JSON back parsed; dingperf binds it as text
            return v

        rows = [tuple(bound(k, v) for k, v in enumerate(r)) for r in raw]
        del raw
        sql = result_insert_sql(conn, ref)
    with store.engine.begin() as conn:
        t0, c0, s0 = time.perf_counter(), _cpu(), server() if server else 0.0
        conn.exec_driver_sql(sql, rows)
    elapsed, cpu, server_cpu = time.perf_counter() - t0, _cpu() - c0, (server() - s0) if server else 0.0
    ref.drop(store.engine)
    store.dispose()
    return elapsed, cpu, server_cpu, len(rows)


def _clip(a: np.ndarray) -> np.ndarray:
    return np.clip(a, 0.0, 1.2)


def _piecewise(v: np.ndarray, t: float, g: float, c: float, higher: bool) -> np.ndarray:
    if not higher:  # mirror a lower-is-better scale onto a higher-is-better one
        v, t, g, c = -v, -t, -g, -c
    a = np.where(v < t, 0.0, np.where(v < g, 0.6 + (v - t) / (g - t) * 0.4, 1.0 + (v - g) / (c - g) * 0.2))
    return np.where(v >= c, 1.2, a)


def numpy_totals(url: str, n: int) -> np.ndarray:
    """Every total recomputed from the raw stored rows with numpy floats, rounded half-up to 1 place (×10)."""
    store = open_store(url)
    codes = {c: j for j, (c, _, _) in enumerate(QUANT)}
    actual = np.zeros((n, len(QUANT)))
    bonus = np.zeros(n)
    sums = {g: np.zeros(n) for g in ("self", "manager", "peer")}
    counts = {g: np.zeros(n) for g in ("self", "manager", "peer")}
    import json

    with store.engine.connect() as conn:
        for userid, kind, code, value in conn.exec_driver_sql(
                f"SELECT userid, kind, code, value FROM perf_inputs WHERE cycle_id = '{CYCLE}'"):
            i = int(userid[1:])
            if kind == "actual":
                actual[i, codes[code]] = float(value)
            else:
                bonus[i] = float(value)
        for userid, group, ratings in conn.exec_driver_sql(
                f"SELECT userid, rater_group, ratings FROM perf_ratings WHERE cycle_id = '{CYCLE}'"):
            i = int(userid[1:])
            parsed = json.loads(ratings) if isinstance(ratings, str) else ratings
            sums[group][i] += sum(10.0 * float(parsed[c]) / 5.0 for c in VALUES)
            counts[group][i] += 1
    store.dispose()
    a = np.empty_like(actual)
    a[:, 0] = _clip(actual[:, 0] / 1000)
    a[:, 1] = _clip(2.0 / actual[:, 1])
    a[:, 2] = _clip(_piecewise(actual[:, 2], 80, 100, 120, True))
    a[:, 3] = _clip(_piecewise(actual[:, 3], 10, 7, 5, False))
    a[:, 4] = _clip((actual[:, 4] - 20) / (60 - 20))
    a[:, 5] = _clip((4.0 - actual[:, 5]) / (4.0 - 0))
    a[:, 6] = _clip(actual[:, 6] / 20)
    weights = np.array([w for _, w, _ in QUANT], dtype=float)
    performance = a @ weights
    means = {g: sums[g] / np.maximum(counts[g], 1) for g in sums}
    peers_ok = counts["peer"] >= 3
    values = np.where(peers_ok, 0.1 * means["self"] + 0.6 * means["manager"] + 0.3 * means["peer"],
                      (0.1 * means["self"] + 0.6 * means["manager"]) / 0.7)
    total = np.clip(performance + values + np.minimum(2 * bonus, 10), 0, 120)
    return np.floor(total * 10 + 0.5 + 1e-9).astype(np.int64)  # half-up; the epsilon absorbs float noise


def persisted_totals(url: str, n: int) -> np.ndarray:
    """dingperf's stored totals ×10 as integers (−1 where blocked)."""
    store = open_store(url)
    out = np.full(n, -1, dtype=np.int64)
    with store.engine.connect() as conn:
        for userid, total in conn.exec_driver_sql(
                f"SELECT userid, total FROM perf_results WHERE cycle_id = '{CYCLE}'"):
            if total is not None:
                out[int(userid[1:])] = int(Decimal(str(total)).scaleb(1).to_integral_value())
    store.dispose()
    return out


def _cpu() -> float:
    """CPU seconds of this process and its finished workers (the machine may be shared; wall time is noisy)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def rss_mb() -> float:
    """Peak RSS of this process plus that of its largest worker (ru_maxrss: KiB on Linux, bytes on macOS).

    Worker processes run alongside the parent, so the two peaks are added: an upper bound, never an under-count.
    """
    peak = sum(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def database_version(store: Store) -> str:
    """The backend and its version, e.g. "postgresql (PostgreSQL 15.10 …)" or "sqlite (SQLite 3.45.1)"."""
    with store.engine.connect() as conn:
        if store.dialect == "sqlite":
            return f"sqlite (SQLite {conn.exec_driver_sql('SELECT sqlite_version()').scalar_one()})"
        version = str(conn.exec_driver_sql("SELECT version()").scalar_one())
    return f"{store.dialect} ({version.split(',')[0]})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--database-url", default=None, help="default: a SQLite file in a temporary folder")
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=None,
                        help="scoring processes (default: score_cycle's choice, one per core for large cycles)")
    args = parser.parse_args()
    n = args.employees
    with tempfile.TemporaryDirectory(prefix="dingperf-bench-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        t0 = time.perf_counter()
        setup(url, n, args.seed)
        print(f"setup: {n} employees, {n * 7} actuals, {n * 5} rater rows inserted in "
              f"{time.perf_counter() - t0:.1f} s ({url.split(':')[0]})", flush=True)
        store = open_store(url)
        server = server_cpu_probe(url)
        print(f"database: {database_version(store)}; workers: {worker_count(store, n, args.workers)}; server CPU "
              f"{'measured (local server, /proc)' if server else 'not measured'}", flush=True)
        t1, c1, s1 = time.perf_counter(), _cpu(), server() if server else 0.0
        summary = score_cycle(store, CORP, CYCLE, batch_size=args.batch, workers=args.workers, now=NOW)
        score_s, score_cpu = time.perf_counter() - t1, _cpu() - c1
        score_server = (server() - s1) if server else 0.0
        store.dispose()
        rss_after_score = rss_mb()
        print(f"dingperf score_cycle: {score_s:.2f} s, {n / score_s:,.0f} employees/s "
              f"(scored {summary.scored}, blocked {summary.blocked}); CPU {score_cpu:.2f} s here"
              f"{f' + {score_server:.2f} s server' if server else ''}; peak RSS {rss_after_score:.0f} MB", flush=True)
        ref_s, ref_cpu, ref_server, ref_rows = reference_insert(url, server)
        print(f"reference insert of the same {ref_rows} rows: {ref_s:.2f} s, {ref_rows / ref_s:,.0f} rows/s; "
              f"CPU {ref_cpu:.2f} s here{f' + {ref_server:.2f} s server' if server else ''}", flush=True)
        with_server = (f", with the server's {(score_cpu + score_server) / (ref_cpu + ref_server):.2f}"
                       if server else "")
        print(f"ratios: wall {score_s / ref_s:.2f}; CPU of this process and its workers "
              f"{score_cpu / ref_cpu:.2f}{with_server}", flush=True)
        t2 = time.perf_counter()
        expected, stored = numpy_totals(url, n), persisted_totals(url, n)
        mismatches = int(np.count_nonzero(expected != stored))
        print(f"numpy check: {n} totals recomputed in {time.perf_counter() - t2:.1f} s, {mismatches} mismatches; "
              f"mean total {expected.mean() / 10:.2f}", flush=True)
        if mismatches:
            bad = np.nonzero(expected != stored)[0][:5]
            print("first mismatches (userid index, numpy×10, dingperf×10):",
                  [(int(i), int(expected[i]), int(stored[i])) for i in bad])
        print(f"RESULT score_ratio={score_s / ref_s:.2f} rss_mb={rss_mb():.0f} mismatches={mismatches}")


if __name__ == "__main__":
    main()
