"""`dingperf sync` end to end: the CLI against a live sandbox company and a migrated store."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from dingperf.cli import main
from tests.integration.sync_kit import QPS


@pytest.fixture
def env(company_sandbox, db_url, store, monkeypatch, tmp_path) -> dict:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DINGPERF_CONFIG", raising=False)
    company_sandbox.state.limits.qps_per_app_api = QPS
    app = company_sandbox.state.app
    (tmp_path / "config.toml").write_text(
        "[dingtalk]\nsandbox = true\n"
        f'corp_id = "{app.corp_id}"\napp_key = "{app.app_key}"\napp_secret = "{app.app_secret}"\n'
        f"agent_id = {app.agent_id}\nqps_per_api = {QPS}\n"
        f'api_base = "{company_sandbox.base_url}"\noapi_base = "{company_sandbox.base_url}"\n'
        f'[database]\nurl = "{db_url}"\n', encoding="utf-8")
    return {"DINGPERF_CONFIG": str(tmp_path / "config.toml")}


def run(env: dict, *args: str) -> dict:
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_sync_alone_syncs_contacts_and_prints_a_json_summary(env, company_sandbox):
    summary = run(env, "sync", "--json")
    assert summary["users"] == len(company_sandbox.state.directory.active_userids())
    assert summary["created"] == summary["users"] and summary["calls"]["/topapi/v2/user/get"] >= summary["users"]
    again = run(env, "sync", "contacts", "--json")
    assert again["unchanged"] == summary["users"] and again["created"] == again["updated"] == 0


def test_sync_attendance_and_approvals_commands(env, company_sandbox):
    run(env, "sync", "--json")
    today = dt.date.today()
    first, last = (today - dt.timedelta(days=10)).isoformat(), (today - dt.timedelta(days=1)).isoformat()
    attendance = run(env, "sync", "attendance", "--from", first, "--to", last, "--json")
    assert attendance["users"] == len(company_sandbox.state.directory.active_userids())
    assert attendance["records"] > 0 and attendance["calls"] >= 12  # 260 users: 6 batches × 2 windows
    code = next(iter(company_sandbox.state.workflow.processes))
    out = run(env, "sync", "approvals", "--process-code", code, "--from", (today - dt.timedelta(days=200)).isoformat(),
              "--to", today.isoformat(), "--json")
    assert out["approvals"][0]["process_code"] == code and out["approvals"][0]["instances"] > 0


def test_sync_attendance_with_a_backwards_range_is_a_usage_error(env):
    result = CliRunner().invoke(main, ["sync", "attendance", "--from", "2026-05-10", "--to", "2026-05-01",
                                       "--userids", "u1"], env=env)
    assert result.exit_code == 2 and "swap" in result.output
