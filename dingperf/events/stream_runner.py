"""`dingperf serve stream`: hold the installation's stream leader lock, keep one supervised Stream
connection open, and store every frame in the inbox before it is acked."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from dingperf.dingtalk.push import WireEvent
from dingperf.dingtalk.stream import StreamConnection, StreamSettings
from dingperf.events.event import Event, InvalidEvent
from dingperf.events.inbox_store import SqlInbox
from dingperf.events.leader import LeaderLock, LeaderLockLost
from dingperf.events.loop_batch import LoopBatcher
from dingperf.events.normalise import from_wire

log = logging.getLogger(__name__)

LEADER_ROLE = "stream"


class StreamRunner:
    """Leader lock + StreamConnection + inbox insert. `start()` raises LeaderLockHeld if another runs.

    `write_many(events)` stores a batch in one transaction (e.g. `SqlInbox.put_many`); frames that arrive
    while a batch is being written share the next one, and each is acked only after its batch committed."""

    def __init__(self, settings: StreamSettings, write_many: Callable[[list[Event]], list[bool]], database_url: str,
                 *, lock_wait_s: float | None = 0.0) -> None:
        self.settings = settings
        self._batcher = LoopBatcher(write_many)
        self._lock = LeaderLock(database_url, LEADER_ROLE)
        self._lock_wait_s = lock_wait_s
        self.connection: StreamConnection | None = None

    def _sink(self, wire: WireEvent) -> Awaitable[bool]:
        try:
            event = from_wire(wire, "stream", received_at=datetime.now(UTC))
        except InvalidEvent as exc:
            # Redelivery cannot fix a frame our event value refuses; ack it and say so loudly.
            log.error("stream: dropping event %s (%s): %s", wire.event_id, wire.event_type, exc)
            dropped: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
            dropped.set_result(False)
            return dropped
        return self._batcher.submit(event)

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
            self._batcher.close()
        finally:
            self._lock.release()

    def serve_forever(self, stop: threading.Event, check_every_s: float = 30.0) -> None:
        """Run until `stop` is set (the CLI sets it on SIGINT/SIGTERM); raises LeaderLockLost if the lock's
        database session died, since another process may now hold the role."""
        self.start()
        try:
            while not stop.wait(check_every_s):
                if not self._lock.is_still_held():
                    raise LeaderLockLost("lost the stream leader lock (database session ended); "
                                         "stopping so a supervisor can restart `dingperf serve stream`")
        finally:
            self.stop()


def stream_settings_for(settings: Any, **overrides: Any) -> StreamSettings:
    """StreamSettings from the `[dingtalk]` section: AppKey/AppSecret as Stream ClientID/Secret, api_base."""
    d = settings.dingtalk
    return StreamSettings(client_id=d.app_key, client_secret=d.app_secret, api_base=d.api_base,
                          default_corp_id=d.corp_id, **overrides)


def stream_runner_for(settings: Any, store: Any, **overrides: Any) -> StreamRunner:
    """The runner `dingperf serve stream` starts: the configured app, group-committing into `store`'s inbox."""
    return StreamRunner(stream_settings_for(settings, **overrides), SqlInbox(store).put_many, settings.database.url)
