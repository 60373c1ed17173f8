"""`dingperf explain --help` says it is the full admin view, not what employees see."""

from __future__ import annotations

from click.testing import CliRunner

from dingperf.commands.explain import explain_command


def test_explain_help_says_it_is_the_unredacted_admin_view() -> None:
    out = CliRunner().invoke(explain_command, ["--help"]).output
    assert "admin view, full and unredacted" in " ".join(out.split())
