"""Group commit for intake: events arriving concurrently share one transaction. Each caller still blocks
until the transaction holding its event has committed, so an ack always follows a durable write."""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future

from dingperf.events.event import Event

WriteMany = Callable[[list[Event]], list[bool]]


class CommitterClosed(RuntimeError):
    """The committer was closed; the event was not stored."""


class GroupCommitter:
    """`put(event)` → True if new, False if a duplicate; raises what the batch's write raised."""

    def __init__(self, write_many: WriteMany, *, max_batch: int = 256, name: str = "inbox-writer") -> None:
        self._write_many = write_many
        self._max_batch = max_batch
        self._name = name
        self._queue: queue.SimpleQueue[tuple[Event, Future[bool]] | None] = queue.SimpleQueue()
        self._closed = False
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def _ensure_writer(self) -> None:
        # Started lazily and again after a fork: a gunicorn worker forked from a preloaded app has no threads.
        if self._thread is not None and self._pid == os.getpid():
            return
        with self._lock:
            if self._thread is None or self._pid != os.getpid():
                self._queue = queue.SimpleQueue()
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, args=(self._queue,), name=self._name, daemon=True)
                self._thread.start()

    def submit(self, event: Event) -> Future[bool]:
        """Queue `event` without blocking; the future resolves (True new / False duplicate) once committed."""
        if self._closed:
            raise CommitterClosed("the inbox writer is closed; this process is shutting down")
        self._ensure_writer()
        done: Future[bool] = Future()
        self._queue.put((event, done))
        return done

    def put(self, event: Event, timeout: float | None = None) -> bool:
        """Store `event` with whatever else is waiting, and return once that transaction committed."""
        return self.submit(event).result(timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued, then stop the writer thread."""
        self._closed = True
        if self._thread is not None and self._pid == os.getpid():
            self._queue.put(None)
            self._thread.join(timeout)

    def _run(self, q: queue.SimpleQueue[tuple[Event, Future[bool]] | None]) -> None:
        while True:
            first = q.get()
            batch = [first] if first is not None else []
            stopping = first is None
            while not stopping and len(batch) < self._max_batch:
                try:
                    item = q.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                else:
                    batch.append(item)
            if batch:
                self._write(batch)
            if stopping:
                return

    def _write(self, batch: list[tuple[Event, Future[bool]]]) -> None:
        try:
            flags = self._write_many([event for event, _ in batch])
        except BaseException as exc:  # noqa: BLE001 - every waiting caller learns its event was not stored
            for _, done in batch:
                done.set_exception(exc)
            return
        for (_, done), fresh in zip(batch, flags, strict=True):
            done.set_result(fresh)
