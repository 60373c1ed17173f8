"""Health checks an IT admin runs after installing or when something looks wrong (`dingperf doctor`).

Each check says ok / warn / fail, what it saw, and what to do. Checks never change anything, and the
DingTalk checks only call quota-exempt APIs (token, address book).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, text
from sqlmodel import select

from dingperf.dingtalk.errors import CredentialsInvalid, DingTalkError, PermissionDenied
from dingperf.dingtalk.quota import CHINA_TZ
from dingperf.events.leader import LeaderLock
from dingperf.settings import Settings
from dingperf.store.engine import Store
from dingperf.store.migrate import current_revision, head_revision
from dingperf.store.repositories.quota import get_quota_usage
from dingperf.store.tables.inbox import InboxEvent

STALE_AFTER = timedelta(minutes=5)


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # ok | warn | fail | skip
    detail: str
    fix: str = ""


def _database(settings: Settings, store: Store) -> Check:
    try:
        with store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        current, head = current_revision(settings.database.url), head_revision()
    except Exception as exc:  # noqa: BLE001 - any failure here is what the admin needs to see
        return Check("database", "fail", f"cannot reach the database: {type(exc).__name__}: {exc}"[:300],
                     "check [database] url and that the server is running")
    if current != head:
        return Check("database", "fail", f"schema at revision {current or 'empty'}, this version needs {head}",
                     "run `dingperf db upgrade` (the server also does it on start)")
    return Check("database", "ok", f"{store.dialect}, schema at revision {head}")


def _credentials(client: Any) -> Check:
    try:
        client.access_token()
    except CredentialsInvalid:
        return Check("dingtalk credentials", "fail", "DingTalk refused app_key/app_secret",
                     "copy ClientID/ClientSecret from the developer console into [dingtalk] app_key/app_secret")
    except DingTalkError as exc:
        return Check("dingtalk credentials", "fail", f"token request failed: {exc}"[:300],
                     "check [dingtalk] api_base and the network path to DingTalk")
    return Check("dingtalk credentials", "ok", "access token issued")


def _address_book(client: Any) -> Check:
    try:
        children = client.contacts.list_sub_department_ids(1)
    except PermissionDenied as exc:
        return Check("address book permission", "fail", str(exc)[:300],
                     "grant the app 通讯录 read permissions (qyapi_get_department_list, qyapi_get_member)")
    except DingTalkError as exc:
        return Check("address book permission", "fail", str(exc)[:300], "see the error code in DINGTALK docs")
    return Check("address book permission", "ok", f"root department has {len(children)} sub-departments")


def _quota(settings: Settings, store: Store) -> Check:
    month = datetime.now(CHINA_TZ).strftime("%Y-%m")
    with store.session() as s:
        used = get_quota_usage(session=s, corp_id=settings.dingtalk.corp_id, month=month)
    limit = settings.dingtalk.monthly_quota
    if not limit:
        return Check("monthly quota", "ok", f"{used} metered calls in {month} (no limit configured)")
    share = used / limit
    status = "fail" if share >= 1 else "warn" if share >= 0.8 else "ok"
    return Check("monthly quota", status, f"{used} of {limit} metered calls used in {month} ({share:.0%})",
                 "" if status == "ok" else "prefer events over polling, or raise the org's edition limit")


def _inbox(settings: Settings, store: Store, now: datetime) -> Check:
    with store.session() as s:
        counts = Counter(dict(s.exec(select(InboxEvent.status, func.count()).where(
            InboxEvent.corp_id == settings.dingtalk.corp_id).group_by(InboxEvent.status)).all()))
        oldest = s.exec(select(func.min(InboxEvent.received_at)).where(
            InboxEvent.corp_id == settings.dingtalk.corp_id, InboxEvent.status == "received")).first()
    seen = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "empty"
    if counts.get("parked"):
        return Check("inbox", "warn", f"{seen}", "`dingperf inbox list --status parked`, fix the cause, then "
                     "`dingperf inbox replay EVENT_ID`")
    if oldest is not None and now - _aware(oldest) > STALE_AFTER:
        return Check("inbox", "warn", f"{seen}; oldest unprocessed event waits since {oldest:%Y-%m-%d %H:%M}",
                     "is the scheduler running? start `dingperf serve scheduler` (or `dingperf serve`)")
    return Check("inbox", "ok", seen)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _role(settings: Settings, role: str, needed: bool) -> Check:
    lock = LeaderLock(settings.database.url, role)
    free = lock.try_acquire()
    if free:
        lock.release()
    if not free:
        return Check(f"{role} process", "ok", "running (holds the installation's leader lock)")
    if needed:
        return Check(f"{role} process", "warn", "not running", f"start `dingperf serve {role}` (or `dingperf serve`)")
    return Check(f"{role} process", "skip", "not needed in this event mode")


def _event_mode(settings: Settings) -> Check:
    d = settings.dingtalk
    if d.event_mode == "http" and not settings.server.public_url:
        return Check("event mode", "warn", "HTTP callbacks without [server] public_url",
                     "set public_url to the https address DingTalk posts to (…/dingtalk/callback)")
    return Check("event mode", "ok", f"{d.event_mode}" + (f", callbacks at {settings.server.public_url}"
                                                          "/dingtalk/callback" if d.event_mode == "http" else ""))


def run_checks(settings: Settings, store: Store, client: Any, *, now: datetime | None = None) -> list[Check]:
    """Every check, in the order an admin would fix things; a failed database stops the store checks."""
    now = now or datetime.now(UTC)
    checks = [_database(settings, store)]
    db_ok = checks[0].status == "ok"
    steps: list[Callable[[], Check]] = [
        lambda: _credentials(client), lambda: _address_book(client), lambda: _event_mode(settings)]
    if db_ok:
        steps += [lambda: _quota(settings, store), lambda: _inbox(settings, store, now),
                  lambda: _role(settings, "scheduler", True),
                  lambda: _role(settings, "stream", settings.dingtalk.event_mode == "stream")]
    checks += [step() for step in steps]
    if checks[1].status == "fail":  # no token: the address-book check only repeats the same failure
        checks = [c for c in checks if c.name != "address book permission"]
    return checks
