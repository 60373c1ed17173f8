"""Helpers for the sync and handler tests: a client for a sandbox, and the real intake path
(sandbox HTTP push → POST /dingtalk/callback → inbox → worker → callbacks/ handlers)."""

from __future__ import annotations

import threading
from typing import Any

import requests
from flask import Flask
from sqlmodel import select
from werkzeug.serving import make_server

from callbacks import HandlerContext, build_router
from dingperf.events.inbox_store import SqlInbox
from dingperf.events.worker import InboxWorker
from dingperf.services.client_factory import build_client
from dingperf.settings import Settings
from dingperf.store.engine import Store
from dingperf.store.repositories.inbox import list_inbox_events
from dingperf.store.tables.org import Department, Employee
from dingperf.web.callback import CallbackSettings, callback_blueprint
from tests.conftest import poll_until
from tests.sandbox_settings import settings_for as shared_settings_for

QPS = 200  # same budget in client and sandbox keeps the tests fast


def settings_for(sandbox: Any, db_url: str = "sqlite://") -> Settings:
    return shared_settings_for(sandbox, db_url, event_mode="http")


def client_for(sandbox: Any, store: Store | None = None) -> Any:
    sandbox.state.limits.qps_per_app_api = QPS
    return build_client(settings_for(sandbox), store=store, qps_per_api=QPS)


def org_rows(store: Store, corp_id: str) -> tuple[dict, dict]:
    """Employees and departments as plain dicts, without bookkeeping timestamps."""
    with store.session() as s:
        emps = {e.userid: e.model_dump(exclude={"updated_at"})
                for e in s.exec(select(Employee).where(Employee.corp_id == corp_id))}
        depts = {d.dept_id: d.model_dump(exclude={"updated_at"})
                 for d in s.exec(select(Department).where(Department.corp_id == corp_id))}
    return emps, depts


class Intake:
    """The real HTTP intake on loopback, fed by the sandbox's pusher, with a worker running our handlers."""

    def __init__(self, sandbox: Any, store: Store) -> None:
        self.sandbox, self.store = sandbox, store
        app = sandbox.state.app
        flask_app = Flask("intake-under-test")
        settings = CallbackSettings(token=app.callback_token, aes_key=app.callback_aes_key, app_key=app.app_key,
                                    corp_id=app.corp_id)
        self.inbox = SqlInbox(store)
        flask_app.register_blueprint(callback_blueprint(settings, self.inbox.put))
        self.http = make_server("127.0.0.1", 0, flask_app, threaded=True)
        threading.Thread(target=self.http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        url = f"http://127.0.0.1:{self.http.server_address[1]}/dingtalk/callback"
        resp = requests.post(f"{sandbox.base_url}/_sandbox/push-config", json={"mode": "http", "url": url}, timeout=10)
        assert resp.status_code == 200, resp.text
        self.client = client_for(sandbox, store)
        context = HandlerContext(settings=settings_for(sandbox), store=store, client=self.client)
        self.worker = InboxWorker(self.inbox, build_router(), context=context)

    def trigger(self, **body: Any) -> list[str]:
        """Make a change in the sandbox (POST /_sandbox/events) and wait until its events are in the inbox."""
        resp = requests.post(f"{self.sandbox.base_url}/_sandbox/events", json=body, timeout=10)
        assert resp.status_code == 200, resp.text
        ids = resp.json()["event_ids"]
        poll_until(lambda: set(ids) <= self.stored_ids())
        return ids

    def stored_ids(self) -> set[str]:
        with self.store.session() as s:
            return {row.event_id for row in list_inbox_events(session=s, limit=100_000)}

    def statuses(self) -> dict[str, str]:
        with self.store.session() as s:
            return {row.event_id: row.status for row in list_inbox_events(session=s, limit=100_000)}

    def work(self) -> int:
        """Run the worker until nothing is due; returns how many events were handled."""
        handled = 0
        while (report := self.worker.run_once()).claimed:
            handled += report.handled
        return handled

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()
