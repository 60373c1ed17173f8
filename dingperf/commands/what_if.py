"""`dingperf what-if --cycle C --template FILE.json [--json]`: what a template change would do to a cycle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from dingperf.commands._common import config_option, echo_json, query_store


@click.command("what-if")
@click.option("--cycle", "cycle_id", required=True, help="Cycle whose stored inputs are re-scored, e.g. 2026-Q4.")
@click.option("--template", "template_path", required=True, type=click.Path(exists=True, dir_okay=False,
                                                                             path_type=Path),
              help="Candidate template as JSON (the same shape `publish` takes).")
@click.option("--corp", "corp_id", default=None, help="Corp id (default: [dingtalk] corp_id of the config).")
@click.option("--top", default=10, show_default=True, help="How many of the biggest movers to list.")
@click.option("--json", "as_json", is_flag=True, help="The report as one JSON object.")
@config_option
@click.pass_context
def what_if_command(ctx: click.Context, cycle_id: str, template_path: Path, corp_id: str | None, top: int,
                    as_json: bool) -> None:
    """Score the cycle with the candidate next to its pinned template and show what would move; writes nothing."""
    from dingperf.services.what_if import what_if

    try:
        candidate = json.loads(template_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"cannot read {template_path} as a JSON template: {exc}") from exc
    report = query_store(ctx, corp_id, lambda store, corp: what_if(store, corp, cycle_id, candidate, top=top))
    if as_json:
        echo_json(_as_dict(report))
        return
    click.echo(f"{report.people} participants: {report.unchanged} unchanged, {report.changed} changed, "
               f"{report.grade_changes} change grade")
    if report.mean_before is not None and report.mean_after is not None:
        click.echo(f"mean total {_num(report.mean_before)} → {_num(report.mean_after)}")
    grades = sorted(set(report.grades_before) | set(report.grades_after))
    click.echo("grade     " + "  ".join(f"{g:>7}" for g in grades))
    click.echo("now       " + "  ".join(f"{report.grades_before.get(g, 0):>7}" for g in grades))
    click.echo("candidate " + "  ".join(f"{report.grades_after.get(g, 0):>7}" for g in grades))
    for (a, b), n in sorted(report.transitions.items()):
        if a != b:
            click.echo(f"  {a} → {b}: {n}")
    if report.top_movers:
        click.echo("biggest moves:")
        for m in report.top_movers:
            click.echo(f"  {m.userid}: {m.before.total} ({m.before.label}) → {m.after.total} ({m.after.label}), "
                       f"{m.delta:+}")
    for m in report.newly_blocked:
        click.echo(f"  would be blocked: {m.userid} — {m.after.blocked_reason}")


def _num(value: Any) -> str:
    return f"{value:.2f}"


def _as_dict(report: Any) -> dict[str, Any]:
    def mover(m: Any) -> dict[str, Any]:
        return {"userid": m.userid, "before": str(m.before.total) if m.before.total is not None else None,
                "after": str(m.after.total) if m.after.total is not None else None, "grade_before": m.before.label,
                "grade_after": m.after.label, "delta": str(m.delta), "blocked_reason": m.after.blocked_reason}

    return {"people": report.people, "unchanged": report.unchanged, "changed": report.changed,
            "grade_changes": report.grade_changes,
            "mean_before": None if report.mean_before is None else _num(report.mean_before),
            "mean_after": None if report.mean_after is None else _num(report.mean_after),
            "grades_before": report.grades_before, "grades_after": report.grades_after,
            "transitions": [{"from": a, "to": b, "people": n} for (a, b), n in sorted(report.transitions.items())],
            "top_movers": [mover(m) for m in report.top_movers],
            "newly_blocked": [mover(m) for m in report.newly_blocked]}
