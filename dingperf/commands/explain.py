"""`dingperf explain --cycle C --employee U [--json]`: how one employee's score was reached, step by step."""

from __future__ import annotations

import click

from dingperf.commands._common import config_option, echo_json, settings_from


@click.command("explain")
@click.option("--cycle", "cycle_id", required=True, help="Cycle id, e.g. 2026-Q4.")
@click.option("--employee", "userid", required=True, help="The employee's DingTalk userid.")
@click.option("--corp", "corp_id", default=None, help="Corp id (default: [dingtalk] corp_id of the config).")
@click.option("--json", "as_json", is_flag=True, help="The explanation tree as one JSON object.")
@config_option
@click.pass_context
def explain_command(ctx: click.Context, cycle_id: str, userid: str, corp_id: str | None, as_json: bool) -> None:
    """Print the explanation tree: every input, step, cap and source record, adding up to the total.

    This is the admin view, full and unredacted; everyone else sees what services/result_views allows."""
    from dingperf.perf.errors import DomainError
    from dingperf.perf.explanation import render_text, to_dict
    from dingperf.services.results import get_result
    from dingperf.services.scoring_service import explain
    from dingperf.store.engine import NotFound, StoreError, store_for

    settings = settings_from(ctx)
    corp = corp_id or settings.dingtalk.corp_id
    store = store_for(settings)
    try:
        explanation = explain(store, corp, cycle_id, userid)
        try:
            stored = get_result(store, corp, cycle_id, userid).total
        except NotFound:
            stored = None
    except (StoreError, DomainError) as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        store.dispose()
    stale = stored is not None and explanation.total is not None and stored != explanation.total
    if as_json:
        echo_json({**to_dict(explanation), "stored_total": None if stored is None else str(stored),
                   "stale": stale})
        return
    click.echo(render_text(explanation))
    if stale:
        click.echo(f"note: the stored total is {stored}; inputs changed since the cycle was scored — score it again "
                   "to store the total shown above", err=True)
