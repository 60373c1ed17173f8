"""Acts 1–3 of the demo: sync the address book, take live events, pull attendance and approvals."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import func, select

from dingperf.demo.narrator import Narrator
from dingperf.demo.world import World
from dingperf.services.sync_approvals import sync_approvals
from dingperf.services.sync_attendance import sync_attendance
from dingperf.services.sync_contacts import ContactsSyncOptions, sync_contacts
from dingperf.store.repositories import get_employee, list_inbox_events
from dingperf.store.tables.attendance import AttendanceRecord
from dingperf.store.tables.org import Employee


def sync_org(world: World, say: Narrator, *, progress_bar: bool) -> None:
    say.act("Address book: full sync from DingTalk (departments, users, managers)")
    s = sync_contacts(store=world.store, client=world.client, corp_id=world.corp_id,
                      options=ContactsSyncOptions(progress_bar=progress_bar))
    say.say(f"{s.departments} departments and {s.users} people in {s.duration_s:.1f} s: "
            f"{s.created} created, {s.deactivated} marked as departed")
    say.say("managers from: " + ", ".join(f"{k} {v}" for k, v in sorted(s.managers.items())))
    say.table(["API", "calls"], sorted(s.calls.items()), title="   DingTalk calls (each API has its own 20 QPS budget)")
    again = sync_contacts(store=world.store, client=world.client, corp_id=world.corp_id)
    say.say(f"re-sync of the unchanged org: {again.created} created, {again.updated} updated, "
            f"{again.unchanged} unchanged — nothing written")


def live_events(world: World, say: Narrator) -> None:
    from dingperf.commands.serve import _serve_all

    say.act("Live events: `dingperf serve` (web + Stream + scheduler) takes DingTalk's pushes")
    world.control("push-config", {"mode": "stream"})
    urls: list[str] = []
    world.serve_thread = threading.Thread(
        target=_serve_all, args=(world.settings, world.store, "127.0.0.1", 0, world.stop, urls.append),
        name="demo-serve", daemon=True)
    world.serve_thread.start()
    _wait(lambda: urls and world.control("stream/connections")["connections"], "the Stream connection")
    world.web_url = urls[0]
    company = world.control("company")
    studio = company["dept_ids_by_name"].get("影楼运营部", 1)
    leaver = company["sample_userids"][-1]
    mover, new_boss = company["sample_no_manager_userids"][:1], company["sample_manager_userids"][0]
    bodies: list[dict[str, Any]] = [
        {"type": "user_add_org", "user": {"name": "林晓雨", "dept_id_list": [studio], "title": "摄影师"}},
        {"type": "user_leave_org", "userid": leaver},
    ]
    if mover:
        bodies.append({"type": "user_modify_org", "userid": mover[0], "changes": {"manager_userid": new_boss}})
    for body in bodies:
        world.control("events", body)
    _wait(lambda: _all_done(world, len(bodies)), "the inbox to process every event")
    with world.store.session() as session:
        rows = list_inbox_events(session=session, corp_id=world.corp_id)
        say.table(["event", "source", "status", "attempts"],
                  [(r.event_type, r.source, r.status, r.attempts) for r in rows],
                  title="   inbox (stored before the ack, then handled; duplicates are no-ops)")
        hired = session.exec(select(Employee).where(Employee.corp_id == world.corp_id,
                                                    Employee.name == "林晓雨")).first()
        gone = get_employee(session=session, corp_id=world.corp_id, userid=leaver)
        say.say(f"林晓雨 is in the store ({hired.userid if hired else 'missing!'}); "
                f"{gone.name} is kept with history, active={gone.active}")
        if mover:
            moved = get_employee(session=session, corp_id=world.corp_id, userid=mover[0])
            say.say(f"{moved.name} now reports to {moved.manager_userid} (was: no manager)")


def sync_sources(world: World, say: Narrator, date_from: date, date_to: date, *, approvals_from: date) -> list[str]:
    say.act(f"Attendance {date_from} … {date_to} and approvals {approvals_from} … {date_to}")
    att = sync_attendance(store=world.store, client=world.client, corp_id=world.corp_id, date_from=date_from,
                          date_to=date_to)
    say.say(f"attendance: {att.records} check results for {att.users} people in {att.calls} calls "
            f"(≤ 50 people × ≤ 7 days each), {att.written} stored")
    with world.store.session() as session:
        counts = Counter(dict(session.exec(
            select(AttendanceRecord.time_result, func.count()).where(AttendanceRecord.corp_id == world.corp_id)
            .group_by(AttendanceRecord.time_result)).all()))
    say.say("results: " + ", ".join(f"{k} {v}" for k, v in counts.most_common()))
    codes = [c for c in world.control("company")["process_codes"] if "KPI" in c]
    tz = world.settings.org.zone
    start = datetime.combine(approvals_from, datetime.min.time(), tzinfo=tz)
    end = datetime.combine(date_to + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    for code in codes:
        ap = sync_approvals(store=world.store, client=world.client, corp_id=world.corp_id, process_code=code,
                            start=start, end=end)
        say.say(f"approvals {code}: {ap.instances} instances, {ap.created} stored")
    say.say(f"monthly quota used so far: {world.client.quota.used()} of {world.client.quota.limit} "
            "(attendance, approvals and messages count; the address book does not)")
    return codes


def _all_done(world: World, expected: int) -> bool:
    with world.store.session() as session:
        rows = list_inbox_events(session=session, corp_id=world.corp_id)
    return len(rows) >= expected and all(r.status in ("done", "ignored") for r in rows)


def _wait(predicate: Any, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)
