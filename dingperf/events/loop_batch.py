"""Group commit on an asyncio loop (the Stream adapter): events submitted while a write is running are
written together in the next one, on one writer thread, so a burst of frames costs a few transactions."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from dingperf.events.event import Event

WriteMany = Callable[[list[Event]], list[bool]]


class LoopBatcher:
    """`await batcher.submit(event)` → True if new, False if a duplicate; raises if the write failed."""

    def __init__(self, write_many: WriteMany, *, max_batch: int = 500) -> None:
        self._write_many = write_many
        self._max_batch = max_batch
        self._pending: list[tuple[Event, asyncio.Future[bool]]] = []
        self._running = False
        self._task: asyncio.Task[None] | None = None  # a reference, so the drain task is never collected
        # One writer thread: batches never compete for the database's write lock with each other.
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stream-inbox-writer")

    def submit(self, event: Event) -> asyncio.Future[bool]:
        """Queue an event from the loop thread; the future resolves once its batch has committed."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[bool] = loop.create_future()
        self._pending.append((event, done))
        if not self._running:
            self._running = True
            self._task = loop.create_task(self._drain())
        return done

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            await asyncio.sleep(0)  # let the frames already read in this loop turn join the first batch
            while self._pending:
                batch, self._pending = self._pending[: self._max_batch], self._pending[self._max_batch:]
                try:
                    flags = await loop.run_in_executor(self._writer, self._write_many, [e for e, _ in batch])
                except Exception as exc:  # noqa: BLE001 - every waiting frame learns its event was not stored
                    for _, done in batch:
                        if not done.done():
                            done.set_exception(exc)
                    continue
                for (_, done), fresh in zip(batch, flags, strict=True):
                    if not done.done():
                        done.set_result(fresh)
        finally:
            self._running = False

    def close(self) -> None:
        self._writer.shutdown(wait=True)
