"""Retry policy: what is retried, how long it waits, when it gives up."""

import random

import pytest

from dingperf.dingtalk.errors import AuthExpired, Permanent, QuotaExhausted, RateLimited, Transient
from dingperf.dingtalk.retry import RetryPolicy

KW = {"family": "oapi", "path": "/x"}


def policy(**kw):
    return RetryPolicy(rng=random.Random(7), **kw)


def test_throttle_waits_at_least_what_dingtalk_asks():
    err = RateLimited("qps", retry_after=1.0, **KW)
    delays = [policy().delay(err, attempt) for attempt in range(1, 4)]
    assert all(d >= 1.0 for d in delays) and all(d <= 1.0 + 2.0 + 0.25 for d in delays)


def test_transient_backoff_is_jittered_exponential_and_capped():
    err = Transient("busy", **KW)
    p = policy(base_delay_s=0.5, max_delay_s=4.0)
    for attempt, cap in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (6, 4.0)]:
        d = p.delay(err, attempt)
        assert cap / 2 <= d <= cap


@pytest.mark.parametrize("error", [
    QuotaExhausted("quota", **KW), Permanent("bad", **KW), AuthExpired("token", **KW),
])
def test_errors_that_retrying_cannot_fix_are_not_retried(error):
    assert not policy().should_retry(error, 1)


def test_attempts_are_capped():
    err = Transient("busy", **KW)
    assert policy(max_attempts=3).should_retry(err, 2)
    assert not policy(max_attempts=3).should_retry(err, 3)


def test_a_long_ban_is_not_slept_through():
    assert not policy(max_wait_s=60).should_retry(RateLimited("ip ban", retry_after=300, scope="ip_ban", **KW), 1)


def test_non_idempotent_call_is_retried_only_if_dingtalk_surely_did_not_act():
    assert not policy().should_retry(Transient("timeout", maybe_processed=True, **KW), 1, idempotent=False)
    assert policy().should_retry(Transient("refused", maybe_processed=False, **KW), 1, idempotent=False)
    assert policy().should_retry(RateLimited("qps", **KW), 1, idempotent=False)
