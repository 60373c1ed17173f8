"""DING (robot ding/send, ding/recall; DINGTALK.md §6.2): receiver limits, the paid-edition gate,
and delivery into each receiver's mailbox.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from dingperf.sandbox.mailbox import DING, Mailbox
from dingperf.sandbox.roster import Roster
from dingperf.sandbox.wire import NewApiError

IN_APP, SMS, PHONE = 1, 2, 3
RECEIVER_LIMIT = {IN_APP: 200, SMS: 20, PHONE: 20}
FAILED_UNKNOWN_USER = "staffId.notExisted"


def _bad(code: str, message: str, status: int = 400) -> NewApiError:
    return NewApiError(status, code, message)


@dataclass(frozen=True)
class SentDing:
    open_ding_id: str
    robot_code: str
    remind_type: int
    content: str
    receivers: tuple[str, ...]
    failed: dict[str, list[str]]
    at_ms: int


@dataclass
class DingService:
    """Sends DINGs; `premium=False` makes the org behave like a standard edition (no DING)."""

    mailbox: Mailbox
    premium: bool = True
    _sent: dict[str, SentDing] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def send(self, body: dict[str, Any], app_robot_code: str, roster: Roster, now_ms: int) -> SentDing:
        """Validate a ding/send body and deliver it; raises NewApiError as DingTalk would."""
        robot_code = body.get("robotCode")
        if not robot_code:
            raise _bad("invalidParameter.param.invalid", "robotCode is required")
        if robot_code != app_robot_code:
            raise _bad(
                "invalid.chatbotId", f"robotCode {robot_code!r} is not a robot of this app (use the AppKey)"
            )
        if not self.premium:
            raise _bad(
                "ding.serverquota.insufficient",
                "DING needs a 专业版/专属版 org (permission Premium.Ding.Write); fall back to a work notification",
                status=403,
            )
        remind_type = body.get("remindType")
        if remind_type not in RECEIVER_LIMIT:
            raise _bad(
                "invalidParameter.param.invalid", "remindType must be 1 (in-app), 2 (SMS) or 3 (phone)"
            )
        receivers = body.get("receiverUserIdList")
        if not receivers:
            raise _bad("miss.staffId", "receiverUserIdList is required and must not be empty")
        if not isinstance(receivers, list) or not all(isinstance(u, str) for u in receivers):
            raise _bad(
                "invalidParameter.param.invalid", "receiverUserIdList must be a list of userid strings"
            )
        limit = RECEIVER_LIMIT[remind_type]
        if len(receivers) > limit:
            raise _bad(
                "ding.receivercount.limit",
                f"{len(receivers)} receivers; remindType {remind_type} allows {limit}",
            )
        content = body.get("content")
        if not content or not isinstance(content, str):
            raise _bad("invalidParameter.param.invalid", "content is required")
        delivered = [u for u in dict.fromkeys(receivers) if roster.is_active_user(u)]
        unknown = [u for u in dict.fromkeys(receivers) if u not in delivered]
        ding = SentDing(
            open_ding_id=secrets.token_hex(16),
            robot_code=robot_code,
            remind_type=remind_type,
            content=content,
            receivers=tuple(delivered),
            failed={FAILED_UNKNOWN_USER: unknown} if unknown else {},
            at_ms=now_ms,
        )
        with self._lock:
            self._sent[ding.open_ding_id] = ding
        shown = {"content": content, "remindType": remind_type, "callVoice": body.get("callVoice")}
        for userid in delivered:
            self.mailbox.deliver(userid, DING, shown, {"openDingId": ding.open_ding_id}, now_ms)
        return ding

    def recall(self, body: dict[str, Any], app_robot_code: str, now_ms: int) -> SentDing:
        """Withdraw a DING from its receivers."""
        if body.get("robotCode") != app_robot_code:
            raise _bad("invalid.chatbotId", "robotCode must be this app's robotCode (its AppKey)")
        open_ding_id = body.get("openDingId")
        with self._lock:
            ding = self._sent.get(open_ding_id) if isinstance(open_ding_id, str) else None
        if ding is None:
            raise _bad("invalidParameter.param.invalid", f"no DING with openDingId {open_ding_id!r}")
        self.mailbox.mark_recalled(now_ms, openDingId=ding.open_ding_id)
        return ding
