"""End to end: a phase change's notice goes through the outbox sender and lands in the sandbox mailbox."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import requests

from dingperf.perf.library import load_template
from dingperf.services.client_factory import build_client
from dingperf.services.cycles import add_participants, create_cycle
from dingperf.services.outbox_sender import send_due
from dingperf.services.phases import advance_cycle
from dingperf.services.templates import publish_template
from dingperf.store.engine import Store
from tests.sandbox_settings import settings_for

NOW = datetime(2026, 10, 1, 1, 0, tzinfo=UTC)


def _inbox_of(sandbox: Any, userid: str) -> list[dict]:
    return requests.get(f"{sandbox.base_url}/_sandbox/messages", params={"userid": userid}, timeout=10).json()["messages"]


def test_a_phase_notice_reaches_each_participant_through_the_outbox(company_sandbox: Any, store: Store) -> None:
    corp = company_sandbox.state.app.corp_id
    people = company_sandbox.state.directory.active_userids()[:2]
    publish_template(store, corp, load_template("sales-rep"), actor="hr", now=NOW)
    create_cycle(store, corp, cycle_id="q4", name="2026年第四季度", kind="quarterly", period_start=date(2026, 10, 1),
                 period_end=date(2026, 12, 31), template_id="sales-rep", actor="hr", now=NOW)
    add_participants(store, corp, "q4", people, now=NOW)
    advance_cycle(store, corp, "q4", actor="hr", now=NOW, public_url="https://perf.example.com")
    client = build_client(settings_for(company_sandbox), store=store)
    assert send_due(store, client, now=NOW).sent == 1  # both participants in one batch
    assert send_due(store, client, now=NOW).claimed == 0
    for userid in people:
        (message,) = _inbox_of(company_sandbox, userid)
        card = message["content"]["action_card"]
        assert "2026年第四季度" in card["markdown"] and "目标确认" in card["markdown"]
        assert card["single_url"].startswith("dingtalk://dingtalkclient/page/link?")
