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


def test_first_qps_calls_start_without_waiting_when_unspaced():
    fake = FakeTime()
    limiter = RateLimiter(20, spacing=0.0, clock=fake.clock, sleep=fake.sleep)
    waits = [limiter.acquire("/a") for _ in range(20)]
    assert waits == [0.0] * 20


def test_consecutive_calls_are_spaced_out():
    fake = FakeTime()
    limiter = RateLimiter(10, margin_s=0.0, spacing=0.5, clock=fake.clock, sleep=fake.sleep)
    starts = []
    for _ in range(5):
        limiter.acquire("/a")
        starts.append(fake.now)
    assert starts == pytest.approx([0.0, 0.05, 0.1, 0.15, 0.2])


def test_burst_never_puts_more_than_qps_calls_in_any_one_second_window():
    fake = FakeTime()
    limiter = RateLimiter(20, margin_s=0.02, spacing=0.0, clock=fake.clock, sleep=fake.sleep)
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
    limiter = RateLimiter(5, spacing=0.0, clock=fake.clock, sleep=fake.sleep)
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


def test_a_throttle_widens_the_margin_and_clean_calls_narrow_it_again():
    fake = FakeTime()
    limiter = RateLimiter(10, margin_s=0.02, margin_step_s=0.05, spacing=0.0, clock=fake.clock, sleep=fake.sleep)

    def window_of_next_ten():
        first = fake.now
        for _ in range(10):
            limiter.acquire("/a")
        last_start = fake.now
        limiter.acquire("/a")  # the 11th must wait for the window (plus margin) after the 1st
        return fake.now - first, last_start

    limiter.throttled("/a", 1.0)
    widened, _ = window_of_next_ten()
    assert widened >= 1.02 + 0.04
    for _ in range(300):
        limiter.acquire("/a")
    relaxed, _ = window_of_next_ten()
    assert relaxed == pytest.approx(1.02, abs=0.001)


def test_an_isolated_throttle_does_not_pause_other_callers():
    fake = FakeTime()
    limiter = RateLimiter(20, clock=fake.clock, sleep=fake.sleep)
    limiter.throttled("/a", 1.0)
    assert limiter.acquire("/a") == 0.0


def test_repeated_throttles_pause_every_caller_of_that_api():
    fake = FakeTime()
    limiter = RateLimiter(20, clock=fake.clock, sleep=fake.sleep)
    limiter.throttled("/a", 1.0)
    fake.now += 0.5
    limiter.throttled("/a", 1.0)
    assert limiter.acquire("/a") == pytest.approx(1.0)
    assert limiter.acquire("/b") == 0.0


def test_threads_sharing_a_limiter_stay_within_budget():
    lock = threading.Lock()
    now = [0.0]
    starts = []

    def clock():
        with lock:
            return now[0]

    def sleep(seconds):  # a shared fake clock: sleeping moves it to the sleeper's wake-up time
        with lock:
            now[0] += seconds

    limiter = RateLimiter(10, clock=clock, sleep=sleep)

    def work():
        for _ in range(10):
            limiter.acquire("/a")
            starts.append(clock())

    threads = [threading.Thread(target=work) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(starts) == 50
    assert max_in_any_window(starts) <= 10


def test_a_call_that_started_late_pushes_back_the_call_a_window_after_it():
    fake = FakeTime()
    limiter = RateLimiter(2, margin_s=0.0, spacing=0.0, clock=fake.clock, sleep=fake.sleep)
    limiter.acquire("/a")
    limiter.acquire("/a")
    # the third call is reserved for t=1.0, but its thread oversleeps by 0.3 s
    oversleep = [0.3]

    def late_sleep(seconds):
        fake.sleep(seconds + oversleep.pop() if oversleep else seconds)

    limiter._sleep = late_sleep
    limiter.acquire("/a")
    assert fake.now == pytest.approx(1.3)
    limiter.acquire("/a")  # reserved at 1.0 (after the 2nd), starts at 1.3: allowed
    limiter.acquire("/a")  # must wait a window after the late 3rd call, not after its reservation
    assert fake.now == pytest.approx(2.3)


def test_qps_below_one_is_refused():
    with pytest.raises(ValueError):
        RateLimiter(0)
