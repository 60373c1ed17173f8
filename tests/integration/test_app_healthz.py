"""The web app factory: /healthz answers 200 with a reachable database and 503 without one."""

from __future__ import annotations

from pathlib import Path

from dingperf.app import create_app
from dingperf.settings import sandbox_settings
from dingperf.store.engine import Store, open_store

AES = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456"


def settings_for(url: str):
    return sandbox_settings(base_url="http://127.0.0.1:1", corp_id="c", app_key="k", app_secret="s", agent_id=1,
                            robot_code="k", callback_token="tok", callback_aes_key=AES, database_url=url)


def test_healthz_is_ok_with_a_reachable_database(store: Store) -> None:
    app = create_app(settings_for(store.engine.url.render_as_string(hide_password=False)), store=store)
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 200 and resp.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    missing = f"sqlite:///{tmp_path / 'no-such-dir' / 'x.db'}"
    broken = open_store(missing)
    app = create_app(settings_for(missing), store=broken)
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503 and resp.get_json()["database"] == "unreachable"
