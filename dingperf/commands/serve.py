"""`dingperf serve [web|stream|scheduler]`: run one role, or all three in one supervised process.

The database is upgraded on start. `serve web` runs gunicorn (pre-fork workers); `serve` alone runs the
web app on a threaded server beside the Stream connection (event_mode = stream) and the scheduler.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

import click

from dingperf.commands._common import config_option, settings_from
from dingperf.settings import Settings

log = logging.getLogger("dingperf.serve")
ROLES = ("web", "stream", "scheduler")


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def handle(signum: int, _frame: Any) -> None:
        log.info("serve: %s received, stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return stop


def _prepare(settings: Settings) -> Any:
    from dingperf.store.engine import store_for
    from dingperf.store.migrate import upgrade

    revision = upgrade(settings)
    log.info("serve: database at revision %s", revision)
    return store_for(settings)


@click.command("serve")
@click.argument("role", required=False, type=click.Choice(ROLES))
@click.option("--host", default=None, help="Web interface (default: [server] host).")
@click.option("--port", type=int, default=None, help="Web port (default: [server] port).")
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True,
              help="gunicorn worker processes for `serve web`.")
@config_option
@click.pass_context
def serve_command(ctx: click.Context, role: str | None, host: str | None, port: int | None, workers: int) -> None:
    """Run dingperf: one ROLE (web, stream, scheduler), or all of them when ROLE is omitted."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # "job ran" every few seconds is noise
    settings = settings_from(ctx)
    host = host or settings.server.host
    port = settings.server.port if port is None else port
    store = _prepare(settings)
    if role == "web":
        _serve_web_gunicorn(settings, host, port, workers)
        return
    stop = _stop_on_signals()
    if role == "stream":
        _stream_role(settings, store).serve_forever(stop)
    elif role == "scheduler":
        _scheduler_role(settings, store).serve_forever(stop)
    else:
        _serve_all(settings, store, host, port, stop)


def _stream_role(settings: Settings, store: Any) -> Any:
    from dingperf.events.stream_runner import stream_runner_for

    return stream_runner_for(settings, store)


def _scheduler_role(settings: Settings, store: Any) -> Any:
    from dingperf.scheduler import SchedulerRole

    return SchedulerRole(settings, store)


def _serve_web_gunicorn(settings: Settings, host: str, port: int, workers: int) -> None:
    from dingperf.app import create_app
    from dingperf.web.server import GunicornApp

    # each worker builds its own app and engine after the fork (no shared connections)
    GunicornApp(lambda: create_app(settings), {
        "bind": f"{host}:{port}", "workers": workers, "worker_class": "gthread", "threads": 8,
        "timeout": 30, "graceful_timeout": 20, "accesslog": "-", "loglevel": "info",
    }).run()


def _serve_all(settings: Settings, store: Any, host: str, port: int, stop: threading.Event,
               ready: Any = None) -> None:
    """Web + scheduler (+ stream) until `stop`; `ready(web_url)` is called once everything runs."""
    from dingperf.app import create_app
    from dingperf.web.server import ThreadedServer

    web = ThreadedServer(create_app(settings, store=store), host, port)
    roles: list[Any] = [_scheduler_role(settings, store)]
    if settings.dingtalk.event_mode == "stream":
        roles.append(_stream_role(settings, store))
    started: list[Any] = []
    try:
        url = web.start()
        click.echo(f"dingperf: web on {url} (healthz: /healthz, callbacks: /dingtalk/callback)")
        for role in roles:
            role.start()
            started.append(role)
        click.echo(f"dingperf: {' + '.join(type(r).__name__ for r in started)} running; Ctrl+C to stop")
        if ready is not None:
            ready(url)
        stop.wait()
    finally:
        for role in reversed(started):
            role.stop()
        web.stop()
