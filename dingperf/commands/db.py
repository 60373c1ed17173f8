"""`dingperf db upgrade|current`: schema migrations (Alembic, shipped in the package)."""

from __future__ import annotations

import click

from dingperf.commands._common import config_option, echo_json, settings_from
from dingperf.settings_check import mask_url


@click.group("db")
def db_group() -> None:
    """Manage the database schema."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@config_option
@click.pass_context
def upgrade_command(ctx: click.Context, revision: str) -> None:
    """Bring the database to the newest schema (safe to run repeatedly)."""
    from dingperf.store.migrate import current_revision, upgrade

    settings = settings_from(ctx)
    before = current_revision(settings.database.url)
    after = upgrade(settings, revision)
    url = mask_url(settings.database.url)
    if before == after:
        click.echo(f"{url}: already at revision {after}")
    else:
        click.echo(f"{url}: upgraded from {before or 'empty'} to {after}")


@db_group.command("current")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@config_option
@click.pass_context
def current_command(ctx: click.Context, as_json: bool) -> None:
    """Show the database's schema revision and the newest one this version ships."""
    from dingperf.store.migrate import current_revision, head_revision

    settings = settings_from(ctx)
    current, head = current_revision(settings.database.url), head_revision()
    if as_json:
        echo_json({"database": mask_url(settings.database.url), "current": current, "head": head,
                   "up_to_date": current == head})
        return
    state = "up to date" if current == head else "run `dingperf db upgrade`"
    click.echo(f"{mask_url(settings.database.url)}: revision {current or 'empty'}, newest {head} ({state})")
