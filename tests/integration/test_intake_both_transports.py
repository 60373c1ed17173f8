"""Every documented event payload, pushed by the sandbox over Stream and HTTP at once, is stored once."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
import requests
from flask import Flask
from werkzeug.serving import make_server

from dingperf.dingtalk.stream import StreamSettings
from dingperf.events.group_commit import GroupCommitter
from dingperf.events.inbox_store import SqlInbox
from dingperf.events.stream_runner import StreamRunner
from dingperf.store.repositories.inbox import list_inbox_events
from dingperf.web.callback import CallbackSettings, callback_blueprint
from tests.conftest import poll_until

FIXTURES = sorted((Path(__file__).parents[1] / "fixtures" / "dingtalk").glob("*.json"))


@pytest.fixture
def both_transports(sandbox, store, db_url):
    app = sandbox.state.app
    committer = GroupCommitter(SqlInbox(store).put_many)
    web = Flask("both")
    web.register_blueprint(callback_blueprint(
        CallbackSettings(token=app.callback_token, aes_key=app.callback_aes_key, app_key=app.app_key,
                         corp_id=app.corp_id), committer.submit))
    http = make_server("127.0.0.1", 0, web, threaded=True)
    threading.Thread(target=http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    runner = StreamRunner(StreamSettings(client_id=app.app_key, client_secret=app.app_secret,
                                         api_base=sandbox.base_url, default_corp_id=app.corp_id),
                          SqlInbox(store).put_many, db_url)
    runner.start()
    assert runner.connection.wait_connected(10)
    resp = requests.post(f"{sandbox.base_url}/_sandbox/push-config",
                         json={"mode": "both", "url": f"http://127.0.0.1:{http.server_address[1]}/dingtalk/callback"})
    assert resp.status_code == 200, resp.text
    yield
    runner.stop()
    http.shutdown()
    http.server_close()
    committer.close()


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.stem for f in FIXTURES])
def test_event_over_both_transports_is_stored_once_with_its_payload(sandbox, store, both_transports, fixture):
    event_type = fixture.stem.split("__")[0]
    data = json.loads(fixture.read_text(encoding="utf-8"))
    resp = requests.post(f"{sandbox.base_url}/_sandbox/events/raw", json={"event_type": event_type, "data": data})
    event_id = resp.json()["event_ids"][0]

    def both_delivered() -> bool:
        status = requests.get(f"{sandbox.base_url}/_sandbox/events/{event_id}").json()
        return status["stream"]["status"] == "acked" and any(p.get("ok") for p in status["http"])

    poll_until(both_delivered)
    with store.session() as s:
        rows = list_inbox_events(session=s)
    assert [(r.event_id, r.event_type) for r in rows] == [(event_id, event_type)]
    assert data.items() <= rows[0].payload["data"].items()
