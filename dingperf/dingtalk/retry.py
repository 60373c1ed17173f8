"""When a failed DingTalk call is tried again, and after how long (DINGTALK.md §1, §2.5)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from dingperf.dingtalk.errors import DingTalkError, RateLimited, Transient


@dataclass(frozen=True)
class RetryPolicy:
    """Jittered exponential backoff for throttles and transient failures, capped in attempts and wait.

    Throttles (90018 and friends) wait at least DingTalk's `retry_after` (1 s for the QPS window).
    A wait longer than `max_wait_s` (an IP ban, a per-minute limit on a tight caller) is not slept
    through: the error goes to the caller, whose job (outbox, sync) reschedules itself.
    Non-idempotent calls are retried only when DingTalk surely did not act on the request.
    """

    max_attempts: int = 5
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0
    max_wait_s: float = 60.0
    throttle_jitter_s: float = 0.25
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def should_retry(self, error: DingTalkError, attempt: int, *, idempotent: bool = True) -> bool:
        """True if the call that failed on `attempt` (1-based) should be made again."""
        if attempt >= self.max_attempts:
            return False
        if isinstance(error, RateLimited):
            return error.retry_after <= self.max_wait_s
        if isinstance(error, Transient):
            return idempotent or not error.maybe_processed
        return False

    def delay(self, error: DingTalkError, attempt: int) -> float:
        """Seconds to wait before attempt `attempt + 1`."""
        backoff = min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))
        jittered = backoff / 2 + self.rng.random() * backoff / 2  # "equal jitter"
        if isinstance(error, RateLimited):
            # Spread the retries of threads throttled together across the next window.
            return max(error.retry_after, jittered) + self.rng.random() * self.throttle_jitter_s
        return jittered
