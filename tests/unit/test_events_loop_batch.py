import asyncio
from datetime import UTC, datetime

import pytest

from dingperf.events.event import Event
from dingperf.events.loop_batch import LoopBatcher


def event(n: int) -> Event:
    return Event(corp_id="c", event_id=f"e{n}", event_type="t", born_at=datetime.now(UTC), source="stream")


def test_events_submitted_together_are_written_in_one_batch():
    batches: list[list[str]] = []

    def write_many(events):
        batches.append([e.event_id for e in events])
        return [True] * len(events)

    async def main():
        batcher = LoopBatcher(write_many)
        results = await asyncio.gather(*(batcher.submit(event(n)) for n in range(20)))
        batcher.close()
        return results

    assert asyncio.run(main()) == [True] * 20
    assert batches == [[f"e{n}" for n in range(20)]]


def test_a_failed_write_fails_every_event_of_its_batch():
    def broken(events):
        raise RuntimeError("disk full")

    async def main():
        batcher = LoopBatcher(broken)
        futures = [batcher.submit(event(n)) for n in range(3)]
        outcomes = await asyncio.gather(*futures, return_exceptions=True)
        batcher.close()
        return outcomes

    assert all(isinstance(o, RuntimeError) for o in asyncio.run(main()))


def test_later_events_are_written_after_an_earlier_failure():
    calls = []

    def flaky(events):
        calls.append(len(events))
        if len(calls) == 1:
            raise RuntimeError("locked")
        return [True] * len(events)

    async def main():
        batcher = LoopBatcher(flaky)
        with pytest.raises(RuntimeError):
            await batcher.submit(event(1))
        ok = await batcher.submit(event(2))
        batcher.close()
        return ok

    assert asyncio.run(main()) is True
