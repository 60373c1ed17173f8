"""How the inbox worker retries a failed handler: jittered exponential backoff, then parking."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class RetryPolicy:
    """attempt n (1-based) waits base·factorⁿ⁻¹ capped at max, scaled by ±jitter; park after max_attempts."""

    base_s: float = 10.0
    factor: float = 2.0
    max_s: float = 3600.0
    jitter: float = 0.25
    max_attempts: int = 8

    def __post_init__(self) -> None:
        if self.base_s <= 0 or self.factor < 1 or self.max_s < self.base_s:
            raise ValueError("retry policy needs base_s > 0, factor >= 1 and max_s >= base_s")
        if not 0 <= self.jitter < 1:
            raise ValueError("retry jitter must be in [0, 1)")
        if self.max_attempts < 1:
            raise ValueError("retry max_attempts must be at least 1")

    def should_park(self, attempts: int) -> bool:
        """True once `attempts` failed tries have used up the budget."""
        return attempts >= self.max_attempts

    def delay(self, attempts: int, rng: random.Random | None = None) -> timedelta:
        """Wait before the next try after `attempts` failures (attempts >= 1)."""
        raw = min(self.max_s, self.base_s * self.factor ** max(0, attempts - 1))
        spread = (rng or random).uniform(1 - self.jitter, 1 + self.jitter)
        return timedelta(seconds=min(self.max_s, raw * spread))
