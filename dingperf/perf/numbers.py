"""Exact decimal helpers: conversion, clamping, normalisation and the one place rounding happens."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
    InvalidOperation,
)

from dingperf.perf.errors import ValidationError

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)

# Named rounding modes a template may declare; 四舍五入 (half_up) is what HR in China expects.
ROUNDING_MODES: dict[str, str] = {
    "half_up": ROUND_HALF_UP,
    "half_even": ROUND_HALF_EVEN,
    "down": ROUND_DOWN,
    "up": ROUND_UP,
    "floor": ROUND_FLOOR,
    "ceiling": ROUND_CEILING,
}

Number = Decimal | int | str


def to_decimal(value: object, what: str = "value") -> Decimal:
    """Convert int/str/Decimal (floats via their shortest repr) to Decimal; reject anything else."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise ValidationError(f"{what} must be a number, got a true/false value {value!r}")
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        # repr() gives the shortest string that round-trips, so 0.1 stays 0.1 and not 0.1000000000000000055
        result = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip().replace(",", ""))
        except InvalidOperation:
            raise ValidationError(f"{what} must be a number, got {value!r}") from None
    else:
        raise ValidationError(f"{what} must be a number, got {type(value).__name__} {value!r}")
    if not result.is_finite():
        raise ValidationError(f"{what} must be a finite number, got {value!r}")
    return result


def optional_decimal(value: object, what: str = "value") -> Decimal | None:
    """Like to_decimal but passes None through (for optional settings)."""
    return None if value is None else to_decimal(value, what)


def clamp(value: Decimal, low: Decimal | None, high: Decimal | None) -> Decimal:
    """Bound value to [low, high]; a None bound is open."""
    if low is not None and value < low:
        return low
    if high is not None and value > high:
        return high
    return value


def round_to(value: Decimal, places: int, mode: str = "half_up") -> Decimal:
    """Round to a number of decimal places with a named mode (see ROUNDING_MODES)."""
    try:
        rounding = ROUNDING_MODES[mode]
    except KeyError:
        raise ValidationError(f"unknown rounding mode {mode!r}; use one of {sorted(ROUNDING_MODES)}") from None
    return value.quantize(Decimal(1).scaleb(-places), rounding=rounding)


# Normalised fractions are held to 24 decimal places so that any sum of them is exact in a 28-digit context.
FRACTION_QUANTUM = Decimal(1).scaleb(-24)


def normalise(weights: Sequence[Decimal]) -> tuple[Decimal, ...]:
    """Relative weights → fractions summing to exactly 1 (the sub-1e-24 residual goes to the largest)."""
    total = sum(weights, ZERO)
    if total <= 0:
        raise ValidationError("weights must add up to more than 0; give at least one positive weight")
    fractions = [(w / total).quantize(FRACTION_QUANTUM, rounding=ROUND_HALF_EVEN) for w in weights]
    residual = ONE - sum(fractions, ZERO)
    if residual:
        largest = max(range(len(fractions)), key=lambda i: fractions[i])
        fractions[largest] += residual
    return tuple(fractions)


def fmt(value: Decimal | None) -> str:
    """Plain, human-readable rendering of a Decimal: no exponent, trailing zeros trimmed, ≤ 6 decimals."""
    if value is None:
        return "—"
    if value.is_zero():
        return "0"
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -6:
        value = value.quantize(Decimal("0.000001"))
    return f"{value.normalize():f}"
