"""Work-notification outcomes per recipient: dedup per China day, daily cap, invalid users (§6.1)."""

import datetime as dt

import pytest

from dingperf.sandbox.clock import Clock
from dingperf.sandbox.directory import Directory
from dingperf.sandbox.mailbox import Mailbox
from dingperf.sandbox.notifications import UnknownTask, WorkNotifier, china_day
from dingperf.sandbox.roster import Roster

CST = dt.timezone(dt.timedelta(hours=8))
# 2026-11-23 23:59:00 in Shanghai
LATE_EVENING = dt.datetime(2026, 11, 23, 23, 59, tzinfo=CST).timestamp()


@pytest.fixture
def org():
    directory = Directory(Clock())
    zhang = directory.add_user(name="张伟", dept_id_list=[1]).userid
    return directory, zhang


def _send(notifier, directory, userids, content, now):
    msg = {"msgtype": "text", "text": {"content": content}}
    return notifier.send(
        agent_id=1,
        userids=userids,
        dept_ids=[],
        to_all_user=False,
        msg=msg,
        roster=Roster(directory),
        now_s=now,
    )


def test_china_day_turns_over_at_shanghai_midnight_not_utc():
    assert china_day(LATE_EVENING) + 1 == china_day(LATE_EVENING + 120)


def test_duplicate_is_allowed_again_after_shanghai_midnight(org):
    directory, zhang = org
    notifier = WorkNotifier(Mailbox())
    _send(notifier, directory, [zhang], "提醒", LATE_EVENING)
    assert _send(notifier, directory, [zhang], "提醒", LATE_EVENING + 30).forbidden[0]["code"] == "143106"
    assert _send(notifier, directory, [zhang], "提醒", LATE_EVENING + 120).delivered == [zhang]


def test_daily_cap_counts_only_delivered_messages(org):
    directory, zhang = org
    notifier = WorkNotifier(Mailbox(), daily_cap_per_user=2)
    _send(notifier, directory, [zhang], "a", LATE_EVENING - 3600)
    _send(notifier, directory, [zhang], "a", LATE_EVENING - 3600)  # duplicate: not delivered, not counted
    _send(notifier, directory, [zhang], "b", LATE_EVENING - 3600)
    task = _send(notifier, directory, [zhang], "c", LATE_EVENING - 3600)
    assert task.forbidden == [{"code": "143105", "count": 2, "userid": zhang}]


def test_same_recipient_listed_twice_gets_one_message(org):
    directory, zhang = org
    mailbox = Mailbox()
    task = _send(WorkNotifier(mailbox), directory, [zhang, zhang], "x", LATE_EVENING)
    assert task.delivered == [zhang] and len(mailbox.for_user(zhang)) == 1


def test_task_of_another_agent_is_unknown(org):
    directory, zhang = org
    notifier = WorkNotifier(Mailbox())
    task = _send(notifier, directory, [zhang], "x", LATE_EVENING)
    with pytest.raises(UnknownTask):
        notifier.task(2, task.task_id, LATE_EVENING)


def test_recall_flags_every_recipients_copy(org):
    directory, zhang = org
    li = directory.add_user(name="李娜", dept_id_list=[1]).userid
    mailbox = Mailbox()
    notifier = WorkNotifier(mailbox)
    task = _send(notifier, directory, [zhang, li], "x", LATE_EVENING)
    notifier.recall(1, task.task_id, LATE_EVENING + 5)
    assert all(d.recalled_at_ms == int((LATE_EVENING + 5) * 1000) for d in mailbox.all())


def test_recipients_beyond_the_per_minute_cap_are_dropped_with_a_qpm_code():
    directory = Directory(Clock())
    people = [directory.add_user(name=f"员工{i}", dept_id_list=[1]).userid for i in range(5)]
    notifier = WorkNotifier(Mailbox(), recipients_per_minute=3)
    first = _send(notifier, directory, people[:2], "a", LATE_EVENING - 3600)
    second = _send(notifier, directory, people[2:], "a", LATE_EVENING - 3590)
    assert first.delivered == people[:2]
    assert second.delivered == [people[2]]
    assert [(f["code"], f["userid"]) for f in second.forbidden] == [("143104", people[3]), ("143104", people[4])]
    # a minute after the first call, its recipients no longer count
    later = _send(notifier, directory, people[3:], "b", LATE_EVENING - 3600 + 60)
    assert later.delivered == people[3:]
