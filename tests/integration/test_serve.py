"""`dingperf serve` (all roles in one process) against the sandbox: events land in the store."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import requests
from sqlmodel import select

from dingperf.commands.serve import _serve_all
from dingperf.settings import Settings
from dingperf.store.engine import Store
from dingperf.store.tables.org import Employee
from tests.conftest import poll_until
from tests.sandbox_settings import settings_for


def _settings(sandbox: Any, db_url: str, event_mode: str) -> Settings:
    return settings_for(sandbox, db_url, event_mode=event_mode)


def _employee(store: Store, corp_id: str, name: str) -> Employee | None:
    with store.session() as s:
        return s.exec(select(Employee).where(Employee.corp_id == corp_id, Employee.name == name)).first()


@pytest.fixture
def running(company_sandbox: Any, store: Store, request: pytest.FixtureRequest):
    """dingperf serve (web + scheduler [+ stream]) in a thread, stopped at teardown."""
    mode = request.param
    settings = _settings(company_sandbox, str(store.engine.url.render_as_string(hide_password=False)), mode)
    stop = threading.Event()
    urls: list[str] = []
    thread = threading.Thread(target=_serve_all, args=(settings, store, "127.0.0.1", 0, stop, urls.append),
                              daemon=True)
    thread.start()
    poll_until(lambda: urls, timeout=20)
    yield company_sandbox, settings, urls[0]
    stop.set()
    thread.join(timeout=30)
    assert not thread.is_alive(), "serve did not stop within 30 s"


def _push_hire(sandbox: Any, name: str) -> str:
    resp = requests.post(f"{sandbox.base_url}/_sandbox/events",
                         json={"type": "user_add_org", "user": {"name": name, "dept_id_list": [1]}}, timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.text


@pytest.mark.parametrize("running", ["stream"], indirect=True)
def test_a_hire_pushed_over_stream_lands_in_the_store(running, store):
    sandbox, settings, _web = running
    requests.post(f"{sandbox.base_url}/_sandbox/push-config", json={"mode": "stream"}, timeout=10)
    # the Stream connection is opened by the serve thread; wait until the gateway has it
    poll_until(lambda: requests.get(f"{sandbox.base_url}/_sandbox/stream/connections", timeout=5).json(),
               timeout=20)
    _push_hire(sandbox, "流式新人")
    hired = poll_until(lambda: _employee(store, settings.dingtalk.corp_id, "流式新人"), timeout=20)
    assert hired.active


@pytest.mark.parametrize("running", ["http"], indirect=True)
def test_a_hire_pushed_over_http_lands_in_the_store(running, store):
    sandbox, settings, web = running
    resp = requests.post(f"{sandbox.base_url}/_sandbox/push-config",
                         json={"mode": "http", "url": f"{web}/dingtalk/callback"}, timeout=10)
    assert resp.status_code == 200 and resp.json()["check_url"]["ok"], resp.text
    _push_hire(sandbox, "回调新人")
    hired = poll_until(lambda: _employee(store, settings.dingtalk.corp_id, "回调新人"), timeout=20)
    assert hired.active


@pytest.mark.parametrize("running", ["stream"], indirect=True)
def test_the_scheduler_sends_what_is_queued_in_the_outbox(running, store):
    from dingperf.dingtalk.messages import text_msg
    from dingperf.services.outbox_sender import queue_work_notice

    sandbox, settings, _web = running
    userid = sandbox.state.directory.active_userids()[0]
    queue_work_notice(store, settings.dingtalk.corp_id, key="serve:hello", userids=[userid], msg=text_msg("来自调度"))

    def received() -> list:
        return requests.get(f"{sandbox.base_url}/_sandbox/messages", params={"userid": userid},
                            timeout=5).json()["messages"]

    poll_until(received, timeout=30)
    assert received()[0]["content"]["text"]["content"] == "来自调度"
