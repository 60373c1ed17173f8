"""Workflow mutators: what bpms events do to the sandbox's approval instances."""

import pytest

from dingperf.sandbox.clock import Clock
from dingperf.sandbox.workflow import FormField, Process, UnknownInstance, Workflow


@pytest.fixture
def workflow() -> Workflow:
    flow = Workflow(Clock())
    flow.add_process(Process("PROC-KPI-T", "销售业绩报备", (FormField("成交金额", "MoneyField"),)))
    return flow


def _start(workflow: Workflow):
    return workflow.start_instance(
        process_code="PROC-KPI-T",
        originator_userid="u1",
        originator_dept_id=2,
        originator_dept_name="销售中心",
        values={"成交金额": "1200.00"},
        approver_userids=["m1", "m2"],
    )


def test_started_instance_is_running_with_its_form_values(workflow):
    instance = _start(workflow)
    assert instance.status == "RUNNING" and instance.form[0]["value"] == "1200.00"
    assert [t.status for t in instance.tasks] == ["RUNNING", "NEW"]


def test_refused_instance_is_completed_refuse_and_later_tasks_cancelled(workflow):
    instance = workflow.finish_instance(_start(workflow).process_instance_id, "refuse")
    assert (instance.status, instance.result) == ("COMPLETED", "refuse")
    assert [(t.status, t.result) for t in instance.tasks] == [("COMPLETED", "REFUSE"), ("CANCELED", "NONE")]


def test_terminated_instance_cannot_be_finished(workflow):
    instance = workflow.terminate_instance(_start(workflow).process_instance_id)
    with pytest.raises(ValueError, match="TERMINATED"):
        workflow.finish_instance(instance.process_instance_id, "agree")


def test_unknown_form_field_is_refused(workflow):
    with pytest.raises(ValueError, match="客户"):
        workflow.start_instance(
            process_code="PROC-KPI-T",
            originator_userid="u1",
            originator_dept_id=2,
            originator_dept_name="x",
            values={"客户": "y"},
            approver_userids=["m1"],
        )


def test_unknown_instance_raises(workflow):
    with pytest.raises(UnknownInstance):
        workflow.instance("nope")


def test_query_ids_filters_by_window(workflow):
    first = _start(workflow)
    assert workflow.query_ids("PROC-KPI-T", first.create_ms, first.create_ms) == [first.process_instance_id]
    assert workflow.query_ids("PROC-KPI-T", first.create_ms + 1, first.create_ms + 10) == []


def test_finishing_keeps_the_outcome_of_tasks_already_closed(workflow):
    instance = _start(workflow)
    first = instance.tasks[0]
    first.status, first.result = "COMPLETED", "AGREE"
    instance.tasks[1].status = "RUNNING"
    workflow.finish_instance(instance.process_instance_id, "refuse")
    assert [(t.status, t.result) for t in instance.tasks] == [("COMPLETED", "AGREE"), ("COMPLETED", "REFUSE")]
