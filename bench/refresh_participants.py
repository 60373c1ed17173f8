"""Bench: re-evaluate a cycle's participant groups over a 100,000-employee org and apply the diff.

Setup (not timed): migrate a fresh database; insert a 1,111-department tree (root → 10 divisions → 10
departments → 10 teams) and N employees with titles, hire dates, team-leader managers and job levels (set
through `set_job_levels`, timed separately as an HR bulk import); create a cycle with three groups — five
divisions' subtrees for active staff with ≥ 3 months' tenure, job level ≥ 8 anywhere, and a 300-person
virtual project team — plus 10 exclusions. Then, timed, each one `refresh_participants` call:

1. first: the empty cycle fills (≈ 55 % of the org joins);
2. steady: nothing changed (the periodic job's usual case);
3. churn: 1 % new hires, 1 % transfers out of the selected divisions, 0.5 % departures (half of the
   transferred and departed people have inputs, so they are kept and marked instead of removed).

Also times the three parts of a steady refresh separately (org read, matching, plan + write).
Ends with one line: RESULT refresh_100k_s=<steady> first_s=<first> churn_s=<churn> employees=<N>

    python bench/refresh_participants.py [--employees 100000] [--database-url URL] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from dingperf.perf.library import load_template
from dingperf.perf.participant_plan import match_participants
from dingperf.services.cycles import create_cycle
from dingperf.services.employee_profiles import set_job_levels
from dingperf.services.participant_groups import (
    cycle_exclusions_in,
    cycle_groups_in,
    save_group,
    set_exclusions,
)
from dingperf.services.participant_refresh import RefreshReport, load_org_context, refresh_participants
from dingperf.services.score_inputs import InputValue, record_inputs
from dingperf.services.templates import publish_template
from dingperf.store.engine import Store, open_store
from dingperf.store.migrate import upgrade_database
from dingperf.store.perf_repositories import Binder, dumps, executemany

CORP, CYCLE = "bench-corp", "bench-2026-Q4"
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
TITLES = ("Sales Rep", "Engineer", "Designer", "Support", "Analyst", "Operator")


def _teams() -> list[int]:
    return [10000 * d + 100 * m + t for d in range(1, 11) for m in range(1, 11) for t in range(1, 11)]


def insert_org(store: Store, n: int, rng: random.Random) -> dict[str, int]:
    """Departments and employees straight into the org tables (as a full sync leaves them)."""
    depts = [(1, None, "Company")]
    for d in range(1, 11):
        depts.append((10000 * d, 1, f"Division {d}"))
        for m in range(1, 11):
            depts.append((10000 * d + 100 * m, 10000 * d, f"Dept {d}.{m}"))
            depts += [(10000 * d + 100 * m + t, 10000 * d + 100 * m, f"Team {d}.{m}.{t}") for t in range(1, 11)]
    teams = _teams()
    home = {f"u{i:06d}": teams[rng.randrange(len(teams))] for i in range(n)}
    leader = {}
    for uid, team in home.items():
        leader.setdefault(team, uid)
    with store.session() as s:
        conn = s.connection()
        b = Binder(conn)
        p, at = b.placeholder, b.time(NOW)
        executemany(conn, f"INSERT INTO departments (corp_id, dept_id, parent_id, name, leader_userids, \"order\", "
                          f"active, updated_at) VALUES ({', '.join([p] * 8)})",
                    [(CORP, d, parent, name, "[]", 0, True, at) for d, parent, name in depts])
        rows = []
        for uid, team in home.items():
            hired = date(2016, 1, 1) + timedelta(days=rng.randrange(3900))
            manager = "ceo" if leader[team] == uid else leader[team]
            rows.append((CORP, uid, "", uid, rng.choice(TITLES), "", hired.isoformat() if b.sqlite else hired,
                         dumps([team]), manager, True, at))
        executemany(conn, "INSERT INTO employees (corp_id, userid, unionid, name, title, job_number, hired_date, "
                          f"dept_ids, manager_userid, active, updated_at) VALUES ({', '.join([p] * 11)})", rows)
    return home


def setup_cycle(store: Store, home: dict[str, int], rng: random.Random) -> None:
    publish_template(store, CORP, load_template("sales-rep"), actor="hr", now=NOW)
    create_cycle(store, CORP, cycle_id=CYCLE, name="bench", kind="quarterly", period_start=date(2026, 10, 1),
                 period_end=date(2026, 12, 31), template_id="sales-rep", actor="hr", now=NOW)
    divisions = [{"type": "dept_subtree", "dept_id": 10000 * d} for d in range(1, 6)]
    save_group(store, CORP, CYCLE, {"kind": "dynamic", "group_id": "divisions-1-5", "name": "Divisions 1–5",
                                    "rule": {"type": "all_of", "rules": [
                                        {"type": "any_of", "rules": divisions}, {"type": "active"},
                                        {"type": "tenure_at_least", "months": 3}]}}, actor="hr", now=NOW)
    save_group(store, CORP, CYCLE, {"kind": "dynamic", "group_id": "seniors", "name": "Seniors",
                                    "rule": {"type": "job_level", "low": 8}}, actor="hr", now=NOW)
    members = rng.sample(sorted(home), 300)
    save_group(store, CORP, CYCLE, {"kind": "virtual", "group_id": "project-x", "name": "Project X",
                                    "owner": members[0], "members": members}, actor="hr", now=NOW)
    set_exclusions(store, CORP, CYCLE, {uid: "on long leave" for uid in rng.sample(sorted(home), 10)}, actor="hr",
                   now=NOW)


def churn(store: Store, home: dict[str, int], selected: list[str], rng: random.Random) -> None:
    """1 % hires into division 1, 1 % transfers to division 9, 0.5 % departures; half of those leaving have data."""
    n = len(home)
    movers = rng.sample(selected, n // 100 + n // 200)
    transfers, leavers = movers[: n // 100], movers[n // 100:]
    record_inputs(store, CORP, CYCLE, [InputValue(u, "revenue", Decimal(100)) for u in movers[::2]], now=NOW)
    with store.session() as s:
        conn = s.connection()
        b = Binder(conn)
        p, at = b.placeholder, b.time(NOW)
        executemany(conn, f"UPDATE employees SET dept_ids = {p} WHERE corp_id = {p} AND userid = {p}",
                    [(dumps([90101]), CORP, u) for u in transfers])
        executemany(conn, f"UPDATE employees SET active = {p}, departed_at = {p} WHERE corp_id = {p} AND userid = {p}",
                    [(False, at, CORP, u) for u in leavers])
        hired = (NOW.date() - timedelta(days=200))
        executemany(conn, "INSERT INTO employees (corp_id, userid, unionid, name, title, job_number, hired_date, "
                          f"dept_ids, manager_userid, active, updated_at) VALUES ({', '.join([p] * 11)})",
                    [(CORP, f"n{i:06d}", "", f"n{i}", "Sales Rep", "", hired.isoformat() if b.sqlite else hired,
                      dumps([10101]), "ceo", True, at) for i in range(n // 100)])


def timed(label: str, fn):  # type: ignore[no-untyped-def]
    """Run fn; print wall and CPU seconds (the machine may be shared, so CPU is the steadier number)."""
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"{label:<34} {dt:8.3f} s wall {cpu:8.3f} s CPU", flush=True)
    return out, dt


def show(report: RefreshReport) -> None:
    print("  " + report.summary())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--employees", type=int, default=100_000)
    ap.add_argument("--database-url")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade_database(url)
        store = open_store(url)
        home, _ = timed(f"setup: org of {args.employees:,}", lambda: insert_org(store, args.employees, rng))
        levels = {uid: rng.randrange(1, 11) for uid in home}
        timed("HR import: job levels (bulk)", lambda: set_job_levels(store, CORP, levels, actor="hr", now=NOW))
        setup_cycle(store, home, rng)
        first, first_s = timed("refresh: first (cycle fills)", lambda: refresh_participants(store, CORP, CYCLE, now=NOW))
        show(first)
        steady, steady_s = timed("refresh: steady (no change)", lambda: refresh_participants(store, CORP, CYCLE, now=NOW))
        show(steady)
        with store.session() as s:
            groups, excl = cycle_groups_in(s, CORP, CYCLE), cycle_exclusions_in(s, CORP, CYCLE)
            ctx, _ = timed("  part: org read", lambda: load_org_context(s.connection(), CORP, NOW.date()))
        timed("  part: matching", lambda: match_participants(groups, ctx, excl))
        churn(store, home, sorted(c.userid for c in first.added if c.source == "group:divisions-1-5"), rng)
        after, churn_s = timed("refresh: after churn", lambda: refresh_participants(store, CORP, CYCLE, now=NOW))
        show(after)
        store.dispose()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {rss:.0f} MB")
    print(f"RESULT refresh_100k_s={steady_s:.3f} first_s={first_s:.3f} churn_s={churn_s:.3f} "
          f"employees={args.employees}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
