"""What sets a participant refresh off: an address-book change marks the corp due, and the scheduler's job
refreshes unlocked cycles."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlmodel import select

from dingperf.perf.library import load_template
from dingperf.scheduler import SchedulerRole
from dingperf.services.cycles import create_cycle
from dingperf.services.participant_groups import save_group
from dingperf.services.participant_refresh import DUE_CHECKPOINT
from dingperf.services.templates import publish_template
from dingperf.settings import sandbox_settings
from dingperf.store.engine import Store
from dingperf.store.repositories import upsert_employees
from dingperf.store.repositories.checkpoint import load_checkpoint
from dingperf.store.tables import EmployeeBase
from dingperf.store.tables.perf_participants import PerfParticipant
from tests.integration.collect_kit import NOW
from tests.integration.sync_kit import Intake


@pytest.fixture
def intake(sandbox, store) -> Iterator[Intake]:
    running = Intake(sandbox, store)
    yield running
    running.stop()


def _due(store: Store, corp_id: str) -> dict | None:
    with store.session() as s:
        return load_checkpoint(session=s, corp_id=corp_id, name=DUE_CHECKPOINT)


def test_a_new_hire_event_marks_the_participant_groups_due(intake) -> None:
    corp = intake.sandbox.state.app.corp_id
    intake.trigger(type="user_add_org", user={"name": "李娜", "dept_id_list": [1], "userid": "lina"})
    assert intake.work() == 1
    assert (_due(intake.store, corp) or {}).get("marked_at")


def test_the_scheduler_job_refreshes_unlocked_cycles(store: Store) -> None:
    corp = "dingcorp-sched"
    with store.session() as s:
        upsert_employees(session=s, corp_id=corp, now=NOW, employees=[EmployeeBase(userid="ann", name="Ann")])
    publish_template(store, corp, load_template("sales-rep"), actor="hr", now=NOW)
    create_cycle(store, corp, cycle_id="c1", name="c1", kind="monthly", period_start=date(2026, 11, 1),
                 period_end=date(2026, 11, 30), template_id="sales-rep", actor="hr", now=NOW)
    save_group(store, corp, "c1", {"kind": "dynamic", "group_id": "all", "name": "Everyone",
                                   "rule": {"type": "active"}}, actor="hr", now=NOW)
    settings = sandbox_settings(base_url="http://127.0.0.1:9", corp_id=corp, app_key="k", app_secret="s",
                                agent_id=1, robot_code="r", callback_token="token123", callback_aes_key="a" * 43,
                                database_url=store.engine.url.render_as_string(hide_password=False))
    SchedulerRole(settings, store, client=object()).refresh_participants()
    with store.session() as s:
        rows = s.exec(select(PerfParticipant).where(PerfParticipant.corp_id == corp)).all()
        assert [(p.userid, p.source) for p in rows] == [("ann", "group:all")]
