"""`dingperf serve stream`: hold the installation's stream leader lock, keep one supervised Stream
connection open, and store every frame in the inbox before it is acked."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from datetime import UTC, datetime
from typing import Any

from dingperf.dingtalk.push import WireEvent
from dingperf.dingtalk.stream import StreamConnection, StreamSettings
from dingperf.events.event import Event, InvalidEvent
from dingperf.events.group_commit import GroupCommitter
from dingperf.events.inbox_store import SqlInbox
from dingperf.events.leader import LeaderLock
from dingperf.events.normalise import from_wire

log = logging.getLogger(__name__)

LEADER_ROLE = "stream"


class StreamRunner:
    """Leader lock + StreamConnection + inbox insert. `start()` raises LeaderLockHeld if another runs.

    `submit(event)` must not block (it is called on the connection's event loop): it queues the insert and
    returns a future that resolves once the event is durable, e.g. `GroupCommitter.submit`."""

    def __init__(self, settings: StreamSettings, submit: Callable[[Event], Future[bool]], database_url: str, *,
                 lock_wait_s: float | None = 0.0) -> None:
        self.settings = settings
        self._submit = submit
        self._lock = LeaderLock(database_url, LEADER_ROLE)
        self._lock_wait_s = lock_wait_s
        self.connection: StreamConnection | None = None

    def _sink(self, wire: WireEvent) -> Future[bool]:
        try:
            event = from_wire(wire, "stream", received_at=datetime.now(UTC))
        except InvalidEvent as exc:
            # Redelivery cannot fix a frame our event value refuses; ack it and say so loudly.
            log.error("stream: dropping event %s (%s): %s", wire.event_id, wire.event_type, exc)
            dropped: Future[bool] = Future()
            dropped.set_result(False)
            return dropped
        return self._submit(event)

    def start(self) -> None:
        """Take the leader lock (waiting up to lock_wait_s) and open the connection in its own thread."""
        self._lock.acquire(timeout=self._lock_wait_s)
        try:
            self.connection = StreamConnection(self.settings, self._sink)
            self.connection.start()
        except BaseException:
            self._lock.release()
            raise
        log.info("stream: leader for this installation; connecting to %s", self.settings.api_base)

    def stop(self) -> None:
        """Close the connection and release the leader lock."""
        try:
            if self.connection is not None:
                self.connection.stop()
        finally:
            self._lock.release()

    def serve_forever(self, stop: threading.Event) -> None:
        """Run until `stop` is set (the CLI sets it on SIGINT/SIGTERM)."""
        self.start()
        try:
            stop.wait()
        finally:
            self.stop()


def stream_settings_for(settings: Any, **overrides: Any) -> StreamSettings:
    """StreamSettings from the `[dingtalk]` section: AppKey/AppSecret as Stream ClientID/Secret, api_base."""
    d = settings.dingtalk
    return StreamSettings(client_id=d.app_key, client_secret=d.app_secret, api_base=d.api_base,
                          default_corp_id=d.corp_id, **overrides)


def stream_runner_for(settings: Any, store: Any, **overrides: Any) -> StreamRunner:
    """The runner `dingperf serve stream` starts: the configured app, group-committing into `store`'s inbox."""
    committer = GroupCommitter(SqlInbox(store).put_many, name="stream-inbox-writer")
    return StreamRunner(stream_settings_for(settings, **overrides), committer.submit, settings.database.url)
