"""`dingperf config check`: validate the configuration and show the effective values, secrets masked."""

from __future__ import annotations

import click

from dingperf.commands._common import config_option, config_path, echo_json
from dingperf.config_file import toml_value
from dingperf.settings import ConfigError, load_settings, masked_settings


@click.group("config")
def config_group() -> None:
    """Inspect the configuration."""


@config_group.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@config_option
@click.pass_context
def check_command(ctx: click.Context, as_json: bool) -> None:
    """Validate settings (file + DINGPERF_* environment) and print them with secrets masked."""
    path = config_path(ctx)
    try:
        settings = load_settings(path)
    except ConfigError as exc:
        if as_json:
            echo_json({"ok": False, "config_file": str(path), "problems": [
                {"key": p.key, "where": p.where, "message": p.message, "fix": p.fix} for p in exc.problems]})
            ctx.exit(1)
        raise click.ClickException(str(exc)) from exc
    shown = masked_settings(settings)
    if as_json:
        echo_json({"ok": True, "config_file": str(settings.source), "sandbox": settings.is_sandbox,
                   "settings": shown, "origins": dict(settings.origins)})
        return
    mode = "sandbox" if settings.is_sandbox else "organisation"
    click.echo(f"# {settings.source} is valid ({mode}); secrets are masked")
    for section, values in shown.items():
        click.echo(f"\n[{section}]")
        for key, value in values.items():
            origin = settings.origins.get(f"{section}.{key}", "default")
            click.echo(f"{key} = {toml_value(value)}  # {origin}")
