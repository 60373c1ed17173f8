"""Group chats of the sandbox org: members, and every message posted into each group.

Groups are created through the control API (`POST /_sandbox/groups`); the app's robot is in
every sandbox group, so enterprise-robot sends and card deliveries to a group succeed.
"""

from __future__ import annotations

import base64
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any


class UnknownGroup(LookupError):
    """No group with that openConversationId exists in the sandbox."""


def new_open_conversation_id() -> str:
    """An id shaped like DingTalk's (`cid` + base64 + `==`)."""
    # URL-safe alphabet so the id can sit in a control-API path unescaped.
    return "cid" + base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("=") + "=="


@dataclass(frozen=True)
class Group:
    open_conversation_id: str
    title: str
    member_userids: tuple[str, ...]
    created_ms: int

    def to_json(self) -> dict[str, Any]:
        return {
            "openConversationId": self.open_conversation_id,
            "title": self.title,
            "member_userids": list(self.member_userids),
            "created_ms": self.created_ms,
        }


@dataclass(frozen=True)
class GroupMessage:
    """One message as it appeared in a group, with who sent it (robot token or robotCode)."""

    seq: int
    at_ms: int
    sender: dict[str, Any]
    content: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "at_ms": self.at_ms, "sender": self.sender, "content": self.content}


@dataclass
class GroupStore:
    _groups: dict[str, Group] = field(default_factory=dict)
    _messages: dict[str, list[GroupMessage]] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def create(self, title: str, member_userids: list[str], now_ms: int) -> Group:
        """Create a group chat; the title must be non-empty and members unique."""
        if not title or not isinstance(title, str):
            raise ValueError("a group needs a non-empty 'title'")
        if not isinstance(member_userids, list) or not all(isinstance(u, str) and u for u in member_userids):
            raise ValueError("'member_userids' must be a list of userid strings")
        members = tuple(dict.fromkeys(member_userids))
        group = Group(new_open_conversation_id(), title, members, now_ms)
        with self._lock:
            self._groups[group.open_conversation_id] = group
            self._messages[group.open_conversation_id] = []
        return group

    def get(self, open_conversation_id: str) -> Group:
        with self._lock:
            group = self._groups.get(open_conversation_id)
        if group is None:
            raise UnknownGroup(
                f"no sandbox group {open_conversation_id!r}; create one with POST /_sandbox/groups"
            )
        return group

    def exists(self, open_conversation_id: str) -> bool:
        with self._lock:
            return open_conversation_id in self._groups

    def all(self) -> list[Group]:
        with self._lock:
            return list(self._groups.values())

    def post(
        self, open_conversation_id: str, sender: dict[str, Any], content: dict[str, Any], now_ms: int
    ) -> GroupMessage:
        """Append a message to the group's history."""
        with self._lock:
            self.get(open_conversation_id)
            history = self._messages[open_conversation_id]
            message = GroupMessage(len(history) + 1, now_ms, dict(sender), content)
            history.append(message)
            return message

    def messages(self, open_conversation_id: str) -> list[GroupMessage]:
        with self._lock:
            self.get(open_conversation_id)
            return list(self._messages[open_conversation_id])

    def clear_messages(self) -> None:
        """Empty every group's history; the groups and their members stay."""
        with self._lock:
            for history in self._messages.values():
                history.clear()
