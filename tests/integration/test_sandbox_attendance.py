"""attendance/list and attendance/listRecord of the sandbox over real HTTP (DINGTALK.md §4)."""

import datetime as dt

import requests

from dingperf.sandbox.attendance import CST, day_start_ms


def _token(sandbox) -> str:
    app = sandbox.state.app
    return requests.post(
        f"{sandbox.base_url}/v1.0/oauth2/accessToken",
        json={"appKey": app.app_key, "appSecret": app.app_secret},
    ).json()["accessToken"]


def _call(sandbox, path: str, body: dict, token: str | None = None) -> dict:
    return requests.post(
        f"{sandbox.base_url}{path}", params={"access_token": token or _token(sandbox)}, json=body
    ).json()


def _today(sandbox) -> dt.date:
    return dt.datetime.fromtimestamp(sandbox.state.clock.now(), CST).date()


def _window(sandbox, days_back: int, days: int) -> tuple[str, str]:
    first = _today(sandbox) - dt.timedelta(days=days_back)
    last = first + dt.timedelta(days=days - 1)
    return f"{first} 00:00:00", f"{last} 00:00:00"


def _userids(sandbox, n: int) -> list[str]:
    return sandbox.state.directory.active_userids()[:n]


def test_attendance_list_has_two_rows_per_scheduled_workday_in_pages(company_sandbox):
    first, last = _window(company_sandbox, 14, 7)
    userids = _userids(company_sandbox, 5)
    token, rows, offset = _token(company_sandbox), [], 0
    while True:
        body = _call(
            company_sandbox,
            "/attendance/list",
            {"workDateFrom": first, "workDateTo": last, "userIdList": userids, "offset": offset, "limit": 50},
            token,
        )
        rows.extend(body["recordresult"])
        if not body["hasMore"]:
            break
        offset += 50
    assert {r["checkType"] for r in rows} == {"OnDuty", "OffDuty"}
    assert len({r["id"] for r in rows}) == len(rows)
    for userid in userids:
        days = {r["workDate"] for r in rows if r["userId"] == userid}
        assert len([r for r in rows if r["userId"] == userid]) == 2 * len(days)
        assert all(dt.datetime.fromtimestamp(d / 1000, CST).weekday() < 5 for d in days)


def test_attendance_history_holds_late_serious_late_and_not_signed_rows(company_sandbox):
    requests.post(
        f"{company_sandbox.base_url}/_sandbox/limits", json={"qps_per_app_api": 1000}
    )  # 56 pages at once
    token, results = _token(company_sandbox), set()
    userids = _userids(company_sandbox, 50)
    for back in (28, 21, 14, 7):
        first, last = _window(company_sandbox, back, 7)
        offset = 0
        while True:
            body = _call(
                company_sandbox,
                "/attendance/list",
                {
                    "workDateFrom": first,
                    "workDateTo": last,
                    "userIdList": userids,
                    "offset": offset,
                    "limit": 50,
                },
                token,
            )
            results |= {(r["timeResult"], r["locationResult"], r["sourceType"]) for r in body["recordresult"]}
            if not body["hasMore"]:
                break
            offset += 50
    kinds = {r[0] for r in results}
    assert {"Normal", "Late", "SeriousLate", "Early", "NotSigned"} <= kinds
    assert any(r[1] == "Outside" for r in results) and any(r[2] == "APPROVE" for r in results)


def test_attendance_window_over_seven_days_is_41041(company_sandbox):
    first, last = _window(company_sandbox, 10, 8)
    body = _call(
        company_sandbox,
        "/attendance/list",
        {
            "workDateFrom": first,
            "workDateTo": last,
            "userIdList": _userids(company_sandbox, 1),
            "offset": 0,
            "limit": 10,
        },
    )
    assert body["errcode"] == 41041


def test_attendance_limit_over_50_is_refused(company_sandbox):
    first, last = _window(company_sandbox, 7, 7)
    body = _call(
        company_sandbox,
        "/attendance/list",
        {
            "workDateFrom": first,
            "workDateTo": last,
            "userIdList": _userids(company_sandbox, 1),
            "offset": 0,
            "limit": 51,
        },
    )
    assert body["errcode"] == 40035


def test_attendance_more_than_50_users_is_refused(company_sandbox):
    first, last = _window(company_sandbox, 7, 7)
    body = _call(
        company_sandbox,
        "/attendance/list",
        {
            "workDateFrom": first,
            "workDateTo": last,
            "userIdList": _userids(company_sandbox, 51),
            "offset": 0,
            "limit": 50,
        },
    )
    assert body["errcode"] == 40035


def test_attendance_bad_date_format_is_41100(company_sandbox):
    body = _call(
        company_sandbox,
        "/attendance/list",
        {
            "workDateFrom": "2026/11/01",
            "workDateTo": "2026-11-02 00:00:00",
            "userIdList": ["x"],
            "offset": 0,
            "limit": 10,
        },
    )
    assert body["errcode"] == 41100


def test_unknown_userids_are_silently_empty(company_sandbox):
    first, last = _window(company_sandbox, 7, 7)
    body = _call(
        company_sandbox,
        "/attendance/list",
        {"workDateFrom": first, "workDateTo": last, "userIdList": ["nobody"], "offset": 0, "limit": 50},
    )
    assert (body["errcode"], body["recordresult"], body["hasMore"]) == (0, [], False)


def test_a_late_punch_after_generation_is_judged_late(company_sandbox):
    state = company_sandbox.state
    userid = _userids(company_sandbox, 1)[0]
    state.clock.advance(7 * 86_400)
    day = _today(company_sandbox)
    while day.weekday() >= 5:
        state.clock.advance(86_400)
        day = _today(company_sandbox)
    state.attendance.add_punch(userid, day_start_ms(day) + (9 * 60 + 12) * 60_000)
    body = _call(
        company_sandbox,
        "/attendance/list",
        {
            "workDateFrom": f"{day} 00:00:00",
            "workDateTo": f"{day} 00:00:00",
            "userIdList": [userid],
            "offset": 0,
            "limit": 50,
        },
    )
    on_duty = next(r for r in body["recordresult"] if r["checkType"] == "OnDuty")
    assert (
        on_duty["timeResult"] == "Late" and on_duty["userCheckTime"] - on_duty["baseCheckTime"] == 12 * 60_000
    )


def test_list_record_includes_invalid_punches(company_sandbox):
    token = _token(company_sandbox)
    userids = _userids(company_sandbox, 50)
    legal = set()
    for back in (28, 21, 14, 7):
        first, last = _window(company_sandbox, back, 7)
        body = _call(
            company_sandbox,
            "/attendance/listRecord",
            {"userIds": userids, "checkDateFrom": first, "checkDateTo": last},
            token,
        )
        legal |= {r["isLegal"] for r in body["recordresult"]}
        assert all(r["corpId"] == company_sandbox.state.app.corp_id for r in body["recordresult"])
    assert legal == {"Y", "N"}


def test_attendance_counts_against_the_monthly_quota(company_sandbox):
    requests.post(f"{company_sandbox.base_url}/_sandbox/limits", json={"monthly_quota": 2})
    first, last = _window(company_sandbox, 7, 7)
    token = _token(company_sandbox)
    body = {
        "workDateFrom": first,
        "workDateTo": last,
        "userIdList": _userids(company_sandbox, 1),
        "offset": 0,
        "limit": 50,
    }
    codes = [_call(company_sandbox, "/attendance/list", body, token)["errcode"] for _ in range(3)]
    exempt = _call(
        company_sandbox, "/topapi/v2/user/get", {"userid": _userids(company_sandbox, 1)[0]}, token
    )["errcode"]
    assert codes == [0, 0, 90020] and exempt == 0
    assert requests.get(f"{company_sandbox.base_url}/_sandbox/limits").json()["quota_used"] == 2


def test_monthly_quota_resets_with_the_calendar_month(company_sandbox):
    requests.post(f"{company_sandbox.base_url}/_sandbox/limits", json={"monthly_quota": 1})
    first, last = _window(company_sandbox, 7, 7)
    token = _token(company_sandbox)
    body = {
        "workDateFrom": first,
        "workDateTo": last,
        "userIdList": _userids(company_sandbox, 1),
        "offset": 0,
        "limit": 50,
    }
    _call(company_sandbox, "/attendance/list", body, token)
    assert _call(company_sandbox, "/attendance/list", body, token)["errcode"] == 90020
    company_sandbox.state.clock.advance(32 * 86_400)
    assert _call(company_sandbox, "/attendance/list", body, _token(company_sandbox))["errcode"] == 0
