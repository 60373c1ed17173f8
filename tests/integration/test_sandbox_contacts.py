"""Address-book endpoints of the sandbox over real HTTP (DINGTALK.md §3, §12.2)."""

import requests


def _token(sandbox) -> str:
    app = sandbox.state.app
    return requests.post(
        f"{sandbox.base_url}/v1.0/oauth2/accessToken",
        json={"appKey": app.app_key, "appSecret": app.app_secret},
    ).json()["accessToken"]


def _oapi(sandbox, path: str, body: dict, token: str | None = None) -> dict:
    resp = requests.post(
        f"{sandbox.base_url}{path}", params={"access_token": token or _token(sandbox)}, json=body
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


def _largest_dept(sandbox) -> int:
    return requests.get(f"{sandbox.base_url}/_sandbox/company").json()["largest_dept_ids"][0]


def test_user_list_pages_through_a_large_department_returning_everyone_once(company_sandbox):
    dept_id = _largest_dept(company_sandbox)
    token = _token(company_sandbox)
    seen, cursor, pages = [], 0, 0
    while True:
        result = _oapi(
            company_sandbox, "/topapi/v2/user/list", {"dept_id": dept_id, "cursor": cursor, "size": 40}, token
        )["result"]
        seen.extend(u["userid"] for u in result["list"])
        pages += 1
        if not result["has_more"]:
            break
        cursor = result["next_cursor"]
    direct = _oapi(company_sandbox, "/topapi/user/listid", {"dept_id": dept_id}, token)["result"][
        "userid_list"
    ]
    assert pages >= 3 and len(direct) > 100
    assert sorted(seen) == sorted(direct) and len(seen) == len(set(seen))


def test_user_list_items_carry_no_manager_userid(company_sandbox):
    result = _oapi(
        company_sandbox,
        "/topapi/v2/user/list",
        {"dept_id": _largest_dept(company_sandbox), "cursor": 0, "size": 100},
    )["result"]
    assert result["list"] and all("manager_userid" not in u and "dept_id_list" in u for u in result["list"])


def test_user_list_page_size_over_100_is_40035(company_sandbox):
    body = _oapi(company_sandbox, "/topapi/v2/user/list", {"dept_id": 1, "cursor": 0, "size": 101})
    assert body["errcode"] == 40035


def test_user_list_orders_by_entry_date(company_sandbox):
    items = _oapi(
        company_sandbox,
        "/topapi/v2/user/list",
        {"dept_id": _largest_dept(company_sandbox), "cursor": 0, "size": 100, "order_field": "entry_asc"},
    )["result"]["list"]
    dates = [u["hired_date"] for u in items if "hired_date" in u]
    assert dates == sorted(dates)


def test_listsub_returns_one_level_only(company_sandbox):
    token = _token(company_sandbox)
    top = _oapi(company_sandbox, "/topapi/v2/department/listsub", {"dept_id": 1}, token)["result"]
    assert top and all(d["parent_id"] == 1 for d in top)
    assert "影楼运营部" in {d["name"] for d in top}
    ids = _oapi(company_sandbox, "/topapi/v2/department/listsubid", {"dept_id": 1}, token)["result"][
        "dept_id_list"
    ]
    assert ids == [d["dept_id"] for d in top]


def test_department_tree_is_at_least_three_levels_deep(company_sandbox):
    token = _token(company_sandbox)
    depth, frontier = 0, [1]
    while frontier:
        frontier = [
            c
            for d in frontier
            for c in _oapi(company_sandbox, "/topapi/v2/department/listsubid", {"dept_id": d}, token)[
                "result"
            ]["dept_id_list"]
        ]
        depth += bool(frontier)
    assert depth >= 3


def test_department_get_has_heads_and_unknown_department_is_60003(company_sandbox):
    token = _token(company_sandbox)
    dept = _oapi(
        company_sandbox, "/topapi/v2/department/get", {"dept_id": _largest_dept(company_sandbox)}, token
    )["result"]
    assert dept["dept_manager_userid_list"] and dept["parent_id"] == 1
    assert (
        _oapi(company_sandbox, "/topapi/v2/department/get", {"dept_id": 999_999}, token)["errcode"] == 60003
    )


def test_user_get_returns_the_manager(company_sandbox):
    state = company_sandbox.state
    user = next(u for u in state.directory.users.values() if u.manager_userid and not u.departed)
    result = _oapi(company_sandbox, "/topapi/v2/user/get", {"userid": user.userid})["result"]
    assert result["manager_userid"] == user.manager_userid and result["name"] == user.name


def test_user_get_omits_manager_when_there_is_none(company_sandbox):
    userid = requests.get(f"{company_sandbox.base_url}/_sandbox/company").json()["sample_no_manager_userids"][
        0
    ]
    assert "manager_userid" not in _oapi(company_sandbox, "/topapi/v2/user/get", {"userid": userid})["result"]


def test_user_get_of_a_departed_user_is_33012_or_switched_60121(company_sandbox):
    userid = requests.get(f"{company_sandbox.base_url}/_sandbox/company").json()["sample_departed_userids"][0]
    token = _token(company_sandbox)
    assert _oapi(company_sandbox, "/topapi/v2/user/get", {"userid": userid}, token)["errcode"] == 33012
    requests.post(f"{company_sandbox.base_url}/_sandbox/limits", json={"departed_user_errcode": 60121})
    assert _oapi(company_sandbox, "/topapi/v2/user/get", {"userid": userid}, token)["errcode"] == 60121


def test_user_who_leaves_disappears_from_lists_and_lookups(company_sandbox):
    directory = company_sandbox.state.directory
    dept_id = _largest_dept(company_sandbox)
    userid = directory.member_ids(dept_id)[3]
    directory.leave_user(userid)
    token = _token(company_sandbox)
    assert (
        userid
        not in _oapi(company_sandbox, "/topapi/user/listid", {"dept_id": dept_id}, token)["result"][
            "userid_list"
        ]
    )
    assert _oapi(company_sandbox, "/topapi/v2/user/get", {"userid": userid}, token)["errcode"] == 33012


def test_getbyunionid_finds_the_userid(company_sandbox):
    user = next(u for u in company_sandbox.state.directory.users.values() if not u.departed)
    assert (
        _oapi(company_sandbox, "/topapi/user/getbyunionid", {"unionid": user.unionid})["result"]["userid"]
        == user.userid
    )


def test_get_on_a_post_only_endpoint_is_43002(company_sandbox):
    resp = requests.get(
        f"{company_sandbox.base_url}/topapi/v2/user/get", params={"access_token": _token(company_sandbox)}
    )
    assert resp.json()["errcode"] == 43002


def test_address_book_calls_need_a_token(company_sandbox):
    resp = requests.post(f"{company_sandbox.base_url}/topapi/v2/user/get", json={"userid": "x"})
    assert resp.json()["errcode"] == 41001


def test_recorder_notes_errcode_zero_for_a_full_page(company_sandbox):
    dept_id = _largest_dept(company_sandbox)
    _oapi(company_sandbox, "/topapi/v2/user/list", {"dept_id": dept_id, "cursor": 0, "size": 100})
    records = requests.get(f"{company_sandbox.base_url}/_sandbox/requests", params={"path": "/topapi/v2/user/list"}).json()
    assert [(r["status"], r["errcode"]) for r in records["requests"]] == [(200, 0)]
