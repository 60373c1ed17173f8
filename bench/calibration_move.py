"""Bench: one calibration move and one board at 100,000 participants.

Setup (not timed): migrate a fresh database; 51 departments (root → 10 divisions → 4 departments each),
N employees spread over the 40 leaf departments, every one a participant with a scored result; 10 calibration
groups, one per division subtree, each with a hard 10/20/50/15/5 % quota. Then, timed: one
`calibrate_result` move (with an override reason, as a single move breaks a hard quota) and one
`calibration_board` call. Ends with: RESULT move_s=<s> board_s=<s> participants=<N>

    python bench/calibration_move.py [--participants 100000] [--database-url URL] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from dingperf.perf.cycles import Phase
from dingperf.perf.library import load_template
from dingperf.services.calibration_board import calibration_board
from dingperf.services.calibration_groups import save_calibration_group
from dingperf.services.cycles import create_cycle
from dingperf.services.phases import override_phase
from dingperf.services.results import calibrate_result
from dingperf.services.templates import publish_template
from dingperf.store.engine import Store, open_store
from dingperf.store.migrate import upgrade_database
from dingperf.store.perf_repositories import Binder, dumps, executemany

CORP, CYCLE = "bench-corp", "bench-2026-H2"
NOW = datetime(2026, 12, 31, 10, 0, tzinfo=UTC)
SHARES = {"S": 10, "A": 20, "B": 50, "C": 15, "D": 5}
GRADES = ("S", "A", "B", "C", "D")
WEIGHTS = (10, 20, 50, 15, 5)


def _leaves() -> list[int]:
    return [100 * d + m for d in range(1, 11) for m in range(1, 5)]


def setup(store: Store, n: int, rng: random.Random) -> dict[str, str]:
    """Org, cycle, participants, scored results and ten hard-quota groups; returns ``{userid: grade}``."""
    publish_template(store, CORP, load_template("sales-rep"), actor="bench", now=NOW)
    create_cycle(store, CORP, cycle_id=CYCLE, name="bench", kind="half_year", period_start=date(2026, 7, 1),
                 period_end=date(2026, 12, 31), template_id="sales-rep", actor="bench", now=NOW)
    depts = [(1, None, "Company")] + [(100 * d, 1, f"Division {d}") for d in range(1, 11)]
    depts += [(leaf, 100 * (leaf // 100), f"Dept {leaf}") for leaf in _leaves()]
    users = [f"u{i:06d}" for i in range(n)]
    leaves = _leaves()
    with store.session() as s:
        conn = s.connection()
        b = Binder(conn)
        p, at = b.placeholder, b.time(NOW)
        executemany(conn, f"INSERT INTO departments (corp_id, dept_id, parent_id, name, leader_userids, \"order\", "
                          f"active, updated_at) VALUES ({', '.join([p] * 8)})",
                    [(CORP, d, parent, name, "[]", 0, True, at) for d, parent, name in depts])
        executemany(conn, f"INSERT INTO employees (corp_id, userid, unionid, name, title, job_number, dept_ids, "
                          f"manager_userid, active, updated_at) VALUES ({', '.join([p] * 10)})",
                    [(CORP, u, "", u, "", "", dumps([leaves[i % len(leaves)]]), None, True, at)
                     for i, u in enumerate(users)])
        executemany(conn, f"INSERT INTO perf_participants (corp_id, cycle_id, userid, manager_userid, source, "
                          f"added_at) VALUES ({', '.join([p] * 6)})",
                    [(CORP, CYCLE, u, None, "manual", at) for u in users])
        rows, grades = [], {}
        for u in users:
            grade = grades[u] = rng.choices(GRADES, WEIGHTS)[0]
            rows.append((CORP, CYCLE, u, "sales-rep", 1, "scored", 80, grade, dumps({"performance": "60"}),
                         "[]", "{}", "{}", at))
        executemany(conn, "INSERT INTO perf_results (corp_id, cycle_id, userid, template_id, template_version, "
                          "status, total, grade, sections, adjustments, rater_policy, effective_weights, scored_at) "
                          f"VALUES ({', '.join([p] * 13)})", rows)
    for d in range(1, 11):
        save_calibration_group(store, CORP, CYCLE, {
            "group_id": f"div{d}", "name": f"Division {d}", "members": {"dept_ids": [100 * d]},
            "quota": {"shares": SHARES, "enforcement": "hard"}}, actor="bench", now=NOW)
    override_phase(store, CORP, CYCLE, Phase.CALIBRATION, actor="bench", now=NOW, reason="bench: scores are in")
    return grades


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--participants", type=int, default=100_000)
    ap.add_argument("--database-url")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade_database(url)
        store = open_store(url)
        t0 = time.perf_counter()
        users = setup(store, args.participants, random.Random(args.seed))
        print(f"setup {time.perf_counter() - t0:.1f}s for {len(users)} participants", file=sys.stderr)
        moves = []
        for i in range(3):
            userid = list(users)[i * 7919]
            grade = "B" if users[userid] != "B" else "A"  # always a real move
            t0 = time.perf_counter()
            calibrate_result(store, CORP, CYCLE, userid, grade=grade, reason="bench move", by="hr",
                             override_reason="bench: quota checked later", now=NOW)
            moves.append(time.perf_counter() - t0)
            print(f"move {i + 1}: {moves[-1]:.3f}s")
        t0 = time.perf_counter()
        board = calibration_board(store, CORP, CYCLE)
        board_s = time.perf_counter() - t0
        print(f"board: {board_s:.3f}s ({len(board)} groups, {sum(b.headcount for b in board)} people)")
        move_s = sorted(moves)[len(moves) // 2]
        print(f"RESULT move_s={move_s:.3f} board_s={board_s:.3f} participants={len(users)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
