"""Bench: full contacts sync of a generated 10,000-employee / 500-department company, managers included.

Starts the sandbox with a generated company in its own process, runs dingperf's real full sync
(`dingperf.services.sync_contacts`) into a fresh SQLite store, then syncs again with nothing changed.
Prints calls per API, the least time each API's QPS budget allows, the wall time, rows written by the
re-sync, and ends with exactly one line: RESULT time_ratio=… writes_on_resync=…
(time_ratio = wall time of the full sync ÷ max over APIs of calls ÷ QPS).

    python bench/sync_org.py [--employees 10000] [--depts 500] [--seed 7] [--qps 100]
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

from dingperf.dingtalk.client import DingTalkClient
from dingperf.dingtalk.config import ClientConfig
from dingperf.sandbox.company import generate_company
from dingperf.sandbox.server import SandboxServer
from dingperf.sandbox.state import AppCredentials, SandboxState
from dingperf.services.sync_contacts import ContactsSyncOptions, ContactsSyncSummary, sync_contacts
from dingperf.services.write_counter import count_writes
from dingperf.store.engine import open_store
from dingperf.store.migrate import upgrade_database

ORG_TABLES = ("employees", "departments")


def serve_company(conn: Connection, employees: int, depts: int, seed: int, qps: int) -> None:
    """Child process: generate the company, serve it with `qps` per app per API, report the truth."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    built = time.perf_counter()
    state = generate_company(employees, depts, seed, into=SandboxState(app=AppCredentials.generate()))
    state.limits.qps_per_app_api = qps
    generated_s = time.perf_counter() - built
    with SandboxServer(state) as sandbox:
        directory = state.directory
        with state.lock:
            managers = {u.userid: u.manager_userid for u in directory.users.values() if not u.departed}
        conn.send({"base_url": sandbox.base_url, "app": state.app, "generated_s": generated_s,
                   "users": len(managers), "departments": len(directory.departments),
                   "with_manager": sum(1 for m in managers.values() if m)})
        conn.recv()


def print_calls(summary: ContactsSyncSummary, qps: int) -> float:
    """Print calls per API and return the least time the per-API budgets allow (the slowest API's)."""
    print(f"  {'API':<36}{'calls':>8}{'least s':>10}")
    for path, calls in sorted(summary.calls.items()):
        print(f"  {path:<36}{calls:>8}{calls / qps:>10.2f}")
    return max(calls / qps for calls in summary.calls.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--depts", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--qps", type=int, default=100, help="per-app-per-API QPS, same in client and sandbox")
    parser.add_argument("--workers", type=int, default=4, help="threads per API (user/get gets twice as many)")
    args = parser.parse_args(argv)

    ctx = multiprocessing.get_context("spawn")  # the sandbox must not share our interpreter lock
    parent_conn, child_conn = ctx.Pipe()
    child = ctx.Process(target=serve_company, args=(child_conn, args.employees, args.depts, args.seed, args.qps))
    child.start()
    tmp = tempfile.TemporaryDirectory(prefix="dingperf-bench-")
    try:
        info = parent_conn.recv()
        print(f"generated {info['users']} current employees ({info['with_manager']} with a manager in user/get) "
              f"in {info['departments']} departments, seed {args.seed}, in {info['generated_s']:.1f}s; "
              f"QPS per app per API: {args.qps} (client and sandbox)")
        app = info["app"]
        client = DingTalkClient(ClientConfig(
            corp_id=app.corp_id, app_key=app.app_key, app_secret=app.app_secret, agent_id=app.agent_id,
            robot_code=app.robot_code, api_base=info["base_url"], oapi_base=info["base_url"], qps_per_api=args.qps))
        url = f"sqlite:///{Path(tmp.name) / 'bench.db'}"
        upgrade_database(url)
        store = open_store(url)
        options = ContactsSyncOptions(workers_per_api=args.workers)
        client.access_token()

        started = time.perf_counter()
        first = sync_contacts(store=store, client=client, corp_id=app.corp_id, options=options)
        wall = time.perf_counter() - started
        print(f"full sync: {first.departments} departments, {first.users} users ({first.created} created), "
              f"managers {dict(first.managers)}, {wall:.2f}s")
        least = print_calls(first, args.qps)

        started = time.perf_counter()
        with count_writes(store.engine) as all_writes, count_writes(store.engine, ORG_TABLES) as writes:
            second = sync_contacts(store=store, client=client, corp_id=app.corp_id, options=options)
        rewall = time.perf_counter() - started
        print(f"re-sync: {second.users} users, {second.unchanged} unchanged, {second.updated} updated, "
              f"{second.created} created, {second.deactivated} deactivated, {rewall:.2f}s; "
              f"rows written to {'/'.join(ORG_TABLES)}: {writes.total}; bookkeeping writes (the resume "
              f"checkpoint, every {options.checkpoint_every_s:.0f}s): {all_writes.total - writes.total}")
        stats = client.stats()
        print(f"client: retries {stats.retries}, throttled {dict(stats.throttled) or 'none'}, "
              f"errors surfaced {stats.errors_surfaced}")
        ok = first.users == info["users"] and first.departments == info["departments"]
        if not ok:
            print(f"ERROR: synced {first.users} users / {first.departments} departments, expected "
                  f"{info['users']} / {info['departments']}")
        print(f"wall time {wall:.2f}s; least time the per-API limits allow {least:.2f}s")
        print(f"RESULT time_ratio={wall / least:.3f} writes_on_resync={writes.total}")
        store.dispose()
        return 0 if ok else 1
    finally:
        parent_conn.send("stop")
        child.join(timeout=30)
        tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
