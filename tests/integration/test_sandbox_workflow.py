"""Approval endpoints of the sandbox over real HTTP (DINGTALK.md §5)."""

import requests

DAY_MS = 86_400_000


def _headers(sandbox) -> dict:
    app = sandbox.state.app
    token = requests.post(
        f"{sandbox.base_url}/v1.0/oauth2/accessToken",
        json={"appKey": app.app_key, "appSecret": app.app_secret},
    ).json()["accessToken"]
    return {"x-acs-dingtalk-access-token": token}


def _sales_code(sandbox) -> str:
    return next(
        c
        for c in requests.get(f"{sandbox.base_url}/_sandbox/company").json()["process_codes"]
        if c.startswith("PROC-KPI-SALES")
    )


def _query(sandbox, headers, **body) -> requests.Response:
    return requests.post(
        f"{sandbox.base_url}/v1.0/workflow/processes/instanceIds/query", headers=headers, json=body
    )


def test_instance_ids_page_with_string_next_token_and_return_each_once(company_sandbox):
    headers, code = _headers(company_sandbox), _sales_code(company_sandbox)
    start = company_sandbox.state.clock.now_ms() - 100 * DAY_MS
    ids, token, pages = [], 0, 0
    while True:
        result = _query(
            company_sandbox, headers, processCode=code, startTime=start, nextToken=token, maxResults=20
        ).json()["result"]
        ids.extend(result["list"])
        pages += 1
        if not result.get("nextToken"):
            break
        assert isinstance(result["nextToken"], str)
        token = result["nextToken"]
    expected = [i for i in company_sandbox.state.workflow.instances.values() if i.process_code == code]
    assert pages >= 2 and sorted(ids) == sorted(i.process_instance_id for i in expected)


def test_max_results_over_20_is_invalid_max_results(company_sandbox):
    resp = _query(
        company_sandbox,
        _headers(company_sandbox),
        processCode=_sales_code(company_sandbox),
        startTime=company_sandbox.state.clock.now_ms() - DAY_MS,
        nextToken=0,
        maxResults=21,
    )
    assert (resp.status_code, resp.json()["code"]) == (400, "invalidMaxResults")


def test_window_over_120_days_is_invalid_end_time(company_sandbox):
    now = company_sandbox.state.clock.now_ms()
    resp = _query(
        company_sandbox,
        _headers(company_sandbox),
        processCode=_sales_code(company_sandbox),
        startTime=now - 121 * DAY_MS,
        endTime=now,
        nextToken=0,
        maxResults=20,
    )
    assert (resp.status_code, resp.json()["code"]) == (400, "invalidEndTime")


def test_unknown_process_code_is_invalid_process_code(company_sandbox):
    resp = _query(
        company_sandbox,
        _headers(company_sandbox),
        processCode="PROC-NOPE",
        startTime=company_sandbox.state.clock.now_ms() - DAY_MS,
        nextToken=0,
        maxResults=20,
    )
    assert resp.json()["code"] == "invalidProcessCode"


def test_status_filter_returns_only_matching_instances(company_sandbox):
    headers, code = _headers(company_sandbox), _sales_code(company_sandbox)
    start = company_sandbox.state.clock.now_ms() - 100 * DAY_MS
    ids = _query(
        company_sandbox,
        headers,
        processCode=code,
        startTime=start,
        nextToken=0,
        maxResults=20,
        statuses=["TERMINATED"],
    ).json()["result"]["list"]
    assert ids and all(company_sandbox.state.workflow.instances[i].status == "TERMINATED" for i in ids)


def test_instance_detail_holds_kpi_form_fields(company_sandbox):
    headers = _headers(company_sandbox)
    instance = next(
        i
        for i in company_sandbox.state.workflow.instances.values()
        if i.process_code.startswith("PROC-KPI-SALES") and i.status == "COMPLETED"
    )
    resp = requests.get(
        f"{company_sandbox.base_url}/v1.0/workflow/processInstances",
        headers=headers,
        params={"processInstanceId": instance.process_instance_id},
    )
    result = resp.json()["result"]
    fields = {f["name"]: f["value"] for f in result["formComponentValues"]}
    assert (
        resp.json()["success"] is True
        and result["status"] == "COMPLETED"
        and result["result"] in ("agree", "refuse")
    )
    assert {"项目名称", "成交金额", "客户满意度"} <= set(fields) and float(fields["成交金额"]) > 0
    assert (
        result["createTime"].endswith("Z")
        and result["operationRecords"][0]["type"] == "START_PROCESS_INSTANCE"
    )


def test_unknown_instance_is_process_instance_not_exist(company_sandbox):
    resp = requests.get(
        f"{company_sandbox.base_url}/v1.0/workflow/processInstances",
        headers=_headers(company_sandbox),
        params={"processInstanceId": "nope"},
    )
    assert (resp.status_code, resp.json()["code"]) == (400, "processInstanceNotExist")


def test_instances_cover_running_completed_and_terminated(company_sandbox):
    outcomes = {(i.status, i.result) for i in company_sandbox.state.workflow.instances.values()}
    assert {("RUNNING", ""), ("COMPLETED", "agree"), ("COMPLETED", "refuse"), ("TERMINATED", "")} <= outcomes


def test_non_json_body_on_the_new_family_is_400(company_sandbox):
    resp = requests.post(
        f"{company_sandbox.base_url}/v1.0/workflow/processes/instanceIds/query",
        headers=_headers(company_sandbox),
        data="processCode=x",
    )
    assert resp.status_code == 400


def test_legacy_listids_and_get_return_the_same_instances(company_sandbox):
    app = company_sandbox.state.app
    token = requests.get(
        f"{company_sandbox.base_url}/gettoken", params={"appkey": app.app_key, "appsecret": app.app_secret}
    ).json()["access_token"]
    code, now = _sales_code(company_sandbox), company_sandbox.state.clock.now_ms()
    url = f"{company_sandbox.base_url}/topapi/processinstance"
    result = requests.post(
        f"{url}/listids",
        params={"access_token": token},
        json={"process_code": code, "start_time": now - 100 * DAY_MS, "size": 20, "cursor": 0},
    ).json()["result"]
    assert len(result["list"]) == 20 and result["next_cursor"] == 20
    detail = requests.post(
        f"{url}/get", params={"access_token": token}, json={"process_instance_id": result["list"][0]}
    ).json()
    assert (
        detail["errcode"] == 0
        and detail["process_instance"]["form_component_values"][0]["name"] == "项目名称"
    )
