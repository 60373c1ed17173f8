"""Work-notification endpoints: asyncsend_v2, getsendprogress, getsendresult, recall (DINGTALK.md §6.1)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from dingperf.sandbox.app import sandbox_state
from dingperf.sandbox.notifications import RESULT_MAX_AGE_S, SendTask, UnknownTask
from dingperf.sandbox.roster import roster_of
from dingperf.sandbox.tokens import authenticated_app
from dingperf.sandbox.wire import OldApiError, json_body, old_ok
from dingperf.sandbox.work_messages import invalid, missing, validate_msg

bp = Blueprint("sandbox_work_messages", __name__)

_BASE = "/topapi/message/corpconversation"
USERID_LIST_MAX = 100
DEPT_ID_LIST_MAX = 20


def _agent_id(body: dict[str, Any], app_agent_id: int) -> int:
    raw = body.get("agent_id")
    if raw in (None, ""):
        raise missing("agent_id")
    try:
        agent_id = int(raw)
    except (TypeError, ValueError):
        raise invalid(f"agent_id must be a number, got {raw!r}") from None
    if agent_id != app_agent_id:
        raise OldApiError(40056, f"不合法的agentid: {agent_id} is not this app's AgentId")
    return agent_id


def _task_id(body: dict[str, Any], name: str) -> int:
    raw = body.get(name)
    if raw in (None, ""):
        raise missing(name)
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise invalid(f"{name} must be a number, got {raw!r}") from None


def _comma_list(body: dict[str, Any], name: str, limit: int) -> list[str]:
    raw = body.get(name)
    if raw in (None, ""):
        return []
    if not isinstance(raw, str):
        raise invalid(f'{name} must be a comma-separated string such as "a,b", not {type(raw).__name__}')
    items = [part.strip() for part in raw.split(",") if part.strip()]
    if len(items) > limit:
        raise invalid(f"{name} has {len(items)} entries; at most {limit} per call")
    return items


def _dept_ids(body: dict[str, Any]) -> list[int]:
    out = []
    for item in _comma_list(body, "dept_id_list", DEPT_ID_LIST_MAX):
        if not item.lstrip("-").isdigit():
            raise invalid(f"dept_id_list entry {item!r} is not a department id")
        out.append(int(item))
    return out


@bp.post(f"{_BASE}/asyncsend_v2")
def asyncsend_v2() -> Response:
    app = authenticated_app()
    state = sandbox_state()
    body = json_body()
    agent_id = _agent_id(body, app.agent_id)
    userids = _comma_list(body, "userid_list", USERID_LIST_MAX)
    dept_ids = _dept_ids(body)
    to_all = body.get("to_all_user", False)
    if not isinstance(to_all, bool):
        raise invalid("to_all_user must be true or false")
    if not to_all and not userids and not dept_ids:
        raise missing("userid_list (or dept_id_list, or to_all_user=true)")
    msg = body.get("msg")
    validate_msg(msg)
    task = state.outbound.notifier.send(
        agent_id=agent_id,
        userids=userids,
        dept_ids=dept_ids,
        to_all_user=to_all,
        msg=msg,
        roster=roster_of(state),
        now_s=state.clock.now(),
    )
    return old_ok(task_id=task.task_id)


@bp.post(f"{_BASE}/getsendprogress")
def getsendprogress() -> Response:
    app = authenticated_app()
    state = sandbox_state()
    body = json_body()
    _find(state, _agent_id(body, app.agent_id), _task_id(body, "task_id"), None)
    # The sandbox fans out synchronously, so a task it knows is always finished.
    return old_ok(progress={"progress_in_percent": 100, "status": 2})


@bp.post(f"{_BASE}/getsendresult")
def getsendresult() -> Response:
    app = authenticated_app()
    state = sandbox_state()
    body = json_body()
    task = _find(state, _agent_id(body, app.agent_id), _task_id(body, "task_id"), RESULT_MAX_AGE_S)
    return old_ok(send_result=task.result_json(state.outbound.notifier.read_userids(task.task_id)))


@bp.post(f"{_BASE}/recall")
def recall() -> Response:
    app = authenticated_app()
    state = sandbox_state()
    body = json_body()
    agent_id = _agent_id(body, app.agent_id)
    task_id = _task_id(body, "msg_task_id")
    try:
        state.outbound.notifier.recall(agent_id, task_id, state.clock.now())
    except UnknownTask as exc:
        raise invalid(str(exc)) from None
    return old_ok()


def _find(state: Any, agent_id: int, task_id: int, max_age_s: float | None) -> SendTask:
    try:
        return state.outbound.notifier.task(agent_id, task_id, state.clock.now(), max_age_s)
    except UnknownTask as exc:
        raise invalid(str(exc)) from None
