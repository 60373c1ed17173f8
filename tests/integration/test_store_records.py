"""Attendance, approvals, audit, quota and checkpoints: idempotent by DingTalk ids, atomic counters."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

from dingperf.store.engine import Store
from dingperf.store.repositories import (
    add_quota_usage,
    append_audit,
    clear_checkpoint,
    get_approval_instance,
    get_quota_usage,
    list_approval_instances,
    list_attendance_records,
    list_audit,
    load_checkpoint,
    save_checkpoint,
    upsert_approval_instance,
    upsert_attendance_records,
)
from dingperf.store.tables import ApprovalInstanceBase, AttendanceRecordBase

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def record(record_id: str, day: int, result: str = "Late") -> AttendanceRecordBase:
    return AttendanceRecordBase(record_id=record_id, userid="u1", work_date=date(2026, 11, day), check_type="OnDuty",
                                time_result=result, base_check_time=T0 + timedelta(days=day))


def test_attendance_is_idempotent_by_record_id(store: Store) -> None:
    with store.session() as s:
        assert upsert_attendance_records(session=s, corp_id="c1", records=[record("r1", 2), record("r2", 3)]) == 2
    with store.session() as s:
        assert upsert_attendance_records(session=s, corp_id="c1", records=[record("r1", 2), record("r2", 3)]) == 0
        # a 补卡 approved later turns Late into Normal: same record id, new verdict
        assert upsert_attendance_records(session=s, corp_id="c1", records=[record("r1", 2, "Normal")]) == 1
    with store.session() as s:
        rows = list_attendance_records(session=s, corp_id="c1", date_from=date(2026, 11, 1),
                                       date_to=date(2026, 11, 2))
    assert [(r.record_id, r.time_result) for r in rows] == [("r1", "Normal")]


def test_approval_instance_keeps_status_result_and_form_values(store: Store) -> None:
    inst = ApprovalInstanceBase(process_instance_id="p1", process_code="PROC-KPI", title="月度KPI", status="RUNNING",
                                originator_userid="u1", create_time=T0,
                                form_values=[{"name": "转化率", "value": "31.5"}])
    with store.session() as s:
        assert upsert_approval_instance(session=s, corp_id="c1", instance=inst) is True
    done = inst.model_copy(update={"status": "COMPLETED", "result": "agree", "finish_time": T0 + timedelta(hours=3)})
    with store.session() as s:
        assert upsert_approval_instance(session=s, corp_id="c1", instance=done) is True
        assert upsert_approval_instance(session=s, corp_id="c1", instance=done) is False
    with store.session() as s:
        row = get_approval_instance(session=s, corp_id="c1", process_instance_id="p1")
        found = list_approval_instances(session=s, corp_id="c1", process_code="PROC-KPI",
                                        finished_from=T0, finished_to=T0 + timedelta(days=1))
    assert (row.status, row.result, row.form_values) == ("COMPLETED", "agree", [{"name": "转化率", "value": "31.5"}])
    assert [f.process_instance_id for f in found] == ["p1"]


def test_audit_entries_are_listed_in_order_with_snapshots(store: Store) -> None:
    with store.session() as s:
        append_audit(session=s, corp_id="c1", actor="hr1", action="cycle.transition", subject="cycle:1",
                     before={"phase": "draft"}, after={"phase": "goal_setting"}, at=T0)
        append_audit(session=s, corp_id="c1", actor="hr1", action="calibration.move", subject="cycle:1",
                     before={"grade": "B"}, after={"grade": "A"}, reason="项目贡献", at=T0 + timedelta(minutes=1))
        append_audit(session=s, corp_id="c1", actor="hr1", action="cycle.transition", subject="cycle:2", at=T0)
    with store.session() as s:
        entries = list_audit(session=s, corp_id="c1", subject="cycle:1")
    assert [(e.action, e.after, e.reason) for e in entries] == [
        ("cycle.transition", {"phase": "goal_setting"}, ""), ("calibration.move", {"grade": "A"}, "项目贡献")]


def test_quota_counter_adds_atomically_across_threads(store: Store) -> None:
    def count() -> None:
        for _ in range(25):
            with store.session() as s:
                add_quota_usage(session=s, corp_id="c1", month="2026-11")

    threads = [threading.Thread(target=count) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with store.session() as s:
        assert get_quota_usage(session=s, corp_id="c1", month="2026-11") == 100
        assert get_quota_usage(session=s, corp_id="c1", month="2026-12") == 0


def test_checkpoint_saves_replaces_and_clears(store: Store) -> None:
    with store.session() as s:
        assert load_checkpoint(session=s, corp_id="c1", name="sync.contacts") is None
        save_checkpoint(session=s, corp_id="c1", name="sync.contacts", value={"done_depts": [1]})
    with store.session() as s:
        save_checkpoint(session=s, corp_id="c1", name="sync.contacts", value={"done_depts": [1, 2]})
    with store.session() as s:
        assert load_checkpoint(session=s, corp_id="c1", name="sync.contacts") == {"done_depts": [1, 2]}
        assert clear_checkpoint(session=s, corp_id="c1", name="sync.contacts") is True
    with store.session() as s:
        assert load_checkpoint(session=s, corp_id="c1", name="sync.contacts") is None
