"""The sandbox's event payload builders produce the documented shapes kept in tests/fixtures/dingtalk/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dingperf.sandbox import event_payloads as ep

FIXTURES = Path(__file__).parents[1] / "fixtures" / "dingtalk"


def _fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def _instance(change: str, result: str | None = None) -> dict:
    return ep.bpms_instance(
        process_instance_id="p1", process_code="PROC", change=change, staff_id="u1", title="t",
        create_ms=1, result=result, finish_ms=2,
    )


def _task(change: str, result: str | None = None, remark: str = "") -> dict:
    return ep.bpms_task(
        process_instance_id="p1", process_code="PROC", change=change, staff_id="u1", task_id="9", title="t",
        create_ms=1, result=result, remark=remark, finish_ms=2,
    )


BUILT = {
    "user_add_org__single": ep.user_change(["u1"], 1),
    "user_leave_org__single": ep.user_change(["u1"], 1),
    "user_modify_org__manager_changed": ep.user_modify("u1", 1, {"managerUserid": "a"}, {"managerUserid": "b"}),
    "org_dept_create__single": ep.dept_change([2]),
    "org_dept_remove__single": ep.dept_change([2]),
    "attendance_check_record__punch": ep.attendance_check("corp", [ep.Punch("u1", 1, "b1")]),
    "bpms_instance_change__start": _instance("start"),
    "bpms_instance_change__finish_agree": _instance("finish", "agree"),
    "bpms_instance_change__terminate": _instance("terminate"),
    "bpms_task_change__start": _task("start"),
    "bpms_task_change__finish_agree": _task("finish", "agree", "同意"),
    "bpms_task_change__cancel": _task("cancel"),
}


def _shape(value: object) -> object:
    """Keys and value types, recursively: what must match between a builder and its fixture."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__


@pytest.mark.parametrize("name", sorted(BUILT))
def test_builder_matches_the_documented_fixture_shape(name: str):
    assert _shape(BUILT[name]) == _shape(_fixture(name))


def _event(event_type: str, data: dict) -> ep.SandboxEvent:
    return ep.SandboxEvent(event_type, "e1", "corp1", 1700000000000, data)


def test_current_http_form_flattens_business_keys_next_to_metadata():
    form = ep.http_current(_event("user_add_org", {"timeStamp": "5", "userId": ["u1"]}))
    assert form == {
        "EventType": "user_add_org", "EventTime": 1700000000000, "CorpId": "corp1", "BizId": "u1", "eventId": "e1",
        "timeStamp": "5", "userId": ["u1"],
    }


def test_legacy_http_form_uses_pascal_case_keys():
    form = ep.http_legacy(_event("org_dept_create", {"deptId": [7]}))
    assert form == {"EventType": "org_dept_create", "TimeStamp": "1700000000000", "DeptId": [7], "CorpId": "corp1"}


def test_legacy_approval_form_keeps_camel_case_with_corp_id():
    form = ep.http_legacy(_event("bpms_instance_change", {"processInstanceId": "p1", "type": "start"}))
    assert form == {"EventType": "bpms_instance_change", "corpId": "corp1", "processInstanceId": "p1", "type": "start"}


def test_failed_item_nests_approval_data_under_bpms_callback_data():
    item = ep.failed_item(_event("bpms_task_change", {"processInstanceId": "p1"}))
    assert item == {
        "call_back_tag": "bpms_task_change",
        "event_time": 1700000000000,
        "bpms_task_change": {"bpmsCallBackData": {"processInstanceId": "p1"}, "corpid": "corp1"},
    }


def test_failed_item_lists_userids_inline_for_address_book_events():
    item = ep.failed_item(_event("user_leave_org", {"timeStamp": "1", "userId": ["u1", "u2"]}))
    assert item["user_leave_org"] == {"userid": ["u1", "u2"], "corpid": "corp1"}


def test_event_ids_are_unique():
    ids = {ep.SandboxEvent.new("user_add_org", "c", 1, {}).event_id for _ in range(1000)}
    assert len(ids) == 1000
