"""The `dingperf` command line: one click group; each command lives in dingperf/commands/<name>.py.

To add a command, write it in its own module (decorate it with `config_option` and load settings with
`settings_from(ctx)`), then add one `main.add_command(...)` line below.
"""

from __future__ import annotations

import click

from dingperf.commands._common import config_option
from dingperf.commands.config import config_group
from dingperf.commands.db import db_group
from dingperf.commands.demo import demo_command
from dingperf.commands.doctor import doctor_command
from dingperf.commands.explain import explain_command
from dingperf.commands.goals import goals_group
from dingperf.commands.inbox import inbox_group
from dingperf.commands.init import init_command
from dingperf.commands.sandbox import sandbox_command
from dingperf.commands.serve import serve_command
from dingperf.commands.sync import sync_group
from dingperf.commands.what_if import what_if_command


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="dingperf")
@config_option
def main() -> None:
    """dingperf: full-staff performance management as a DingTalk internal app."""


main.add_command(init_command)
main.add_command(config_group)
main.add_command(db_group)
main.add_command(sandbox_command)
main.add_command(inbox_group)
main.add_command(explain_command)
main.add_command(goals_group)
main.add_command(sync_group)
main.add_command(serve_command)
main.add_command(demo_command)
main.add_command(doctor_command)
main.add_command(what_if_command)
