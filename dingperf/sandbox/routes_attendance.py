"""Attendance endpoints (oapi family): check results and raw punches (DINGTALK.md §4.1, §4.2)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response

from dingperf.sandbox.app import sandbox_state
from dingperf.sandbox.attendance import CST
from dingperf.sandbox.routes_contacts import int_param, params
from dingperf.sandbox.tokens import authenticated_app
from dingperf.sandbox.wire import OldApiError, old_ok

bp = Blueprint("sandbox_attendance", __name__)

MAX_USERS = 50
MAX_LIMIT = 50
MAX_SPAN_DAYS = 7


def _when(body: dict[str, Any], name: str) -> dt.datetime:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise OldApiError(40035, f"缺少参数 {name}")
    try:
        return dt.datetime.strptime(value.strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=CST)
    except ValueError:
        raise OldApiError(41100, f"时间格式不对: {name} must look like 2026-11-01 00:00:00") from None


def _userids(body: dict[str, Any], name: str) -> list[str]:
    value = body.get(name)
    if isinstance(value, str):  # form-encoded callers send a JSON-ish or comma list
        value = [v.strip(' "[]') for v in value.split(",") if v.strip(' "[]')]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise OldApiError(40035, f"缺少参数 {name}: a non-empty list of userids")
    if len(value) > MAX_USERS:
        raise OldApiError(
            40035, f"不合法的参数 {name}: at most {MAX_USERS} userids per call, got {len(value)}"
        )
    return value


def _span(first: dt.datetime, last: dt.datetime, *, by_day: bool) -> None:
    if last < first:
        raise OldApiError(40035, "不合法的参数: the end of the range is before its start")
    days = (last.date() - first.date()).days + 1 if by_day else (last - first).total_seconds() / 86_400
    if days > MAX_SPAN_DAYS:
        raise OldApiError(41041, f"时间跨度太大: at most {MAX_SPAN_DAYS} days per call")


@bp.post("/attendance/list")
def attendance_list() -> Response:
    authenticated_app()
    body = params()
    first, last = _when(body, "workDateFrom"), _when(body, "workDateTo")
    _span(first, last, by_day=True)
    userids = _userids(body, "userIdList")
    offset = int_param(body, "offset", low=0)
    limit = int_param(body, "limit", low=1, high=MAX_LIMIT)
    rows = sandbox_state().attendance.results(userids, first.date(), last.date())
    return old_ok(recordresult=rows[offset : offset + limit], hasMore=offset + limit < len(rows))


@bp.post("/attendance/listRecord")
def attendance_list_record() -> Response:
    authenticated_app()
    state = sandbox_state()
    body = params()
    first, last = _when(body, "checkDateFrom"), _when(body, "checkDateTo")
    _span(first, last, by_day=False)
    userids = _userids(body, "userIds")
    rows = state.attendance.punches(userids, int(first.timestamp() * 1000), int(last.timestamp() * 1000))
    for row in rows:
        row["corpId"] = state.app.corp_id
    return old_ok(recordresult=rows)
