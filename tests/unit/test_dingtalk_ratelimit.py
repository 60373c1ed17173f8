"""The per-API limiter keeps every 1-second window at or under the QPS budget, on an injected clock."""

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dingperf.dingtalk.ratelimit import RateLimiter


class FakeTime:
    def __init__(self):
        self.now = 0.0

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def call(limiter, key="/a", latency=0.0, clock=None):
    """One call through the limiter: its start time; the answer comes `latency` later."""
    with limiter.call(key) as slot:
        if clock is not None:
            clock.now += latency
    return slot


def max_in_any_window(starts, window=1.0):
    starts = sorted(starts)
    best, lo = 0, 0
    for hi, t in enumerate(starts):
        while t - starts[lo] >= window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def test_first_qps_calls_start_without_waiting_when_unspaced():
    fake = FakeTime()
    limiter = RateLimiter(20, spacing=0.0, clock=fake.clock, sleep=fake.sleep)
    assert [call(limiter).waited for _ in range(20)] == [0.0] * 20


def test_consecutive_calls_are_spaced_out():
    fake = FakeTime()
    limiter = RateLimiter(10, margin_s=0.0, spacing=0.5, clock=fake.clock, sleep=fake.sleep)
    assert [call(limiter).start for _ in range(5)] == pytest.approx([0.0, 0.05, 0.1, 0.15, 0.2])


def test_burst_never_puts_more_than_qps_calls_in_any_one_second_window():
    fake = FakeTime()
    limiter = RateLimiter(20, margin_s=0.02, spacing=0.0, clock=fake.clock, sleep=fake.sleep)
    starts = [call(limiter).start for _ in range(200)]
    assert max_in_any_window(starts) == 20
    assert starts[-1] < 9 * 1.02 + 0.01  # and not needlessly slow: 200 calls take about 9 windows


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 0.3), st.floats(0, 0.2)), min_size=1, max_size=150), st.integers(1, 25))
def test_any_arrival_and_latency_pattern_stays_within_budget(calls, qps):
    """Whatever the gaps and latencies, calls counted anywhere between start and answer fit the budget."""
    fake = FakeTime()
    limiter = RateLimiter(qps, margin_s=0.0, clock=fake.clock, sleep=fake.sleep)
    spans = []
    for gap, latency in calls:
        fake.now += gap
        slot = call(limiter, latency=latency, clock=fake)
        spans.append((slot.start, slot.end))
    # the worst case for DingTalk's count: early calls arrive at their answer, later ones at their start
    for i in range(qps, len(spans)):
        # the limiter treats sub-microsecond differences as float noise (real calls keep a 10 ms margin)
        assert spans[i][0] >= spans[i - qps][1] + 1.0 - 1e-6


def test_the_next_window_is_anchored_on_the_answer_not_the_start():
    fake = FakeTime()
    limiter = RateLimiter(2, margin_s=0.0, spacing=0.0, clock=fake.clock, sleep=fake.sleep)
    call(limiter, latency=0.3, clock=fake)  # starts at 0.0, answered at 0.3 (a stall)
    call(limiter)  # starts at 0.3
    assert call(limiter).start == pytest.approx(1.3)


def test_a_call_waits_for_its_predecessor_still_in_flight():
    fake = FakeTime()
    limiter = RateLimiter(1, margin_s=0.0, spacing=0.0, clock=fake.clock, sleep=fake.sleep)
    first = limiter.acquire("/a")
    started = threading.Event()

    def second():
        started.set()
        slot = limiter.acquire("/a")
        limiter.release(slot)
        result.append(slot.start)

    result = []
    worker = threading.Thread(target=second)
    worker.start()
    started.wait()
    fake.now = 0.5
    limiter.release(first)  # answered at 0.5: the second call may start at 1.5
    worker.join(5)
    assert result == [pytest.approx(1.5)]


def test_different_apis_have_separate_budgets():
    fake = FakeTime()
    limiter = RateLimiter(5, spacing=0.0, clock=fake.clock, sleep=fake.sleep)
    for _ in range(5):
        call(limiter, "/a")
    assert call(limiter, "/b").waited == 0.0
    assert call(limiter, "/a").waited > 0.9


def test_hold_pauses_new_calls_to_that_api():
    fake = FakeTime()
    limiter = RateLimiter(20, clock=fake.clock, sleep=fake.sleep)
    limiter.hold("/a", 1.0)
    assert call(limiter, "/a").waited == pytest.approx(1.0)
    assert call(limiter, "/b").waited == 0.0


def test_a_throttle_widens_the_margin_and_clean_calls_narrow_it_again():
    fake = FakeTime()
    limiter = RateLimiter(10, margin_s=0.02, margin_step_s=0.05, spacing=0.0, clock=fake.clock, sleep=fake.sleep)

    def window_of_next_eleven():
        first = call(limiter).start
        for _ in range(9):
            call(limiter)
        return call(limiter).start - first  # the 11th waits a window (plus margin) after the 1st

    limiter.throttled("/a", 1.0)
    assert window_of_next_eleven() >= 1.02 + 0.04
    for _ in range(300):
        call(limiter)
    assert window_of_next_eleven() == pytest.approx(1.02, abs=0.001)


def test_an_isolated_throttle_does_not_pause_other_callers():
    fake = FakeTime()
    limiter = RateLimiter(20, clock=fake.clock, sleep=fake.sleep)
    limiter.throttled("/a", 1.0)
    assert call(limiter, "/a").waited == 0.0


def test_repeated_throttles_pause_every_caller_of_that_api():
    fake = FakeTime()
    limiter = RateLimiter(20, clock=fake.clock, sleep=fake.sleep)
    limiter.throttled("/a", 1.0)
    fake.now += 0.5
    limiter.throttled("/a", 1.0)
    assert call(limiter, "/a").waited == pytest.approx(1.0)
    assert call(limiter, "/b").waited == 0.0


def test_threads_sharing_a_limiter_stay_within_budget():
    lock = threading.Lock()
    now = [0.0]
    starts = []

    def clock():
        with lock:
            return now[0]

    def sleep(seconds):  # a shared fake clock that sleepers push forward
        with lock:
            now[0] += seconds

    limiter = RateLimiter(10, clock=clock, sleep=sleep)

    def work():
        for _ in range(10):
            with limiter.call("/a") as slot:
                starts.append(slot.start)

    threads = [threading.Thread(target=work) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(starts) == 50
    assert max_in_any_window(starts) <= 10


def test_qps_below_one_is_refused():
    with pytest.raises(ValueError):
        RateLimiter(0)
