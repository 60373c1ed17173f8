"""Sign-off: employees (then optionally manager and HR) acknowledge the result they saw.

The acknowledgement carries a SHA-256 of the canonical JSON of that result, so a later change
(a recompute after a 补卡, an accepted appeal) is detectable: the old signature no longer matches.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from dingperf.perf.audit import require_actor, require_aware
from dingperf.perf.errors import ValidationError

DEFAULT_CHAIN: tuple[str, ...] = ("employee",)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(_plain(v) for v in value)
    raise TypeError(f"cannot hash a {type(value).__name__} in a result; convert it to plain values")


def canonical_json(result: Mapping[str, Any]) -> str:
    """Sorted keys, no whitespace, Decimals as strings: the same result always gives the same text."""
    return json.dumps(result, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_plain)


def content_hash(result: Mapping[str, Any]) -> str:
    """``sha256:<hex>`` of the canonical JSON of a result."""
    return "sha256:" + hashlib.sha256(canonical_json(result).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Acknowledgement:
    cycle_id: str
    subject_userid: str  # whose result
    signer_userid: str
    role: str  # employee | manager | hr
    content_hash: str
    signed_at: datetime
    comment: str = ""


def acknowledge(result: Mapping[str, Any], cycle_id: str, subject_userid: str, signer_userid: str, now: datetime,
                *, role: str = "employee", comment: str = "") -> Acknowledgement:
    """Sign the result as shown; an employee signs only their own result."""
    require_actor(signer_userid)
    if role == "employee" and signer_userid != subject_userid:
        raise ValidationError(f"{signer_userid} cannot acknowledge {subject_userid}'s result as the employee")
    return Acknowledgement(cycle_id, subject_userid, signer_userid, role, content_hash(result),
                           require_aware(now), comment.strip())


def is_current(ack: Acknowledgement, result: Mapping[str, Any]) -> bool:
    """Whether the signature still matches the result as it is now."""
    return ack.content_hash == content_hash(result)


def missing_signoffs(acks: Sequence[Acknowledgement], result: Mapping[str, Any],
                     chain: Sequence[str] = DEFAULT_CHAIN) -> tuple[str, ...]:
    """Roles of the chain without a current signature (a stale one must be signed again)."""
    signed = {a.role for a in acks if is_current(a, result)}
    return tuple(r for r in chain if r not in signed)


def is_signed_off(acks: Sequence[Acknowledgement], result: Mapping[str, Any],
                  chain: Sequence[str] = DEFAULT_CHAIN) -> bool:
    """Every role in the chain signed this exact result; after this, recomputes stop unless an appeal opens."""
    return not missing_signoffs(acks, result, chain)
