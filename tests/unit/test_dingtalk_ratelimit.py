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


def max_in_any_window(starts, window=1.0):
    starts = sorted(starts)
    best, lo = 0, 0
    for hi, t in enumerate(starts):
        while t - starts[lo] >= window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def test_first_qps_calls_start_without_waiting():
    fake = FakeTime()
    limiter = RateLimiter(20, clock=fake.clock, sleep=fake.sleep)
    waits = [limiter.acquire("/a") for _ in range(20)]
    assert waits == [0.0] * 20


def test_burst_never_puts_more_than_qps_calls_in_any_one_second_window():
    fake = FakeTime()
    limiter = RateLimiter(20, clock=fake.clock, sleep=fake.sleep)
    starts = []
    for _ in range(200):
        limiter.acquire("/a")
        starts.append(fake.now)
    assert max_in_any_window(starts) == 20
    # and it is not needlessly slow: 200 calls take about 9 windows
    assert starts[-1] < 9 * 1.02 + 0.01


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=0.3), min_size=1, max_size=150), st.integers(1, 25))
def test_any_arrival_pattern_stays_within_budget(gaps, qps):
    fake = FakeTime()
    limiter = RateLimiter(qps, clock=fake.clock, sleep=fake.sleep)
    starts = []
    for gap in gaps:
        fake.now += gap
        limiter.acquire("/a")
        starts.append(fake.now)
    assert max_in_any_window(starts) <= qps


def test_different_apis_have_separate_budgets():
    fake = FakeTime()
    limiter = RateLimiter(5, clock=fake.clock, sleep=fake.sleep)
    for _ in range(5):
        limiter.acquire("/a")
    assert limiter.acquire("/b") == 0.0
    assert limiter.acquire("/a") > 0.9


def test_hold_pauses_new_calls_to_that_api():
    fake = FakeTime()
    limiter = RateLimiter(20, clock=fake.clock, sleep=fake.sleep)
    limiter.hold("/a", 1.0)
    assert limiter.acquire("/a") == pytest.approx(1.0)
    assert limiter.acquire("/b") == 0.0


def test_threads_sharing_a_limiter_reserve_distinct_slots():
    lock = threading.Lock()
    fake = FakeTime()
    slots = []

    def sleep(seconds):  # record the slot each thread was given instead of sleeping
        with lock:
            slots.append(seconds)

    limiter = RateLimiter(10, clock=fake.clock, sleep=sleep)
    threads = [threading.Thread(target=lambda: [limiter.acquire("/a") for _ in range(10)]) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    starts = [0.0] * 10 + slots  # the first 10 did not wait
    assert len(starts) == 50
    assert max_in_any_window(starts) <= 10


def test_qps_below_one_is_refused():
    with pytest.raises(ValueError):
        RateLimiter(0)
