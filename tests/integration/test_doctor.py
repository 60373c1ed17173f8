"""`dingperf doctor` tells an admin what is wrong and what to do, without changing anything."""

from __future__ import annotations

from typing import Any

from click.testing import CliRunner

from dingperf.cli import main
from dingperf.config_file import render_sandbox_config
from dingperf.sandbox.runner import credentials_view
from dingperf.services.client_factory import build_client
from dingperf.services.doctor import run_checks
from dingperf.store.engine import Store, open_store
from tests.sandbox_settings import settings_for


def _settings(sandbox: Any, db_url: str, **changes: Any):
    return settings_for(sandbox, db_url, **changes)


def _by_name(checks):
    return {c.name: c for c in checks}


def _url(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def test_a_healthy_install_passes_and_names_the_processes_that_are_not_running(company_sandbox, store):
    settings = _settings(company_sandbox, _url(store))
    checks = _by_name(run_checks(settings, store, build_client(settings, store=store)))
    assert {n for n, c in checks.items() if c.status == "fail"} == set()
    assert checks["database"].status == "ok"
    assert checks["address book permission"].status == "ok"
    assert checks["scheduler process"].status == "warn"
    assert "dingperf serve scheduler" in checks["scheduler process"].fix


def test_wrong_app_secret_fails_with_where_to_find_the_right_one(company_sandbox, store):
    settings = _settings(company_sandbox, _url(store), app_secret="x" * 64)
    checks = _by_name(run_checks(settings, store, build_client(settings, store=store, max_attempts=1)))
    assert checks["dingtalk credentials"].status == "fail"
    assert "developer console" in checks["dingtalk credentials"].fix
    assert "address book permission" not in checks


def test_an_unmigrated_database_fails_and_says_to_upgrade(company_sandbox, db_url):
    empty = open_store(db_url)
    try:
        settings = _settings(company_sandbox, db_url)
        checks = _by_name(run_checks(settings, empty, build_client(settings)))
    finally:
        empty.dispose()
    assert checks["database"].status == "fail"
    assert "dingperf db upgrade" in checks["database"].fix
    assert "inbox" not in checks


def test_the_command_exits_non_zero_on_a_failure(company_sandbox, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(render_sandbox_config(credentials_view(company_sandbox), company_sandbox.base_url))
    result = CliRunner().invoke(main, ["doctor", "--config", str(config)])
    assert result.exit_code == 1, result.output  # the database beside the config was never upgraded
    assert "dingperf db upgrade" in result.output
    assert CliRunner().invoke(main, ["db", "upgrade", "--config", str(config)]).exit_code == 0
    result = CliRunner().invoke(main, ["doctor", "--config", str(config), "--json"])
    assert result.exit_code == 0, result.output
    assert '"ok": true' in result.output
