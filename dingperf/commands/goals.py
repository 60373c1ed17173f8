"""`dingperf goals tree --goal G [--json]` (the cascade map below a goal) and
`dingperf goals sheet --cycle C --employee U [--json]` (one person's goal sheet)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from dingperf.commands._common import config_option, echo_json, query_store

F = TypeVar("F", bound=Callable[..., Any])


def _common(func: F) -> F:
    func = click.option("--json", "as_json", is_flag=True, help="One JSON object instead of text.")(func)
    func = click.option("--corp", "corp_id", default=None,
                        help="Corp id (default: [dingtalk] corp_id of the config).")(func)
    return config_option(func)


@click.group("goals")
def goals_group() -> None:
    """Read goals: the cascade map below a goal, one person's goal sheet."""


@goals_group.command("tree")
@click.option("--goal", "goal_id", required=True, help="The goal at the top of the map, e.g. a company goal.")
@_common
@click.pass_context
def tree_command(ctx: click.Context, goal_id: str, corp_id: str | None, as_json: bool) -> None:
    """The cascade map below a goal.

    Each goal shows its owner, share of its parent, progress (a parent's rolled up from its children), OKR
    confidence and status."""
    from dingperf.perf.goal_map_render import render_text, to_dict
    from dingperf.services.goal_map import goal_map_view

    root, facts = query_store(ctx, corp_id, lambda store, corp: goal_map_view(store, corp, goal_id))
    if as_json:
        echo_json(to_dict(root, facts))
    else:
        click.echo(render_text(root, facts))


@goals_group.command("sheet")
@click.option("--cycle", "cycle_id", required=True, help="Cycle id, e.g. 2026-Q4.")
@click.option("--employee", "userid", required=True, help="The employee's DingTalk userid.")
@_common
@click.pass_context
def sheet_command(ctx: click.Context, cycle_id: str, userid: str, corp_id: str | None, as_json: bool) -> None:
    """One employee's goal sheet for a cycle.

    Goals grouped by BSC perspective, with weight, progress, key results and the sheet's problems."""
    from dingperf.perf.goal_sheet_render import render_sheet_text, sheet_to_dict
    from dingperf.services.goals import goal_sheet

    sheet = query_store(ctx, corp_id, lambda store, corp: goal_sheet(store, corp, cycle_id, userid))
    if as_json:
        echo_json(sheet_to_dict(sheet, cycle_id))
    else:
        click.echo(render_sheet_text(sheet, cycle_id))
