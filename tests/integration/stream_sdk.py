"""Run the official dingtalk-stream SDK (0.24.3) against the sandbox in tests, without leaks.

The SDK's `start()` never returns and swallows one CancelledError, so it runs in its own thread
and loop; `stop()` aborts the socket, stops the loop, then cancels every task until all are done
and closes the loop. Tasks left pending would be finalised later by the GC in whatever thread
runs it — on Python 3.11 that can land inside pytest's ast.parse and crash the run with
"AST constructor recursion depth mismatch".
"""

from __future__ import annotations

import asyncio
import logging
import threading

import dingtalk_stream

OPEN_PATH = "/v1.0/gateway/connections/open"


class SdkClient:
    """The SDK in its own thread and loop; `start()` swallows CancelledError, so stop the loop instead."""

    def __init__(self, app, handler: dingtalk_stream.EventHandler | None, callbacks: dict | None = None) -> None:
        quiet = logging.getLogger("sdk-under-test")
        quiet.setLevel(logging.CRITICAL)
        self.client = dingtalk_stream.DingTalkStreamClient(dingtalk_stream.Credential(app.app_key, app.app_secret), quiet)
        if handler is not None:
            self.client.register_all_event_handler(handler)
        for topic, cb in (callbacks or {}).items():
            self.client.register_callback_handler(topic, cb)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self.client.start())
        except RuntimeError:
            pass  # loop.stop() interrupted start(), which never returns on its own
        # start() catches CancelledError once and then sleeps, so cancel until every task is done;
        # tasks left pending would be finalised later by the GC, in whatever thread runs it.
        for _ in range(5):
            pending = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
            if not pending:
                break
            for task in pending:
                task.cancel()
            self.loop.run_until_complete(asyncio.wait(pending, timeout=0.1))
        self.loop.close()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self._abort_and_stop)
        self.thread.join(timeout=10)

    def _abort_and_stop(self) -> None:
        # abort() closes the socket in a callback it queues; stopping after it lets that run first.
        if self.client.websocket is not None:
            self.client.websocket.transport.abort()
        self.loop.call_soon(self.loop.stop)
