"""The app's robot: DING reminders, group messages, 1:1 batch messages (DINGTALK.md §6.2, §6.4)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dingperf.dingtalk.parse import as_str, chunks, str_tuple
from dingperf.dingtalk.transport import Transport

MAX_DING_RECEIVERS = 200
MAX_OTO_USERIDS = 20


@dataclass(frozen=True)
class DingSent:
    """A DING: its id (for recall) and the receivers it failed for, grouped by DingTalk's reason."""

    open_ding_id: str
    failed: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class OtoSent:
    """A 1:1 batch send: one processQueryKey per call, and who could not be reached."""

    process_query_keys: tuple[str, ...]
    invalid_userids: tuple[str, ...]
    flow_controlled_userids: tuple[str, ...]


def _msg_param(msg_param: Mapping[str, Any] | str) -> str:
    # msgParam is a JSON *string* on the wire.
    return msg_param if isinstance(msg_param, str) else json.dumps(dict(msg_param), ensure_ascii=False)


class RobotApi:
    """Robot sends as the app's robot (`robot_code` = AppKey for internal apps)."""

    def __init__(self, transport: Transport, robot_code: str) -> None:
        self._t = transport
        self._robot_code = robot_code

    def ding(self, userids: Sequence[str], content: str, *, remind_type: int = 1) -> DingSent:
        """DING `userids` (1 in-app, 2 SMS, 3 phone); needs a paid edition (专业版/专属版)."""
        receivers = list(dict.fromkeys(userids))
        limit = MAX_DING_RECEIVERS if remind_type == 1 else 20
        if not receivers or len(receivers) > limit:
            raise ValueError(f"a DING needs 1..{limit} receivers for remind_type {remind_type}, got {len(receivers)}")
        data = self._t.call("POST", "/v1.0/robot/ding/send", idempotent=False, body={
            "robotCode": self._robot_code, "remindType": remind_type, "receiverUserIdList": receivers,
            "content": content,
        })
        failed = {str(reason): str_tuple(ids) for reason, ids in (data.get("failedList") or {}).items()}
        return DingSent(open_ding_id=as_str(data.get("openDingId")), failed=failed)

    def recall_ding(self, open_ding_id: str) -> None:
        self._t.call("POST", "/v1.0/robot/ding/recall",
                     body={"robotCode": self._robot_code, "openDingId": open_ding_id})

    def send_group_message(self, open_conversation_id: str, msg_key: str, msg_param: Mapping[str, Any] | str) -> str:
        """Post into a group the robot is in (msg_key e.g. sampleMarkdown); returns processQueryKey."""
        data = self._t.call("POST", "/v1.0/robot/groupMessages/send", idempotent=False, body={
            "robotCode": self._robot_code, "openConversationId": open_conversation_id,
            "msgKey": msg_key, "msgParam": _msg_param(msg_param),
        })
        return as_str(data.get("processQueryKey"))

    def batch_send_oto(self, userids: Sequence[str], msg_key: str, msg_param: Mapping[str, Any] | str) -> OtoSent:
        """Send one robot 1:1 message to each of `userids` (20 per call)."""
        keys: list[str] = []
        invalid: list[str] = []
        flow_controlled: list[str] = []
        param = _msg_param(msg_param)
        for batch in chunks(list(dict.fromkeys(userids)), MAX_OTO_USERIDS):
            data = self._t.call("POST", "/v1.0/robot/oToMessages/batchSend", idempotent=False, body={
                "robotCode": self._robot_code, "userIds": batch, "msgKey": msg_key, "msgParam": param,
            })
            keys.append(as_str(data.get("processQueryKey")))
            invalid.extend(str_tuple(data.get("invalidStaffIdList")))
            flow_controlled.extend(str_tuple(data.get("flowControlledStaffIdList")))
        return OtoSent(tuple(keys), tuple(invalid), tuple(flow_controlled))
