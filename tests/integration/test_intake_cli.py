"""`dingperf inbox list|show|replay|work` on a real (migrated) database."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from dingperf.cli import main
from dingperf.commands.inbox import inbox_group
from dingperf.events.event import Event
from dingperf.events.inbox_store import SqlInbox
from dingperf.settings import load_settings
from dingperf.store.engine import store_for
from dingperf.store.repositories.inbox import claim_inbox_batch, mark_inbox_failed


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    for var in ("DINGPERF_CONFIG", "DINGPERF_DATABASE_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    runner, config = CliRunner(), tmp_path / "config.toml"
    assert runner.invoke(main, ["init", "--sandbox", "--path", str(config)]).exit_code == 0
    assert runner.invoke(main, ["--config", str(config), "db", "upgrade"]).exit_code == 0
    settings = load_settings(str(config))
    store = store_for(settings)
    yield runner, str(config), settings, store
    store.dispose()


def put(settings, store, n: int, event_type: str = "user_add_org") -> None:
    SqlInbox(store).put(Event(corp_id=settings.dingtalk.corp_id, event_id=f"ev-{n}", event_type=event_type,
                              born_at=datetime(2026, 11, 1, tzinfo=UTC), source="http",
                              payload={"userId": [f"u{n}"]}))


def run(runner, config, *args):
    result = runner.invoke(inbox_group, [*args, "--config", config])
    assert result.exit_code == 0, result.output
    return result.output


def test_list_json_has_the_documented_fields(env):
    runner, config, settings, store = env
    put(settings, store, 1)
    events = json.loads(run(runner, config, "list", "--json"))["events"]
    assert len(events) == 1
    assert {"event_id", "event_type", "source", "status", "attempts", "received_at", "processed_at"} <= set(events[0])
    assert (events[0]["event_id"], events[0]["status"], events[0]["source"]) == ("ev-1", "received", "http")


def test_list_filters_by_status(env):
    runner, config, settings, store = env
    put(settings, store, 1)
    assert json.loads(run(runner, config, "list", "--status", "parked", "--json"))["events"] == []


def test_show_json_includes_payload_and_birth_time(env):
    runner, config, settings, store = env
    put(settings, store, 3)
    detail = json.loads(run(runner, config, "show", "ev-3", "--json"))
    assert detail["payload"] == {"userId": ["u3"]} and detail["born_at"].startswith("2026-11-01T00:00:00")


def test_show_unknown_event_fails_with_a_hint(env):
    runner, config, _, _ = env
    result = runner.invoke(inbox_group, ["show", "nope", "--config", config])
    assert result.exit_code == 1 and "dingperf inbox list" in result.output


def test_replay_requeues_a_parked_event(env):
    runner, config, settings, store = env
    put(settings, store, 1)
    with store.session() as s:
        row = claim_inbox_batch(session=s, limit=1)[0]
        mark_inbox_failed(session=s, inbox_id=row.id, error="boom", retry_at=None)
    replayed = json.loads(run(runner, config, "replay", "ev-1", "--json"))["replayed"]
    assert [(r["event_id"], r["status"], r["attempts"]) for r in replayed] == [("ev-1", "received", 0)]


def test_replay_refuses_an_event_being_handled(env):
    runner, config, settings, store = env
    put(settings, store, 1)
    with store.session() as s:
        claim_inbox_batch(session=s, limit=1, lease_seconds=600)
    result = runner.invoke(inbox_group, ["replay", "ev-1", "--config", config])
    assert result.exit_code == 1 and "being handled" in result.output


def test_work_once_marks_unknown_types_done(env):
    runner, config, settings, store = env
    put(settings, store, 1, event_type="label_user_change")
    assert "handled 1 event(s)" in run(runner, config, "work", "--once")
    assert json.loads(run(runner, config, "list", "--json"))["events"][0]["status"] == "done"
