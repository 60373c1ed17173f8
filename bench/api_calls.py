"""Bench: walk a generated company's department tree and list every user under DingTalk's QPS limit.

Starts the sandbox with a generated company, then with the real DingTalkClient walks the tree
breadth-first with `listsubid` and lists every department's direct members with `v2/user/list`,
the two APIs side by side (one small thread pool each, since they have separate budgets).
Prints calls per API against the minimum possible, throttle answers seen by the client and by
the sandbox, and ends with one line: RESULT calls_ratio=… time_ratio=…
(time_ratio = wall time ÷ max over the two APIs of calls ÷ QPS).

    python bench/api_calls.py [--employees 10000] [--depts 500] [--seed 7] [--qps 20]
"""

from __future__ import annotations

import argparse
import logging
import math
import multiprocessing
import sys
import threading
import time
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from multiprocessing.connection import Connection

import requests

from dingperf.dingtalk.client import DingTalkClient
from dingperf.dingtalk.config import ClientConfig
from dingperf.dingtalk.contacts import MAX_PAGE_SIZE, ROOT_DEPT_ID
from dingperf.dingtalk.errors import DingTalkError
from dingperf.sandbox.company import generate_company
from dingperf.sandbox.server import SandboxServer
from dingperf.sandbox.state import AppCredentials, SandboxState

LISTSUBID = "/topapi/v2/department/listsubid"
USER_LIST = "/topapi/v2/user/list"
THROTTLE_CODES = {90018, 90002}
THROTTLE_API_CODES = {"Forbidden.AccessDenied.QpsLimitForAppkeyAndApi", "Forbidden.AccessDenied.QpsLimitForApi"}


class TreeWalk:
    """BFS over departments on one pool while another pool lists each department's users."""

    def __init__(self, client: DingTalkClient, workers_per_api: int) -> None:
        self._client = client
        self._walkers = ThreadPoolExecutor(workers_per_api, thread_name_prefix="listsubid")
        self._listers = ThreadPoolExecutor(workers_per_api, thread_name_prefix="userlist")
        self._lock = threading.Lock()
        self._pending = 0
        self._done = threading.Event()
        self.userids: Counter[str] = Counter()
        self.departments: set[int] = set()
        self.errors: list[BaseException] = []

    def run(self) -> None:
        self._discovered(ROOT_DEPT_ID)
        self._done.wait()
        self._walkers.shutdown()
        self._listers.shutdown()

    def _discovered(self, dept_id: int) -> None:
        with self._lock:
            self.departments.add(dept_id)
            self._pending += 2
        self._track(self._walkers.submit(self._walk, dept_id))
        self._track(self._listers.submit(self._list_users, dept_id))

    def _walk(self, dept_id: int) -> None:
        for child in self._client.contacts.list_sub_department_ids(dept_id):
            self._discovered(child)

    def _list_users(self, dept_id: int) -> None:
        ids = [u.userid for u in self._client.contacts.iter_users(dept_id, size=MAX_PAGE_SIZE)]
        with self._lock:
            self.userids.update((dept_id, userid) for userid in ids)

    def _track(self, future: Future) -> None:
        future.add_done_callback(self._finished)

    def _finished(self, future: Future) -> None:
        error = future.exception()
        with self._lock:
            if error is not None:
                self.errors.append(error)
            self._pending -= 1
            if self._pending == 0:
                self._done.set()


def serve_company(conn: Connection, employees: int, depts: int, seed: int, qps: int) -> None:
    """Child process: generate the company, serve it, report what an oracle knows, stop when told."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per call would dominate
    built = time.perf_counter()
    state = generate_company(employees, depts, seed, into=SandboxState(app=AppCredentials.generate()))
    state.limits.qps_per_app_api = qps
    generated_s = time.perf_counter() - built
    with SandboxServer(state) as sandbox:
        directory = state.directory
        with state.lock:
            members = {d: directory.member_ids(d) for d in directory.departments}
        conn.send({
            "base_url": sandbox.base_url, "app": state.app, "generated_s": generated_s,
            "minimum": {LISTSUBID: len(members),
                        USER_LIST: sum(max(1, math.ceil(len(m) / MAX_PAGE_SIZE)) for m in members.values())},
            "expected": {(d, u) for d, ids in members.items() for u in ids},
        })
        conn.recv()


def sandbox_throttles(base_url: str, path: str) -> int:
    """Throttle answers the sandbox recorded for `path` (its control API is never throttled itself)."""
    records = requests.get(f"{base_url}/_sandbox/requests", params={"path": path}, timeout=30).json()["requests"]
    return sum(1 for r in records if r["errcode"] in THROTTLE_CODES or r["code"] in THROTTLE_API_CODES)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--depts", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--qps", type=int, default=20, help="per-app-per-API QPS, same in client and sandbox")
    parser.add_argument("--workers", type=int, default=6, help="threads per API")
    args = parser.parse_args(argv)

    # The sandbox runs in its own process, as DingTalk runs on its own servers: client and server
    # must not share one interpreter lock.
    ctx = multiprocessing.get_context("spawn")
    parent_conn, child_conn = ctx.Pipe()
    child = ctx.Process(target=serve_company, args=(child_conn, args.employees, args.depts, args.seed, args.qps))
    child.start()
    try:
        info = parent_conn.recv()
        print(f"generated {args.employees} employees in {args.depts} departments (+ root), seed {args.seed}, "
              f"in {info['generated_s']:.1f}s; QPS per app per API: {args.qps} (client and sandbox)")
        app = info["app"]
        client = DingTalkClient(ClientConfig(
            corp_id=app.corp_id, app_key=app.app_key, app_secret=app.app_secret, agent_id=app.agent_id,
            robot_code=app.robot_code, api_base=info["base_url"], oapi_base=info["base_url"],
            qps_per_api=args.qps))
        walk = TreeWalk(client, args.workers)
        started = time.perf_counter()
        try:
            client.access_token()
            walk.run()
        except DingTalkError as exc:
            walk.errors.append(exc)
        wall = time.perf_counter() - started
        throttled_sandbox = {path: sandbox_throttles(info["base_url"], path) for path in (LISTSUBID, USER_LIST)}
    finally:
        parent_conn.send("stop")
        child.join(timeout=30)

    stats = client.stats()
    minimum, expected, listed = info["minimum"], info["expected"], walk.userids
    print(f"{'API':<34}{'calls':>8}{'minimum':>9}{'throttled (client)':>20}{'throttled (sandbox)':>21}")
    for path in (LISTSUBID, USER_LIST):
        print(f"{path:<34}{stats.calls.get(path, 0):>8}{minimum[path]:>9}"
              f"{stats.throttled.get(path, 0):>20}{throttled_sandbox[path]:>21}")
    others = {p: n for p, n in stats.calls.items() if p not in minimum}
    print(f"other calls: {others or 'none'}; retries: {stats.retries}; errors surfaced: {len(walk.errors)}")
    duplicates = sum(1 for n in listed.values() if n > 1)
    print(f"departments walked: {len(walk.departments)}; department memberships listed: {len(listed)} "
          f"(expected {len(expected)}, missing {len(expected - set(listed))}, listed twice {duplicates}); "
          f"distinct users: {len({u for _, u in listed})}")
    for error in walk.errors[:5]:
        print(f"ERROR: {error}")

    calls = sum(stats.calls.get(p, 0) for p in minimum)
    calls_ratio = calls / sum(minimum.values())
    least_time = max(stats.calls.get(p, 0) / args.qps for p in minimum)
    time_ratio = wall / least_time
    print(f"wall time {wall:.2f}s; least time the limit allows {least_time:.2f}s")
    ok = not walk.errors and set(listed) == expected and duplicates == 0
    print(f"RESULT calls_ratio={calls_ratio:.3f} time_ratio={time_ratio:.3f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
