"""Serving the web app: gunicorn for `dingperf serve web`, a threaded in-process server for `dingperf serve`."""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server


class GunicornApp:
    """Run a Flask app factory under gunicorn's arbiter (pre-fork workers, graceful restarts)."""

    def __init__(self, app_factory: Any, options: dict[str, Any]) -> None:
        from gunicorn.app.base import BaseApplication

        factory = app_factory

        class _App(BaseApplication):  # gunicorn wants a subclass; it stays private to this module
            def load_config(self) -> None:
                for key, value in options.items():
                    self.cfg.set(key, value)

            def load(self) -> Flask:
                return factory()

        self._app = _App()

    def run(self) -> None:
        self._app.run()


class ThreadedServer:
    """A werkzeug threaded server in a background thread (small installs, demo, tests)."""

    def __init__(self, app: Flask, host: str, port: int) -> None:
        self._http: BaseWSGIServer = make_server(host, port, app, threaded=True)
        self._thread = threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="dingperf-web", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._http.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> str:
        self._thread.start()
        return self.url

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()
