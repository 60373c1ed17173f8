"""`dingperf demo`: the whole product against a fresh sandbox DingTalk, narrated."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command("demo")
@click.option("--once", is_flag=True, help="Exit when the story is told instead of serving until Ctrl+C.")
@click.option("--employees", type=click.IntRange(min=20, max=20_000), default=200, show_default=True)
@click.option("--depts", type=click.IntRange(min=3, max=1_000), default=15, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same company and story.")
@click.option("--dir", "workdir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to keep the demo's config and database (default: a new temporary folder).")
def demo_command(once: bool, employees: int, depts: int, seed: int, workdir: Path | None) -> None:
    """Sync a generated company, take live events, score a cycle from its data, explain a result."""
    import logging

    from dingperf.demo.story import run_demo

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request drowns the story
    try:
        run_demo(employees=employees, depts=depts, seed=seed, workdir=workdir, once=once,
                 progress_bar=sys.stdout.isatty())
    except KeyboardInterrupt:
        click.echo("\nstopped")
    except FileExistsError as exc:
        raise click.ClickException(str(exc)) from exc
