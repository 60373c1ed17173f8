"""Audit records and transition helpers shared by every state machine of the process half.

Every transition returns ``(new_value, AuditRecord)``; the record is what services persist as
the trail {actor, action, from, to, reason, at}.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from dingperf.perf.errors import TransitionError, ValidationError


@dataclass(frozen=True)
class AuditRecord:
    """One audited move: who did what, from which state to which, why and when."""

    actor: str
    action: str
    from_state: str
    to_state: str
    reason: str
    at: datetime

    def as_dict(self) -> dict[str, str]:
        """The record with the wire names ``from``/``to`` (reserved words in Python)."""
        return {
            "actor": self.actor,
            "action": self.action,
            "from": self.from_state,
            "to": self.to_state,
            "reason": self.reason,
            "at": self.at.isoformat(),
        }


def require_aware(at: datetime, name: str = "now") -> datetime:
    """Reject naive datetimes: the domain never guesses a timezone."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValidationError(f"{name} must be a timezone-aware datetime, got naive {at.isoformat()}")
    return at


def require_reason(reason: str, action: str) -> str:
    """A non-blank reason, stripped; the message names the action that needs it."""
    text = (reason or "").strip()
    if not text:
        raise ValidationError(f"'{action}' requires a reason; write why this is being done")
    return text


def require_actor(actor: str) -> str:
    """A non-blank actor userid."""
    text = (actor or "").strip()
    if not text:
        raise ValidationError("an actor userid is required for every audited action")
    return text


def transition_error(kind: str, current: str, action: str, allowed: Iterable[str]) -> TransitionError:
    """The standard refusal: names the current state, the attempted action and what is allowed."""
    options = sorted(set(allowed))
    hint = ", ".join(options) if options else "nothing (terminal state)"
    return TransitionError(f"{kind} is '{current}': cannot '{action}'; allowed from here: {hint}")


def record(actor: str, action: str, from_state: str, to_state: str, at: datetime, reason: str = "") -> AuditRecord:
    """Build an audit record after validating actor and time."""
    return AuditRecord(
        actor=require_actor(actor),
        action=action,
        from_state=from_state,
        to_state=to_state,
        reason=(reason or "").strip(),
        at=require_aware(at, "at"),
    )
