"""Work notifications (工作通知): send, progress, result, recall, and msg body builders (DINGTALK.md §6.1)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dingperf.dingtalk.parse import as_int, as_str, chunks, int_tuple, str_tuple
from dingperf.dingtalk.transport import Transport

MAX_USERIDS = 100
_PREFIX = "/topapi/message/corpconversation/"


@dataclass(frozen=True)
class SendProgress:
    percent: int
    status: int  # 0 not started, 1 running, 2 done

    @property
    def is_done(self) -> bool:
        return self.status == 2


@dataclass(frozen=True)
class ForbiddenItem:
    """A recipient DingTalk refused silently: 143105 daily cap, 143106 duplicate content, 143103/4 rate."""

    code: str
    count: int | None
    userid: str


@dataclass(frozen=True)
class SendResult:
    invalid_userids: tuple[str, ...]
    forbidden_userids: tuple[str, ...]
    failed_userids: tuple[str, ...]
    read_userids: tuple[str, ...]
    unread_userids: tuple[str, ...]
    invalid_dept_ids: tuple[int, ...]
    forbidden: tuple[ForbiddenItem, ...]


def text_msg(content: str) -> dict[str, Any]:
    return {"msgtype": "text", "text": {"content": content}}


def markdown_msg(title: str, text: str) -> dict[str, Any]:
    return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}


def action_card_msg(
    title: str,
    markdown: str,
    *,
    single_title: str | None = None,
    single_url: str | None = None,
    buttons: Sequence[tuple[str, str]] = (),
    vertical: bool = True,
) -> dict[str, Any]:
    """An action card: either one whole-card link (single_title/url) or buttons [(title, url)]."""
    card: dict[str, Any] = {"title": title, "markdown": markdown}
    if buttons:
        card["btn_orientation"] = "0" if vertical else "1"
        card["btn_json_list"] = [{"title": t, "action_url": u} for t, u in buttons]
    elif single_title and single_url:
        card["single_title"] = single_title
        card["single_url"] = single_url
    else:
        raise ValueError("an action card needs single_title and single_url, or at least one button")
    return {"msgtype": "action_card", "action_card": card}


def oa_msg(
    message_url: str,
    head_text: str,
    title: str,
    *,
    form: Sequence[tuple[str, str]] = (),
    content: str | None = None,
    head_bgcolor: str = "FFBBBBBB",
    pc_message_url: str | None = None,
    author: str | None = None,
) -> dict[str, Any]:
    """An OA message (form of key/value lines, ≤ 6 shown)."""
    body: dict[str, Any] = {"title": title, "form": [{"key": k, "value": v} for k, v in form]}
    if content:
        body["content"] = content
    if author:
        body["author"] = author
    oa: dict[str, Any] = {"message_url": message_url, "head": {"bgcolor": head_bgcolor, "text": head_text},
                          "body": body}
    if pc_message_url:
        oa["pc_message_url"] = pc_message_url
    return {"msgtype": "oa", "oa": oa}


class MessagesApi:
    """Work notifications sent as the app (agent_id); each call is quota-metered."""

    def __init__(self, transport: Transport, agent_id: int) -> None:
        self._t = transport
        self._agent_id = agent_id

    def send_work_notification(self, userids: Sequence[str], msg: Mapping[str, Any]) -> list[int]:
        """Send `msg` to `userids` (any number, 100 per call); the task_id of each call, in order.

        Success means accepted, not delivered: duplicate content to a user on the same day and the
        500-per-user daily cap are dropped silently — check `get_send_result`.
        """
        recipients = list(dict.fromkeys(userids))
        if not recipients:
            raise ValueError("send_work_notification needs at least one userid")
        if "msgtype" not in msg:
            raise ValueError("msg needs a msgtype; build it with text_msg/markdown_msg/action_card_msg/oa_msg")
        task_ids = []
        for batch in chunks(recipients, MAX_USERIDS):
            data = self._t.call("POST", _PREFIX + "asyncsend_v2", idempotent=False, body={
                "agent_id": self._agent_id, "userid_list": ",".join(batch), "msg": dict(msg),
            })
            task_ids.append(int(data["task_id"]))
        return task_ids

    def get_send_progress(self, task_id: int) -> SendProgress:
        data = self._t.call("POST", _PREFIX + "getsendprogress",
                            body={"agent_id": self._agent_id, "task_id": task_id})
        progress = data.get("progress") or {}
        return SendProgress(percent=as_int(progress.get("progress_in_percent"), 0),
                            status=as_int(progress.get("status"), 0))

    def get_send_result(self, task_id: int) -> SendResult:
        """Who got, read, or was refused the message (tasks less than 24 h old)."""
        data = self._t.call("POST", _PREFIX + "getsendresult",
                            body={"agent_id": self._agent_id, "task_id": task_id})
        raw = data.get("send_result") or {}
        return SendResult(
            invalid_userids=str_tuple(raw.get("invalid_user_id_list")),
            forbidden_userids=str_tuple(raw.get("forbidden_user_id_list")),
            failed_userids=str_tuple(raw.get("failed_user_id_list")),
            read_userids=str_tuple(raw.get("read_user_id_list")),
            unread_userids=str_tuple(raw.get("unread_user_id_list")),
            invalid_dept_ids=int_tuple(raw.get("invalid_dept_id_list")),
            forbidden=tuple(
                ForbiddenItem(code=as_str(f.get("code")), count=as_int(f.get("count")), userid=as_str(f.get("userid")))
                for f in raw.get("forbidden_list") or []
            ),
        )

    def recall(self, task_id: int) -> None:
        """Withdraw a sent work notification."""
        self._t.call("POST", _PREFIX + "recall", body={"agent_id": self._agent_id, "msg_task_id": task_id})
