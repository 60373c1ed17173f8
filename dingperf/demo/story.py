"""The demo's running order; each act reads back what it did from the store or the sandbox."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

from dingperf.demo.narrator import Narrator
from dingperf.demo.org_act import live_events, sync_org, sync_sources
from dingperf.demo.perf_act import explain_one, leniency_by_manager, run_cycle, show_mailbox
from dingperf.demo.season_act import appeal, calibrate_group, follow_up, pick_hr, release, run_phases
from dingperf.demo.world import open_world


def run_demo(*, employees: int, depts: int, seed: int, workdir: Path | None, once: bool,
             progress_bar: bool, say: Narrator | None = None, stop: threading.Event | None = None) -> Path:
    """Run every act against a fresh sandbox; unless `once`, keep serving until `stop` (Ctrl+C)."""
    say = say or Narrator()
    world = open_world(employees=employees, depts=depts, seed=seed, workdir=workdir)
    try:
        say.say(f"sandbox DingTalk on {world.sandbox.base_url} — {employees} employees, {depts} departments, "
                f"seed {seed}; data in {world.workdir}")
        sync_org(world, say, progress_bar=progress_bar)
        live_events(world, say)
        today = world.sandbox.state.clock.now()
        from datetime import datetime

        end = datetime.fromtimestamp(today, world.settings.org.zone).date() - timedelta(days=1)
        # the quarter so far; the sandbox, like DingTalk's own retention, holds about 30 days of attendance
        quarter_start = end - timedelta(days=89)
        codes = sync_sources(world, say, end - timedelta(days=27), end, approvals_from=quarter_start)
        cycle_id = run_cycle(world, say, quarter_start, end, codes, seed)
        hr = pick_hr(world)
        run_phases(world, say, cycle_id, hr)
        scored = leniency_by_manager(world, say, cycle_id)
        calibrate_group(world, say, cycle_id, hr)
        results = release(world, say, cycle_id, hr)
        pick = explain_one(world, say, cycle_id, scored)
        appeal(world, say, cycle_id, hr, results)
        follow_up(world, say, cycle_id, hr)
        show_mailbox(world, say, pick)
        say.act("Done")
        say.say(f"config: {world.config_path}  (try: dingperf --config {world.config_path} inbox list)")
        if not once:
            say.say(f"still serving — sandbox {world.sandbox.base_url}/_sandbox/company, "
                    f"web {world.web_url}/healthz; Ctrl+C to stop")
            (stop or threading.Event()).wait()
        return world.workdir
    finally:
        world.close()
