"""Time pure in-memory scoring: N synthetic employees × 10 indicators × 5 raters (no database).

Usage: python bench/score_pure.py [--employees 100000] [--explain-every 0] [--seed 7]
Prints employees/s for the lean score() path; explanations are built for every k-th employee when asked.
"""

from __future__ import annotations

import argparse
import random
import time
from decimal import Decimal

from dingperf.perf.scoring import RaterScores, ScoreInput, compile_template
from dingperf.perf.templates import Template

SCALE = [{"value": str(i), "label": str(i), "anchor": f"level {i}"} for i in range(1, 6)]


def bench_template() -> Template:
    """7 quantitative indicators of every form + 3 behavioural items rated by self, manager and 3 peers."""
    quantitative = [
        {"kind": "quantitative", "code": "revenue", "name": "Revenue", "target": "1000"},
        {"kind": "quantitative", "code": "margin", "name": "Margin", "target": "30", "threshold": "20",
         "challenge": "40"},
        {"kind": "quantitative", "code": "returns", "name": "Return rate", "target": "2", "direction": "lower"},
        {"kind": "quantitative", "code": "defects", "name": "Defects", "target": "1", "baseline": "3",
         "direction": "lower", "form": "linear"},
        {"kind": "quantitative", "code": "lead_time", "name": "Lead time", "target": "7", "threshold": "10",
         "challenge": "5", "direction": "lower"},
        {"kind": "quantitative", "code": "coverage", "name": "Coverage", "target": "80", "baseline": "55",
         "form": "linear"},
        {"kind": "quantitative", "code": "tickets", "name": "Tickets", "target": "600"},
    ]
    weights = [20, 10, 10, 10, 10, 5, 5]
    behavioural = [{"kind": "behavioural", "code": c, "name": c, "scale": SCALE}
                   for c in ("integrity", "teamwork", "customer_first")]
    return Template.from_dict({
        "id": "bench", "version": 1, "name": "Bench", "rounding": {"places": 2},
        "raters": {"weights": {"self": 10, "manager": 60, "peer": 30}, "anonymous": ["peer"], "quorum": {"peer": 3}},
        "sections": [
            {"code": "performance", "name": "Performance",
             "items": [{"weight": w, "indicator": q} for w, q in zip(weights, quantitative)]},
            {"code": "values", "name": "Values", "rated": True,
             "items": [{"weight": 10, "indicator": b} for b in behavioural]},
        ],
        "adjustments": [{"kind": "adjustment", "code": "late", "name": "Late", "mode": "percent", "amount": "-10",
                         "stage": "before"}],
    })


def synthetic_inputs(n: int, seed: int) -> list[ScoreInput]:
    """Deterministic random inputs: actuals around target, ratings 1–5, a few late adjustments."""
    rng = random.Random(seed)
    dec = [Decimal(i) for i in range(2001)]
    ratings = [Decimal(i) for i in range(1, 6)]
    out = []
    for e in range(n):
        actuals = {"revenue": dec[rng.randint(600, 1500)], "margin": dec[rng.randint(10, 45)],
                   "returns": dec[rng.randint(1, 5)], "defects": dec[rng.randint(0, 3)],
                   "lead_time": dec[rng.randint(4, 12)], "coverage": dec[rng.randint(40, 90)],
                   "tickets": dec[rng.randint(300, 800)]}
        raters = [RaterScores(f"e{e}", "self", {c: rng.choice(ratings) for c in ("integrity", "teamwork", "customer_first")}),
                  RaterScores(f"m{e}", "manager", {c: rng.choice(ratings) for c in ("integrity", "teamwork", "customer_first")})]
        raters += [RaterScores(f"p{e}-{k}", "peer", {c: rng.choice(ratings) for c in ("integrity", "teamwork", "customer_first")})
                   for k in range(3)]
        adjustments = {"late": 1} if rng.random() < 0.1 else {}
        out.append(ScoreInput(f"e{e}", actuals=actuals, ratings=raters, adjustments=adjustments))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--explain-every", type=int, default=0, help="also build an explanation every k employees")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    scorer = compile_template(bench_template())
    t0 = time.perf_counter()
    inputs = synthetic_inputs(args.employees, args.seed)
    t1, c1 = time.perf_counter(), time.process_time()
    results = [scorer.score(i) for i in inputs]
    t2, c2 = time.perf_counter(), time.process_time()
    explained = 0
    if args.explain_every:
        for inp in inputs[:: args.explain_every]:
            scorer.explain(inp)
            explained += 1
    t3 = time.perf_counter()
    total = sum((r.total for r in results if r.total is not None), Decimal(0))
    print(f"inputs built in {t1 - t0:.2f}s; scored {len(results)} employees in {t2 - t1:.2f}s "
          f"= {len(results) / (t2 - t1):,.0f} employees/s wall, {len(results) / (c2 - c1):,.0f}/s of CPU time "
          f"(Σ totals {total})")
    if explained:
        print(f"explained {explained} employees in {t3 - t2:.2f}s = {explained / (t3 - t2):,.0f} explanations/s")
    print(f"RESULT employees_per_s={len(results) / (t2 - t1):.0f} cpu_employees_per_s={len(results) / (c2 - c1):.0f}")


if __name__ == "__main__":
    main()
