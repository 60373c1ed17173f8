"""The sandbox's Flask app: both DingTalk API families and the /_sandbox/ control API on one port.

To add endpoints, write a module with a `flask.Blueprint` named `bp` and append ONE line with its
dotted module path to BLUEPRINTS below. Every blueprint automatically gets, via app-wide hooks:
fault injection, throttling and the monthly quota (tokens.py/throttle.py/faults.py), and the request
recorder. Paths under /_sandbox/ are exempt from all three. In a handler, call
`tokens.authenticated_app()` first (raises the dialect's auth error), read state with
`sandbox_state()`, and answer with `wire.old_ok(...)`/`wire.new_ok(...)` or raise
`wire.OldApiError`/`wire.NewApiError`.
"""

from __future__ import annotations

import importlib

from flask import Flask, request

from dingperf.sandbox.faults import install_faults
from dingperf.sandbox.recorder import install_recorder
from dingperf.sandbox.state import SandboxState
from dingperf.sandbox.throttle import install_throttle
from dingperf.sandbox.wire import (
    NewApiError,
    OldApiError,
    is_new_family,
    new_error_response,
    old_error_response,
)

# Blueprint modules (each exposes `bp`), registered in this order. Append one line for yours.
BLUEPRINTS: list[str] = [
    "dingperf.sandbox.control",
    "dingperf.sandbox.routes_auth",
    "dingperf.sandbox.routes_contacts",
    "dingperf.sandbox.routes_attendance",
    "dingperf.sandbox.routes_workflow",
    "dingperf.sandbox.routes_gateway",
    "dingperf.sandbox.routes_callback",
    "dingperf.sandbox.control_events",
    "dingperf.sandbox.control_stream",
    "dingperf.sandbox.routes_messages",
    "dingperf.sandbox.routes_robots",
    "dingperf.sandbox.routes_cards",
    "dingperf.sandbox.control_outbound",
]


def create_app(state: SandboxState) -> Flask:
    app = Flask("dingperf.sandbox")
    app.config["JSON_AS_ASCII"] = False
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["sandbox"] = state

    app.register_error_handler(OldApiError, old_error_response)
    app.register_error_handler(NewApiError, new_error_response)

    # Order matters: an armed fault fires before throttling; the recorder sees every answer.
    install_faults(app)
    install_throttle(app)
    install_recorder(app)
    for module in BLUEPRINTS:
        app.register_blueprint(importlib.import_module(module).bp)

    @app.errorhandler(404)
    def _unknown_route(_exc):
        # A wrong endpoint must fail loudly, in the dialect of the family it pretends to be.
        if is_new_family(request.path):
            return new_error_response(NewApiError(404, "NotFound", f"no such API: {request.method} {request.path}"))
        from flask import jsonify

        resp = jsonify({"errcode": 404, "errmsg": f"no such API: {request.method} {request.path}"})
        resp.status_code = 404
        return resp

    @app.errorhandler(405)
    def _wrong_method(_exc):
        if is_new_family(request.path):
            return new_error_response(NewApiError(405, "MethodNotAllowed", f"{request.method} not allowed"))
        errcode = 43002 if request.method == "GET" else 43001
        need = "POST" if errcode == 43002 else "GET"
        return old_error_response(OldApiError(errcode, f"需要{need}请求"))

    return app


def sandbox_state() -> SandboxState:
    """The state of the sandbox serving the current request."""
    from flask import current_app

    return current_app.extensions["sandbox"]
