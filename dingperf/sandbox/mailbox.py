"""What each person saw: every work notification, DING, robot message, group message and card
dingperf sent them, in the order it arrived, stamped with sandbox time.

The mailbox is the sandbox's answer to "show me what 张三 received". Cards are stored by
reference (their outTrackId) so a listing shows the card's *current* data and its history.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field, replace
from typing import Any

# Kinds of things a person can receive; the control API filters on these names.
WORK_NOTIFICATION = "work_notification"
DING = "ding"
ROBOT_OTO = "robot_oto"
GROUP_MESSAGE = "group_message"
CARD = "card"
KINDS = (WORK_NOTIFICATION, DING, ROBOT_OTO, GROUP_MESSAGE, CARD)


@dataclass(frozen=True)
class Delivery:
    """One thing one person received.

    `ref` names the sending operation (task_id, openDingId, processQueryKey, outTrackId,
    robot token) so a test can find "the card from outTrackId X" without parsing content.
    """

    id: int
    userid: str
    kind: str
    at_ms: int
    content: dict[str, Any]
    ref: dict[str, Any]
    recalled_at_ms: int | None = None
    read_at_ms: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "userid": self.userid,
            "kind": self.kind,
            "at_ms": self.at_ms,
            "content": self.content,
            "ref": self.ref,
            "recalled": self.recalled_at_ms is not None,
            "recalled_at_ms": self.recalled_at_ms,
            "read": self.read_at_ms is not None,
            "read_at_ms": self.read_at_ms,
        }


@dataclass
class Mailbox:
    """Per-userid record of deliveries; thread-safe on its own lock."""

    _items: list[Delivery] = field(default_factory=list)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def deliver(
        self, userid: str, kind: str, content: dict[str, Any], ref: dict[str, Any], at_ms: int
    ) -> Delivery:
        """Record that `userid` received `content`; returns the stored delivery."""
        if kind not in KINDS:
            raise ValueError(f"unknown mailbox kind {kind!r}; use one of {', '.join(KINDS)}")
        with self._lock:
            item = Delivery(
                id=next(self._ids), userid=userid, kind=kind, at_ms=at_ms, content=content, ref=dict(ref)
            )
            self._items.append(item)
            return item

    def for_user(self, userid: str, kind: str | None = None) -> list[Delivery]:
        """Everything `userid` received, oldest first (optionally one kind only)."""
        return self.all(kind=kind, userid=userid)

    def all(self, kind: str | None = None, userid: str | None = None) -> list[Delivery]:
        with self._lock:
            return [
                d
                for d in self._items
                if (kind is None or d.kind == kind) and (userid is None or d.userid == userid)
            ]

    def matching(self, **ref: Any) -> list[Delivery]:
        """Deliveries whose ref contains every given key with the given value."""
        with self._lock:
            return [d for d in self._items if all(d.ref.get(k) == v for k, v in ref.items())]

    def mark_recalled(self, at_ms: int, **ref: Any) -> int:
        """Flag the deliveries of one sending operation as recalled; returns how many."""
        return self._update(
            lambda d: replace(d, recalled_at_ms=at_ms) if d.recalled_at_ms is None else d, ref
        )

    def mark_read(self, userid: str, at_ms: int, **ref: Any) -> int:
        """Flag `userid`'s deliveries of one sending operation as read (a demo "opens" a message)."""
        return self._update(
            lambda d: replace(d, read_at_ms=at_ms) if d.userid == userid and d.read_at_ms is None else d, ref
        )

    def _update(self, change: Any, ref: dict[str, Any]) -> int:
        changed = 0
        with self._lock:
            for i, d in enumerate(self._items):
                if all(d.ref.get(k) == v for k, v in ref.items()):
                    new = change(d)
                    if new is not d:
                        self._items[i] = new
                        changed += 1
        return changed
