"""The sandbox's Flask app: both DingTalk API families and the /_sandbox/ control API on one port."""

from __future__ import annotations

from flask import Flask, request

from dingperf.sandbox.state import SandboxState
from dingperf.sandbox.wire import (
    NewApiError,
    OldApiError,
    is_new_family,
    new_error_response,
    old_error_response,
)


def create_app(state: SandboxState) -> Flask:
    app = Flask("dingperf.sandbox")
    app.config["JSON_AS_ASCII"] = False
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["sandbox"] = state

    app.register_error_handler(OldApiError, old_error_response)
    app.register_error_handler(NewApiError, new_error_response)

    @app.errorhandler(404)
    def _unknown_route(_exc):  # noqa: ANN001
        # A wrong endpoint must fail loudly, in the dialect of the family it pretends to be.
        if is_new_family(request.path):
            return new_error_response(NewApiError(404, "NotFound", f"no such API: {request.method} {request.path}"))
        from flask import jsonify

        resp = jsonify({"errcode": 404, "errmsg": f"no such API: {request.method} {request.path}"})
        resp.status_code = 404
        return resp

    @app.errorhandler(405)
    def _wrong_method(_exc):  # noqa: ANN001
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
