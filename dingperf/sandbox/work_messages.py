"""Work-notification (工作通知) message bodies: which msgtypes exist and what each must carry
(DINGTALK.md §6.1). Validation raises the oapi dialect's errors so routes can let them through.
"""

from __future__ import annotations

import json
from typing import Any

from dingperf.sandbox.wire import OldApiError

MSG_MAX_BYTES = 2048
BUTTON_TITLE_MAX_CHARS = 20

# msgtype -> fields its object must carry (non-empty).
_REQUIRED: dict[str, tuple[str, ...]] = {
    "text": ("content",),
    "image": ("media_id",),
    "voice": ("media_id", "duration"),
    "file": ("media_id",),
    "link": ("messageUrl", "picUrl", "title", "text"),
    "oa": ("message_url", "head", "body"),
    "markdown": ("title", "text"),
    "action_card": ("title", "markdown"),
}


def missing(field: str) -> OldApiError:
    return OldApiError(40035, f"不合法的参数: 缺少参数 {field}")


def invalid(reason: str) -> OldApiError:
    return OldApiError(400002, f"参数错误: {reason}")


def msg_size(msg: dict[str, Any]) -> int:
    """Bytes of the msg object as DingTalk counts them (compact UTF-8 JSON)."""
    return len(json.dumps(msg, ensure_ascii=False, separators=(",", ":")).encode())


def validate_msg(msg: Any) -> str:
    """Check a work-notification `msg` object; returns its msgtype or raises OldApiError."""
    if msg is None:
        raise missing("msg")
    if not isinstance(msg, dict):
        raise invalid("msg must be a JSON object with a msgtype")
    msgtype = msg.get("msgtype")
    if not msgtype:
        raise missing("msg.msgtype")
    if msgtype not in _REQUIRED:
        raise invalid(f"msgtype {msgtype!r} is not one of {', '.join(_REQUIRED)}")
    size = msg_size(msg)
    if size > MSG_MAX_BYTES:
        raise invalid(f"msg is {size} bytes; the limit is {MSG_MAX_BYTES} bytes")
    body = msg.get(msgtype)
    if not isinstance(body, dict):
        raise missing(f"msg.{msgtype}")
    for name in _REQUIRED[msgtype]:
        if body.get(name) in (None, "", {}):
            raise missing(f"msg.{msgtype}.{name}")
    if msgtype == "oa":
        _validate_oa(body)
    if msgtype == "action_card":
        _validate_action_card(body)
    return msgtype


def _validate_oa(body: dict[str, Any]) -> None:
    head = body["head"]
    if not isinstance(head, dict) or not head.get("bgcolor"):
        raise missing("msg.oa.head.bgcolor")
    if not isinstance(body["body"], dict):
        raise invalid("msg.oa.body must be an object")


def _validate_action_card(body: dict[str, Any]) -> None:
    single = body.get("single_title") or body.get("single_url")
    buttons = body.get("btn_json_list")
    if single and buttons:
        raise invalid("action_card takes either single_title/single_url or btn_json_list, not both")
    if single:
        if not body.get("single_title") or not body.get("single_url"):
            raise missing("msg.action_card.single_title/single_url")
        return
    if not isinstance(buttons, list) or not buttons:
        raise missing("msg.action_card.single_title or msg.action_card.btn_json_list")
    for i, btn in enumerate(buttons):
        if not isinstance(btn, dict) or not btn.get("title") or not btn.get("action_url"):
            raise missing(f"msg.action_card.btn_json_list[{i}].title/action_url")
        if len(str(btn["title"])) > BUTTON_TITLE_MAX_CHARS:
            raise invalid(f"button title {btn['title']!r} is longer than {BUTTON_TITLE_MAX_CHARS} characters")
    if str(body.get("btn_orientation", "0")) not in ("0", "1"):
        raise invalid('btn_orientation must be "0" or "1"')
