"""Bot-conversation reply webhooks (`sessionWebhook`, DINGTALK.md §6.4): a bot callback carries a
URL that accepts text/markdown replies, without a token, until `sessionWebhookExpiredTime`.

Whoever fakes a bot message (a test, the event pusher) opens a session here and puts its URL in
the callback; replies land in the person's robot chat or in the group.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from dingperf.sandbox.wire import OldApiError

SESSION_PATH = "/robot/sendBySession"
# How long DingTalk keeps a sessionWebhook usable is UNCONFIRMED; about 90 minutes is commonly seen.
DEFAULT_TTL_S = 5_400


@dataclass(frozen=True)
class BotSession:
    session: str
    conversation_type: str  # "1" 1:1 with `userid`, "2" group `open_conversation_id`
    userid: str | None
    open_conversation_id: str | None
    expires_ms: int

    def webhook(self, base_url: str) -> str:
        return f"{base_url.rstrip('/')}{SESSION_PATH}?session={self.session}"


def reply_content(body: dict[str, Any]) -> dict[str, Any]:
    """Check a session reply ({msgtype: text|markdown, ...}); returns what the person sees."""
    msgtype = body.get("msgtype")
    part = body.get(msgtype) if isinstance(msgtype, str) else None
    if msgtype == "text" and isinstance(part, dict) and part.get("content"):
        return {"msgtype": "text", "text": {"content": part["content"]}, "at": body.get("at")}
    if msgtype == "markdown" and isinstance(part, dict) and part.get("title") and part.get("text"):
        return {
            "msgtype": "markdown",
            "markdown": {"title": part["title"], "text": part["text"]},
            "at": body.get("at"),
        }
    raise OldApiError(400105, "不支持的消息类型: a session reply is text{content} or markdown{title,text}")


@dataclass
class BotSessions:
    _sessions: dict[str, BotSession] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def open(
        self,
        *,
        now_ms: int,
        userid: str | None = None,
        open_conversation_id: str | None = None,
        ttl_s: int = DEFAULT_TTL_S,
    ) -> BotSession:
        """A reply session for a 1:1 chat with `userid` or for a group; exactly one must be given."""
        if (userid is None) == (open_conversation_id is None):
            raise ValueError("open a session for exactly one of userid or openConversationId")
        session = BotSession(
            session=secrets.token_urlsafe(24),
            conversation_type="1" if userid else "2",
            userid=userid,
            open_conversation_id=open_conversation_id,
            expires_ms=now_ms + ttl_s * 1000,
        )
        with self._lock:
            self._sessions[session.session] = session
        return session

    def get(self, session: str | None, now_ms: int) -> BotSession:
        """The live session; an unknown or expired one fails like DingTalk's (UNCONFIRMED code)."""
        with self._lock:
            found = self._sessions.get(session or "")
        if found is None or found.expires_ms <= now_ms:
            raise OldApiError(400101, "session不存在或已过期: this sessionWebhook is unknown or has expired")
        return found
