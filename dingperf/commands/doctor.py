"""`dingperf doctor`: check the installation and say what to fix."""

from __future__ import annotations

import click

from dingperf.commands._common import config_option, echo_json, settings_from

MARK = {"ok": "✓", "warn": "!", "fail": "✗", "skip": "-"}


@click.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@config_option
@click.pass_context
def doctor_command(ctx: click.Context, as_json: bool) -> None:
    """Check config, database, DingTalk credentials, quota, inbox and running processes."""
    from dingperf.services.client_factory import build_client
    from dingperf.services.doctor import run_checks
    from dingperf.store.engine import store_for

    settings = settings_from(ctx)  # a bad config stops here with every problem listed
    store = store_for(settings)
    try:
        # no quota store: the database may be the very thing that is broken
        checks = run_checks(settings, store, build_client(settings, max_attempts=2, timeout_s=5.0))
    finally:
        store.dispose()
    failed = [c for c in checks if c.status == "fail"]
    if as_json:
        echo_json({"ok": not failed, "checks": [c.__dict__ for c in checks]})
    else:
        for c in checks:
            click.echo(f"{MARK[c.status]} {c.name}: {c.detail}")
            if c.fix:
                click.echo(f"    → {c.fix}")
        click.echo("all good" if not failed else f"{len(failed)} problem(s) to fix")
    if failed:
        ctx.exit(1)
