"""Bench: frames per second acked through the sandbox Stream gateway by dingperf's Stream adapter.

The sandbox (gateway included) runs in this process; `StreamRunner` — the official SDK, supervised,
storing each frame in a SQLite inbox before acking SUCCESS — runs in a separate process, as
`dingperf serve stream` would. Events are offered at --rate for --seconds; the clock stops when the
last one is acked. Prints offered/acked/stored counts, redeliveries, and `RESULT frames_per_s=…`.

    python bench/stream_intake.py [--rate 2500] [--seconds 5]

Offer near the target: far above it, the sandbox gateway spends its CPU polling thousands of unacked
deliveries (each wakes every 50 ms), and the number then measures the sandbox, not the adapter.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from dingperf.sandbox.event_payloads import SandboxEvent
from dingperf.sandbox.server import SandboxServer
from dingperf.store.engine import open_store
from dingperf.store.migrate import upgrade_database
from dingperf.store.tables.inbox import InboxEvent


def _child(params: dict[str, Any], stop: Any) -> None:
    from dingperf.events.stream_runner import stream_runner_for
    from dingperf.settings import sandbox_settings

    logging.basicConfig(level=logging.WARNING)
    store = open_store(params["db_url"])
    settings = sandbox_settings(base_url=params["base_url"], corp_id=params["corp_id"], app_key=params["app_key"],
                                app_secret=params["app_secret"], agent_id=params["agent_id"],
                                robot_code=params["app_key"], callback_token=params["callback_token"],
                                callback_aes_key=params["callback_aes_key"], database_url=params["db_url"])
    runner = stream_runner_for(settings, store)  # exactly what `dingperf serve stream` runs
    runner.start()
    stop.wait()
    runner.stop()


def _stored(store: Any) -> int:
    with store.session() as s:
        return int(s.execute(select(func.count()).select_from(InboxEvent)).scalar_one())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rate", type=int, default=2500, help="events offered per second")
    ap.add_argument("--seconds", type=float, default=5.0, help="how long to offer")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="dingperf-bench-stream-"))
    db_url = f"sqlite:///{tmp / 'inbox.db'}"
    upgrade_database(db_url)
    store = open_store(db_url)
    sandbox = SandboxServer()
    sandbox.start()
    state, app = sandbox.state, sandbox.state.app
    # Generous ack timeout: we measure throughput, not the redelivery of a queue that waits its turn.
    state.gateway.configure({"ack_timeout_s": 120})
    ctx = multiprocessing.get_context("spawn")
    stop = ctx.Event()
    params = {"db_url": db_url, "app_key": app.app_key, "app_secret": app.app_secret, "agent_id": app.agent_id,
              "base_url": sandbox.base_url, "corp_id": app.corp_id, "callback_token": app.callback_token,
              "callback_aes_key": app.callback_aes_key}
    child = ctx.Process(target=_child, args=(params, stop))
    child.start()
    try:
        deadline = time.monotonic() + 30
        while not state.gateway.connections():
            if time.monotonic() > deadline:
                print("stream client never connected", file=sys.stderr)
                return 1
            time.sleep(0.05)
        ids: list[str] = []
        total = int(args.rate * args.seconds)
        tick, per_tick = 0.01, max(1, int(args.rate * 0.01))
        started = time.monotonic()
        while len(ids) < total:
            for _ in range(min(per_tick, total - len(ids))):
                ev = SandboxEvent.new("user_modify_org", app.corp_id, state.clock.now_ms(),
                                      {"timeStamp": str(state.clock.now_ms()), "userId": [f"u{len(ids)}"]})
                state.gateway.push_event(app.app_key, ev)
                ids.append(ev.event_id)
            next_at = started + tick * (len(ids) // per_tick)
            if (pause := next_at - time.monotonic()) > 0:
                time.sleep(pause)
        offered_s = time.monotonic() - started
        # Poll the inbox, not the gateway: checking 10,000s of deliveries would steal the gateway's CPU.
        while _stored(store) < total and time.monotonic() - started < 300:
            time.sleep(0.02)
        pending = set(ids)
        while pending and time.monotonic() - started < 300:
            pending = {e for e in pending if state.gateway.delivery(e)["status"] != "acked"}
        elapsed = time.monotonic() - started
        acked = total - len(pending)
        attempts = sum(len(state.gateway.delivery(e)["attempts"]) for e in ids)
        stored = _stored(store)
        fps = acked / elapsed
        print(f"offered {total} events at {args.rate}/s over {offered_s:.2f}s; acked {acked} in {elapsed:.2f}s")
        print(f"stored {stored}, lost {total - stored}, redeliveries {attempts - total}")
        print(f"RESULT frames_per_s={fps:.0f} lost={total - stored} redeliveries={attempts - total}")
        return 0
    finally:
        stop.set()
        child.join(15)
        sandbox.stop()
        store.dispose()


if __name__ == "__main__":
    sys.exit(main())
