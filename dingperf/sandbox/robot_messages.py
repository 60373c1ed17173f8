"""Enterprise (app) robot messages: group send and 1:1 batch send (DINGTALK.md §6.4).

Validates msgKey and its msgParam keys (msgParam is a JSON *string* ≤ 15,000 bytes), the
robotCode and the target, then posts into the group or each user's robot chat.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from dingperf.sandbox.groups import GroupStore
from dingperf.sandbox.mailbox import GROUP_MESSAGE, ROBOT_OTO, Mailbox
from dingperf.sandbox.roster import Roster
from dingperf.sandbox.wire import NewApiError

MSG_PARAM_MAX_BYTES = 15_000
OTO_MAX_USERS = 20

# msgKey -> msgParam keys it requires.
MSG_KEYS: dict[str, tuple[str, ...]] = {
    "sampleText": ("content",),
    "sampleMarkdown": ("title", "text"),
    "sampleImageMsg": ("photoURL",),
    "sampleLink": ("text", "title", "picUrl", "messageUrl"),
    "sampleActionCard": ("title", "text", "singleTitle", "singleURL"),
    **{
        f"sampleActionCard{n}": (
            "title",
            "text",
            *[k for i in range(1, n + 1) for k in (f"actionTitle{i}", f"actionURL{i}")],
        )
        for n in range(2, 6)
    },
    "sampleActionCard6": ("title", "text", "buttonTitle1", "buttonUrl1"),
    "sampleAudio": ("mediaId", "duration"),
    "sampleFile": ("mediaId", "fileName", "fileType"),
    "sampleVideo": ("duration", "videoMediaId", "videoType"),
}


def _bad(code: str, message: str) -> NewApiError:
    return NewApiError(400, code, message)


def parse_message(body: dict[str, Any], app_robot_code: str) -> tuple[str, dict[str, Any]]:
    """Check robotCode, msgKey and msgParam; returns (msgKey, decoded msgParam)."""
    robot_code = body.get("robotCode")
    if not robot_code:
        raise _bad(
            "invalidParameter.robotCode.empty",
            "robotCode is required (an internal app's robotCode is its AppKey)",
        )
    if robot_code != app_robot_code:
        raise _bad(
            "invalidParameter.robotCode.notExist", f"robotCode {robot_code!r} is not a robot of this app"
        )
    msg_key = body.get("msgKey")
    if msg_key not in MSG_KEYS:
        raise _bad(
            "invalidParameter.msgKey.invalid", f"msgKey {msg_key!r} is not one of {', '.join(MSG_KEYS)}"
        )
    raw = body.get("msgParam")
    if not isinstance(raw, str):
        raise _bad("invalidParameter.msgParam.invalid", "msgParam must be a JSON object encoded as a string")
    if len(raw.encode()) > MSG_PARAM_MAX_BYTES:
        raise _bad("invalidParameter.msgParam.invalid", f"msgParam exceeds {MSG_PARAM_MAX_BYTES} bytes")
    try:
        param = json.loads(raw)
    except json.JSONDecodeError:
        raise _bad("invalidParameter.msgParam.invalid", "msgParam is not valid JSON") from None
    if not isinstance(param, dict):
        raise _bad("invalidParameter.msgParam.invalid", "msgParam must decode to a JSON object")
    absent = [k for k in MSG_KEYS[msg_key] if param.get(k) in (None, "")]
    if absent:
        raise _bad("invalidParameter.msgParam.invalid", f"msgParam for {msg_key} lacks {', '.join(absent)}")
    return msg_key, param


@dataclass(frozen=True)
class OtoResult:
    process_query_key: str
    invalid_staff_ids: list[str]
    flow_controlled_staff_ids: list[str]


@dataclass
class RobotMessenger:
    """Posts app-robot messages to groups and 1:1 chats; `oto_per_user_per_minute` is the
    sandbox's flow-control knob (DingTalk's real threshold is undocumented)."""

    mailbox: Mailbox
    groups: GroupStore
    oto_per_user_per_minute: int = 60
    _oto_times: dict[str, list[float]] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def send_group(self, body: dict[str, Any], app_robot_code: str, now_s: float) -> str:
        """groupMessages/send: returns the processQueryKey."""
        msg_key, param = parse_message(body, app_robot_code)
        cid = body.get("openConversationId")
        if not cid or not self.groups.exists(cid):
            raise _bad("invalid.openConversationId", f"no group with openConversationId {cid!r}")
        key = secrets.token_urlsafe(24)
        content = {"msgKey": msg_key, "msgParam": param}
        now_ms = int(now_s * 1000)
        sender = {"robotCode": body["robotCode"], "processQueryKey": key}
        self.groups.post(cid, sender, content, now_ms)
        for userid in self.groups.get(cid).member_userids:
            ref = {"openConversationId": cid, "processQueryKey": key}
            self.mailbox.deliver(userid, GROUP_MESSAGE, content, ref, now_ms)
        return key

    def send_oto(self, body: dict[str, Any], app_robot_code: str, roster: Roster, now_s: float) -> OtoResult:
        """oToMessages/batchSend: delivers to valid users, lists the invalid and flow-controlled."""
        msg_key, param = parse_message(body, app_robot_code)
        user_ids = body.get("userIds")
        if not isinstance(user_ids, list) or not user_ids or not all(isinstance(u, str) for u in user_ids):
            raise _bad("invalidParameter.userIds.empty", "userIds must be a non-empty list of userids")
        if len(user_ids) > OTO_MAX_USERS:
            raise _bad("too.many.people", f"{len(user_ids)} userIds; at most {OTO_MAX_USERS} per call")
        key = secrets.token_urlsafe(24)
        invalid, limited = [], []
        content = {"msgKey": msg_key, "msgParam": param}
        with self._lock:
            for userid in dict.fromkeys(user_ids):
                if not roster.is_active_user(userid):
                    invalid.append(userid)
                    continue
                recent = [t for t in self._oto_times.get(userid, []) if t > now_s - 60]
                if len(recent) >= self.oto_per_user_per_minute:
                    limited.append(userid)
                    self._oto_times[userid] = recent
                    continue
                self._oto_times[userid] = [*recent, now_s]
                ref = {"processQueryKey": key, "robotCode": body["robotCode"]}
                self.mailbox.deliver(userid, ROBOT_OTO, content, ref, int(now_s * 1000))
        return OtoResult(key, invalid, limited)
