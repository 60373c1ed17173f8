"""Typed errors of the performance domain; messages say what is wrong and what to do."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error raised by dingperf.perf."""


class ValidationError(DomainError):
    """Input that breaks a domain rule (weights not totalling 100, a score outside its scale...)."""


class TransitionError(DomainError):
    """A lifecycle move that is not allowed from the current state (goal, cycle, appeal...)."""


class FormulaError(ValidationError):
    """A custom formula that does not parse or evaluate; carries the position when known."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message if position is None else f"{message} (at character {position})")
        self.position = position
