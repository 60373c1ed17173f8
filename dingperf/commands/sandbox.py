"""`dingperf sandbox`: run the embedded DingTalk with a generated company until stopped.

With a sandbox config (`dingperf init --sandbox`) it accepts that config's credentials and listens on its
api_base port, so `dingperf sync` etc. work against it unchanged; otherwise it makes up credentials and
prints them.
"""

from __future__ import annotations

import json
import sys
import threading
from urllib.parse import urlsplit

import click

from dingperf.commands._common import config_option, config_path, explicit_config, settings_from
from dingperf.settings import Settings

DEFAULT_PORT = 8765
CREDENTIAL_KEYS = ("corp_id", "app_key", "app_secret", "agent_id", "robot_code", "callback_token",
                   "callback_aes_key")


@click.command("sandbox")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", type=int, default=None,
              help=f"Port (0 picks a free one; default: the sandbox config's api_base port, else {DEFAULT_PORT}).")
@click.option("--employees", type=click.IntRange(min=1), default=120, show_default=True)
@click.option("--depts", type=click.IntRange(min=1), default=12, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same company.")
@click.option("--json", "as_json", is_flag=True,
              help="Print base_url and credentials as one JSON object on the first line.")
@config_option
@click.pass_context
def sandbox_command(ctx: click.Context, host: str, port: int | None, employees: int, depts: int, seed: int,
                    as_json: bool) -> None:
    """Serve a faithful local DingTalk (both API families, Stream gateway, control API under /_sandbox/)."""
    settings = _sandbox_settings(ctx)
    if settings is None:
        from dingperf.sandbox.runner import run_sandbox

        run_sandbox(host, DEFAULT_PORT if port is None else port, employees, depts, seed, as_json)
        return
    if port is None:
        port = urlsplit(settings.dingtalk.api_base).port or DEFAULT_PORT
    serve_with_config(settings, host=host, port=port, employees=employees, depts=depts, seed=seed,
                      as_json=as_json)


def _sandbox_settings(ctx: click.Context) -> Settings | None:
    """The sandbox config to honour: required to be valid and sandbox=true when named explicitly."""
    if explicit_config(ctx) is None and not config_path(ctx).is_file():
        return None
    settings = settings_from(ctx)
    if not settings.is_sandbox:
        if explicit_config(ctx) is None:
            return None  # an org config in the current folder: run a throwaway sandbox instead
        raise click.ClickException(f"{settings.source} is not a sandbox config (dingtalk.sandbox = false); "
                                   "write one with `dingperf init --sandbox --path FILE`")
    return settings


def serve_with_config(settings: Settings, *, host: str, port: int, employees: int, depts: int, seed: int,
                      as_json: bool, stop: threading.Event | None = None) -> None:
    """Run the sandbox accepting the credentials in `settings` until interrupted (or `stop` is set)."""
    from dingperf.sandbox.company import generate_company
    from dingperf.sandbox.runner import credentials_view
    from dingperf.sandbox.server import SandboxServer
    from dingperf.sandbox.state import AppCredentials, SandboxState

    d = settings.dingtalk
    app = AppCredentials(corp_id=d.corp_id, app_key=d.app_key, app_secret=d.app_secret, agent_id=d.agent_id,
                         robot_code=d.effective_robot_code, callback_token=d.callback_token,
                         callback_aes_key=d.callback_aes_key)
    server = SandboxServer(generate_company(employees, depts, seed, into=SandboxState(app=app)))
    server.start(host, port)
    view = credentials_view(server)
    try:
        if as_json:
            click.echo(json.dumps(view, ensure_ascii=False))
        else:
            click.echo(f"dingperf sandbox DingTalk listening on {view['base_url']} "
                       f"({employees} employees, {depts} departments, seed {seed})")
            click.echo(f"  accepting the credentials in {settings.source}")
            if view["base_url"] != d.api_base.rstrip("/"):
                click.echo(f"  note: {settings.source} points api_base at {d.api_base}; use --port to match")
            click.echo(f"  control API: {view['base_url']}/_sandbox/\nPress Ctrl+C to stop.")
        sys.stdout.flush()
        (stop or threading.Event()).wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
