"""The CLI frame: init writes a working config, config check masks secrets, db upgrade migrates."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from dingperf.cli import main
from dingperf.store.migrate import current_revision, head_revision


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    for var in ("DINGPERF_CONFIG", "DINGPERF_DATABASE_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def sandbox_config(runner: CliRunner, path: Path) -> dict:
    result = runner.invoke(main, ["init", "--sandbox", "--path", str(path)])
    assert result.exit_code == 0, result.output
    return tomllib.loads(path.read_text(encoding="utf-8"))


def test_init_sandbox_writes_a_config_that_passes_check(runner: CliRunner, tmp_path: Path) -> None:
    sandbox_config(runner, tmp_path / "config.toml")
    result = runner.invoke(main, ["config", "check"])
    assert result.exit_code == 0, result.output
    assert "is valid (sandbox)" in result.output


def test_init_refuses_to_overwrite_without_force(runner: CliRunner, tmp_path: Path) -> None:
    sandbox_config(runner, tmp_path / "config.toml")
    again = runner.invoke(main, ["init", "--sandbox"])
    assert again.exit_code == 1 and "--force" in again.output
    assert runner.invoke(main, ["init", "--sandbox", "--force"]).exit_code == 0


def test_init_org_config_fails_check_until_placeholders_are_filled(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(main, ["init", "--org"]).exit_code == 0
    result = runner.invoke(main, ["config", "check"])
    assert result.exit_code == 1
    assert "dingtalk.app_secret" in result.output and "placeholder" in result.output


def test_config_check_json_masks_secrets(runner: CliRunner, tmp_path: Path) -> None:
    raw = sandbox_config(runner, tmp_path / "c.toml")
    result = runner.invoke(main, ["config", "check", "--json", "--config", str(tmp_path / "c.toml")])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["ok"] is True and shown["sandbox"] is True
    assert shown["settings"]["dingtalk"]["app_key"] == raw["dingtalk"]["app_key"]
    for secret in (raw["dingtalk"]["app_secret"], raw["dingtalk"]["callback_aes_key"], raw["server"]["secret_key"]):
        assert secret not in result.output


def test_config_check_json_lists_problems_with_keys(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    sandbox_config(runner, path)
    path.write_text(path.read_text().replace('event_mode = "stream"', 'event_mode = "pigeon"'))
    result = runner.invoke(main, ["--config", str(path), "config", "check", "--json"])
    assert result.exit_code == 1
    shown = json.loads(result.output)
    assert shown["ok"] is False and [p["key"] for p in shown["problems"]] == ["dingtalk.event_mode"]


def test_env_override_shows_in_config_check(runner: CliRunner, tmp_path: Path) -> None:
    sandbox_config(runner, tmp_path / "config.toml")
    result = runner.invoke(main, ["config", "check", "--json"], env={"DINGPERF_DINGTALK_QPS_PER_API": "5"})
    shown = json.loads(result.output)
    assert shown["settings"]["dingtalk"]["qps_per_api"] == 5
    assert shown["origins"]["dingtalk.qps_per_api"] == "env DINGPERF_DINGTALK_QPS_PER_API"


def test_missing_config_tells_how_to_create_one(runner: CliRunner) -> None:
    result = runner.invoke(main, ["config", "check"])
    assert result.exit_code == 1 and "dingperf init" in result.output


def test_db_upgrade_migrates_the_configured_database(runner: CliRunner, tmp_path: Path, db_url: str) -> None:
    sandbox_config(runner, tmp_path / "config.toml")
    first = runner.invoke(main, ["db", "upgrade"], env={"DINGPERF_DATABASE_URL": db_url})
    assert first.exit_code == 0, first.output
    assert "upgraded from empty" in first.output
    assert current_revision(db_url) == head_revision()
    second = runner.invoke(main, ["db", "upgrade"], env={"DINGPERF_DATABASE_URL": db_url})
    assert "already at revision" in second.output


def test_default_sqlite_database_is_created_beside_the_config(runner: CliRunner, tmp_path: Path) -> None:
    elsewhere = tmp_path / "etc" / "dingperf.toml"
    sandbox_config(runner, elsewhere)
    assert runner.invoke(main, ["db", "upgrade", "--config", str(elsewhere)]).exit_code == 0
    assert (tmp_path / "etc" / "dingperf.db").is_file()
