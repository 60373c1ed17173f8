"""`dingperf init`: write a config.toml for the sandbox (ready to run) or for a real organisation (to fill in)."""

from __future__ import annotations

from pathlib import Path

import click

from dingperf.commands._common import config_option, config_path
from dingperf.config_file import render_org_config, render_sandbox_config

DEFAULT_SANDBOX_PORT = 8765


@click.command("init")
@click.option("--sandbox/--org", "sandbox", default=True,
              help="--sandbox (default): credentials `dingperf sandbox` accepts; --org: placeholders to fill in.")
@click.option("--path", "path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write (default: --config, $DINGPERF_CONFIG, else ./config.toml).")
@click.option("--port", type=int, default=DEFAULT_SANDBOX_PORT, show_default=True,
              help="Sandbox only: the port `dingperf sandbox` will listen on.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@config_option
@click.pass_context
def init_command(ctx: click.Context, sandbox: bool, path: Path | None, port: int, force: bool) -> None:
    """Write a config.toml from the documented example."""
    target = path or config_path(ctx)
    if target.exists() and not force:
        raise click.ClickException(f"{target} already exists; pass --force to overwrite it")
    if sandbox:
        from dingperf.sandbox.state import AppCredentials

        app = AppCredentials.generate()
        creds = {k: getattr(app, k) for k in ("corp_id", "app_key", "app_secret", "agent_id", "robot_code",
                                              "callback_token", "callback_aes_key")}
        text = render_sandbox_config(creds, f"http://127.0.0.1:{port}")
    else:
        text = render_org_config()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    target.chmod(0o600)  # it holds secrets
    click.echo(f"wrote {target}")
    flag = f" --config {target}" if target.resolve() != Path("config.toml").resolve() else ""
    if sandbox:
        click.echo(f"next: `dingperf sandbox{flag}` in one terminal, then `dingperf db upgrade{flag}`")
    else:
        click.echo("next: fill in every 'change-me' value from the DingTalk developer console, then run "
                   f"`dingperf config check{flag}` until it passes, then `dingperf db upgrade{flag}`")
