"""`dingperf sync [contacts|attendance|approvals]`: pull DingTalk data into the store (`dingperf sync` = contacts)."""

from __future__ import annotations

import sys
from datetime import date, datetime, time
from typing import Any

import click

from dingperf.commands._common import config_option, echo_json, settings_from


def _open(ctx: click.Context) -> tuple[Any, Any, Any]:
    from dingperf.services.client_factory import build_client
    from dingperf.store.engine import store_for

    settings = settings_from(ctx)
    if not settings.dingtalk.corp_id:
        raise click.ClickException("[dingtalk] corp_id is empty; set it in config.toml (see `dingperf init`)")
    store = store_for(settings)
    return settings, store, build_client(settings, store=store)


def _fail(exc: Exception) -> click.ClickException:
    return click.ClickException(f"{exc} (progress so far is kept; run the same command again to continue)")


def _run_contacts(ctx: click.Context, as_json: bool, quiet: bool, restart: bool) -> None:
    from dingperf.dingtalk.errors import DingTalkError
    from dingperf.services.sync_contacts import ContactsSyncOptions, sync_contacts
    from dingperf.store.engine import StoreError

    settings, store, client = _open(ctx)
    bar = not (as_json or quiet) and sys.stderr.isatty()
    options = ContactsSyncOptions(resume=not restart, progress_bar=bar)
    try:
        summary = sync_contacts(store=store, client=client, corp_id=settings.dingtalk.corp_id, options=options)
    except (DingTalkError, StoreError) as exc:
        raise _fail(exc) from exc
    if as_json:
        echo_json(summary.as_dict())
        return
    if quiet:
        return
    click.echo(f"contacts: {summary.departments} departments ({summary.departments_created} new, "
               f"{summary.departments_updated} changed, {summary.departments_removed} removed), "
               f"{summary.users} employees ({summary.created} new, {summary.updated} changed, "
               f"{summary.unchanged} unchanged, {summary.deactivated} deactivated) in {summary.duration_s:.1f}s"
               + (" (resumed)" if summary.resumed else ""))
    managers = summary.managers
    click.echo(f"managers: {managers.get('detail', 0)} from user detail, {managers.get('dept_leader', 0)} from "
               f"department heads, {managers.get('none', 0)} without")
    click.echo("calls: " + ", ".join(f"{path} {n}" for path, n in sorted(summary.calls.items())))


@click.group("sync", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.option("--quiet", is_flag=True, help="No progress bar and no summary.")
@click.option("--restart", is_flag=True, help="Ignore an interrupted run's checkpoint and start over.")
@config_option
@click.pass_context
def sync_group(ctx: click.Context, as_json: bool, quiet: bool, restart: bool) -> None:
    """Pull DingTalk data into the store; without a subcommand, the address book (contacts)."""
    if ctx.invoked_subcommand is None:
        _run_contacts(ctx, as_json, quiet, restart)


@sync_group.command("contacts")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.option("--quiet", is_flag=True, help="No progress bar and no summary.")
@click.option("--restart", is_flag=True, help="Ignore an interrupted run's checkpoint and start over.")
@config_option
@click.pass_context
def contacts_command(ctx: click.Context, as_json: bool, quiet: bool, restart: bool) -> None:
    """Every department and employee (managers from user detail, else department heads); resumable."""
    _run_contacts(ctx, as_json, quiet, restart)


_DATE = click.DateTime(formats=["%Y-%m-%d"])


def _day(value: datetime) -> date:
    return value.date()


@sync_group.command("attendance")
@click.option("--from", "date_from", type=_DATE, required=True, help="First work day, YYYY-MM-DD.")
@click.option("--to", "date_to", type=_DATE, required=True, help="Last work day (inclusive), YYYY-MM-DD.")
@click.option("--userids", default="", help="Comma-separated userids (default: every active employee).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@config_option
@click.pass_context
def attendance_command(ctx: click.Context, date_from: datetime, date_to: datetime, userids: str,
                       as_json: bool) -> None:
    """Check results (Late, Early, NotSigned…) in batches of 50 users × 7 days; idempotent by record id."""
    from dingperf.dingtalk.errors import DingTalkError
    from dingperf.services.sync_attendance import AttendanceSyncError, sync_attendance

    settings, store, client = _open(ctx)
    ids = [u.strip() for u in userids.split(",") if u.strip()] or None
    try:
        summary = sync_attendance(store=store, client=client, corp_id=settings.dingtalk.corp_id,
                                  date_from=_day(date_from), date_to=_day(date_to), userids=ids)
    except AttendanceSyncError as exc:
        raise click.UsageError(str(exc)) from exc
    except DingTalkError as exc:
        raise _fail(exc) from exc
    if as_json:
        echo_json(summary.as_dict())
        return
    click.echo(f"attendance {summary.date_from}..{summary.date_to}: {summary.users} users, {summary.records} "
               f"results ({summary.written} new or changed, {summary.unchanged} unchanged"
               + (f", {summary.skipped} without id skipped" if summary.skipped else "")
               + f") with {summary.calls} calls in {summary.duration_s:.1f}s")


@sync_group.command("approvals")
@click.option("--process-code", "process_codes", multiple=True, required=True,
              help="Approval form code (PROC-…); repeat for several forms.")
@click.option("--from", "date_from", type=_DATE, required=True, help="Instances started on or after, YYYY-MM-DD.")
@click.option("--to", "date_to", type=_DATE, required=True, help="…and on or before (inclusive), YYYY-MM-DD.")
@click.option("--json", "as_json", is_flag=True, help="Print the summaries as one JSON object.")
@config_option
@click.pass_context
def approvals_command(ctx: click.Context, process_codes: tuple[str, ...], date_from: datetime, date_to: datetime,
                      as_json: bool) -> None:
    """Approval instances (status, result, form values) in ≤ 120-day windows; idempotent by instance id."""
    from dingperf.dingtalk.errors import DingTalkError
    from dingperf.services.sync_approvals import ApprovalSyncError, sync_approvals

    settings, store, client = _open(ctx)
    zone = settings.org.zone
    start = datetime.combine(_day(date_from), time.min, zone)
    end = datetime.combine(_day(date_to), time.max, zone)
    summaries = []
    for code in dict.fromkeys(process_codes):
        try:
            summaries.append(sync_approvals(store=store, client=client, corp_id=settings.dingtalk.corp_id,
                                            process_code=code, start=start, end=end))
        except ApprovalSyncError as exc:
            raise click.UsageError(str(exc)) from exc
        except DingTalkError as exc:
            raise _fail(exc) from exc
    if as_json:
        echo_json({"approvals": [s.as_dict() for s in summaries]})
        return
    for s in summaries:
        click.echo(f"approvals {s.process_code}: {s.instances} instances ({s.created} new, {s.updated} changed, "
                   f"{s.unchanged} unchanged" + (f", {s.vanished} gone" if s.vanished else "")
                   + f") in {s.duration_s:.1f}s")
