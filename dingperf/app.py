"""The web application factory: `create_app(settings)` wires settings and the store into a Flask app.

Later issues register their blueprints (callback endpoint, workbench, JSON API) here. No app, engine or
settings exist at import time.
"""

from __future__ import annotations

import secrets

from flask import Flask, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from dingperf.settings import Settings
from dingperf.store.engine import Store, store_for

_SETTINGS = "dingperf.settings"
_STORE = "dingperf.store"


def create_app(settings: Settings, *, store: Store | None = None) -> Flask:
    """A Flask app for `settings`; pass `store` to share one (tests), else one is opened from settings."""
    app = Flask("dingperf")
    # the sandbox may leave secret_key empty: sessions then last as long as this process
    app.config["SECRET_KEY"] = settings.server.secret_key or secrets.token_urlsafe(32)
    app.config["MAX_CONTENT_LENGTH"] = 2 * 1024 * 1024  # DingTalk callbacks are small; refuse floods early
    app.extensions[_SETTINGS] = settings
    app.extensions[_STORE] = store or store_for(settings)
    app.add_url_rule("/healthz", "healthz", healthz, methods=["GET"])
    if settings.dingtalk.callback_token and settings.dingtalk.callback_aes_key:
        from dingperf.web.callback import init_callback  # POST /dingtalk/callback (HTTP event mode)

        init_callback(app, settings, app.extensions[_STORE])
    return app


def current_settings() -> Settings:
    """The settings of the app handling this request."""
    return current_app.extensions[_SETTINGS]


def current_store() -> Store:
    """The store of the app handling this request."""
    return current_app.extensions[_STORE]


def healthz() -> ResponseReturnValue:
    """200 when the process is up and the database answers; 503 (with the reason) otherwise."""
    try:
        with current_store().engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        current_app.logger.warning("healthz: database unreachable: %s", exc.__class__.__name__)
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
