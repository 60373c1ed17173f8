"""Run the sandbox on loopback in background threads (port 0 picks a free port).

The HTTP server and the Stream gateway listen on separate ports; `stop()` ends both and the pusher.
"""

from __future__ import annotations

import threading
from typing import Self

from werkzeug.serving import BaseWSGIServer, make_server

from dingperf.sandbox.app import create_app
from dingperf.sandbox.state import AppCredentials, SandboxState


class SandboxServer:
    """A live sandbox DingTalk: `start()` returns its base URL, `stop()` shuts it down."""

    def __init__(self, state: SandboxState | None = None) -> None:
        self.state = state or SandboxState(app=AppCredentials.generate())
        self._http: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._http is None:
            raise RuntimeError("the sandbox is not running; call start() first")
        host, port = self._http.server_address[:2]
        return f"http://{host}:{port}"

    def start(self, host: str = "127.0.0.1", port: int = 0, stream_port: int = 0) -> str:
        """Serve HTTP on `port` and the Stream websocket gateway on `stream_port`; returns the base URL."""
        self.state.gateway.start(host, stream_port)
        self._http = make_server(host, port, create_app(self.state), threaded=True)
        self._thread = threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, name="sandbox-http", daemon=True)
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        """Stop serving: HTTP first (no new triggers), then the gateway and the HTTP pusher."""
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
        self.state.gateway.stop()
        self.state.pusher.stop()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
