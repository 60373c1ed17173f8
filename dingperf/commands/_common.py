"""What every command shares: the --config option, loading settings, and turning our errors into exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from dingperf.settings import ConfigError, Settings, find_config_path, load_settings

F = TypeVar("F", bound=Callable[..., Any])
_META_KEY = "dingperf.config"


def _remember_config(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value:
        ctx.meta[_META_KEY] = value  # ctx.meta is shared by the whole command chain
    return value


def config_option(func: F) -> F:
    """Add `--config PATH` (also accepted before the command name: `dingperf --config X config check`)."""
    return click.option(
        "--config", "config_path", metavar="PATH", expose_value=False, is_eager=True, callback=_remember_config,
        help="Config file (default: $DINGPERF_CONFIG, else ./config.toml).",
    )(func)


def config_path(ctx: click.Context) -> Path:
    """The config file this invocation uses (whether or not it exists)."""
    return find_config_path(ctx.meta.get(_META_KEY))


def explicit_config(ctx: click.Context) -> str | None:
    """The --config value if one was given."""
    return ctx.meta.get(_META_KEY)


def settings_from(ctx: click.Context) -> Settings:
    """Load and validate settings, or stop with the ConfigError text and exit status 1."""
    try:
        return load_settings(ctx.meta.get(_META_KEY))
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def echo_json(data: Any) -> None:
    """One JSON document on stdout (non-ASCII kept readable)."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=None, default=str))


R = TypeVar("R")


def query_store(ctx: click.Context, corp_id: str | None, call: Callable[[Any, str], R]) -> R:
    """Run `call(store, corp)` on the configured store (corp: --corp, else [dingtalk] corp_id); store and
    domain errors become a clean CLI error, and the store is always closed."""
    from dingperf.perf.errors import DomainError
    from dingperf.store.engine import StoreError, store_for

    settings = settings_from(ctx)
    store = store_for(settings)
    try:
        return call(store, corp_id or settings.dingtalk.corp_id)
    except (StoreError, DomainError) as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        store.dispose()
