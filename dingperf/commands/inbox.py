"""`dingperf inbox list|show|replay|work`: see what DingTalk sent, requeue events, run the worker."""

from __future__ import annotations

import signal
import threading
from datetime import UTC, datetime
from typing import Any

import click

from dingperf.commands._common import config_option, echo_json, settings_from

STATUSES = ("received", "processing", "done", "failed", "parked")


def _open(ctx: click.Context) -> tuple[Any, Any]:
    from dingperf.store.engine import store_for

    settings = settings_from(ctx)
    return settings, store_for(settings)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def row_summary(row: Any) -> dict[str, Any]:
    """The --json fields of one inbox row."""
    return {"event_id": row.event_id, "event_type": row.event_type, "source": row.source, "status": row.status,
            "attempts": row.attempts, "received_at": _iso(row.received_at), "processed_at": _iso(row.processed_at),
            "next_attempt_at": _iso(row.next_attempt_at), "corp_id": row.corp_id, "last_error": row.last_error}


def row_detail(row: Any) -> dict[str, Any]:
    """row_summary plus DingTalk's birth time and the business payload."""
    from dingperf.events.inbox_store import event_of

    event = event_of(row)
    return {**row_summary(row), "born_at": _iso(event.born_at), "lease_until": _iso(row.lease_until),
            "payload": event.payload}


@click.group("inbox")
def inbox_group() -> None:
    """Inbound DingTalk events: every event stored once, then handled by the worker."""


@inbox_group.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only events in this state.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True, help="One JSON object: {\"events\": [...]}.")
@config_option
@click.pass_context
def list_command(ctx: click.Context, status: str | None, limit: int, as_json: bool) -> None:
    """Newest events first."""
    from dingperf.store.repositories.inbox import list_inbox_events

    settings, store = _open(ctx)
    with store.session() as s:
        rows = list_inbox_events(session=s, corp_id=settings.dingtalk.corp_id or None, status=status, limit=limit)
    if as_json:
        echo_json({"events": [row_summary(r) for r in rows]})
        return
    if not rows:
        click.echo("inbox is empty" + (f" (status {status})" if status else ""))
        return
    for r in rows:
        when = r.received_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        click.echo(f"{when}  {r.status:<10} {r.attempts:>2}x  {r.source:<11} {r.event_type:<24} {r.event_id}"
                   + (f"  ! {r.last_error.splitlines()[0][:80]}" if r.last_error else ""))


def _row(ctx: click.Context, settings: Any, store: Any, event_id: str) -> Any:
    from dingperf.store.engine import NotFound
    from dingperf.store.repositories.inbox import get_inbox_event

    try:
        with store.session() as s:
            return get_inbox_event(session=s, corp_id=settings.dingtalk.corp_id, event_id=event_id)
    except NotFound as exc:
        raise click.ClickException(str(exc)) from exc


@inbox_group.command("show")
@click.argument("event_id")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@config_option
@click.pass_context
def show_command(ctx: click.Context, event_id: str, as_json: bool) -> None:
    """One event with its payload and last error."""
    import json

    settings, store = _open(ctx)
    detail = row_detail(_row(ctx, settings, store, event_id))
    if as_json:
        echo_json(detail)
        return
    for key, value in detail.items():
        if key != "payload":
            click.echo(f"{key:>15}: {value if value not in (None, '') else '-'}")
    click.echo("        payload: " + json.dumps(detail["payload"], ensure_ascii=False, indent=2))


@inbox_group.command("replay")
@click.argument("event_ids", nargs=-1)
@click.option("--all-parked", is_flag=True, help="Requeue every parked event.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object: {\"replayed\": [...]}.")
@config_option
@click.pass_context
def replay_command(ctx: click.Context, event_ids: tuple[str, ...], all_parked: bool, as_json: bool) -> None:
    """Put done, failed or parked events back in line with a fresh attempt count."""
    from dingperf.store.repositories.inbox import list_inbox_events, replay_inbox_event

    settings, store = _open(ctx)
    corp = settings.dingtalk.corp_id
    ids = list(event_ids)
    if all_parked:
        with store.session() as s:
            ids += [r.event_id for r in list_inbox_events(session=s, corp_id=corp or None, status="parked",
                                                          limit=100_000)]
    if not ids:
        raise click.UsageError("name at least one EVENT_ID (see `dingperf inbox list`) or pass --all-parked")
    replayed = []
    for event_id in dict.fromkeys(ids):
        row = _row(ctx, settings, store, event_id)
        if row.status == "processing" and row.lease_until and row.lease_until > datetime.now(UTC):
            raise click.ClickException(f"event {event_id} is being handled right now (lease until "
                                       f"{_iso(row.lease_until)}); replay it after it finishes")
        with store.session() as s:
            replayed.append(row_summary(replay_inbox_event(session=s, corp_id=row.corp_id, event_id=event_id)))
    if as_json:
        echo_json({"replayed": replayed})
        return
    for r in replayed:
        click.echo(f"requeued {r['event_type']} {r['event_id']}")


@inbox_group.command("work")
@click.option("--once", is_flag=True, help="Handle what is due now, then exit.")
@config_option
@click.pass_context
def work_command(ctx: click.Context, once: bool) -> None:
    """Run the inbox worker (handlers from callbacks/) until interrupted."""
    from callbacks import HandlerContext, build_router
    from dingperf.events.inbox_store import SqlInbox
    from dingperf.events.worker import InboxWorker
    from dingperf.services.client_factory import build_client

    settings, store = _open(ctx)
    # the store-backed quota counter, so every process adds to the same monthly count
    context = HandlerContext(settings=settings, store=store, client=build_client(settings, store=store))
    worker = InboxWorker(SqlInbox(store), build_router(), context=context)
    if once:
        total = 0
        while (report := worker.run_once()).claimed:
            total += report.claimed
        click.echo(f"handled {total} event(s)")
        return
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    click.echo("inbox worker running; Ctrl-C to stop")
    worker.run_forever(stop)
