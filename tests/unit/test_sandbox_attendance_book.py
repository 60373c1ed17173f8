"""AttendanceBook judging real punches after the seeded history ends."""

import datetime as dt

import pytest

from dingperf.sandbox.attendance import CST, AttendanceBook, day_start_ms
from dingperf.sandbox.clock import Clock
from dingperf.sandbox.directory import Directory


@pytest.fixture
def book_and_user():
    clock = Clock()
    directory = Directory(clock)
    user = directory.add_user(name="陈静", dept_id_list=[1])
    book = AttendanceBook(clock, directory, seed=1)
    clock.advance(7 * 86_400)
    day = dt.datetime.fromtimestamp(clock.now(), CST).date()
    while day.weekday() >= 5:
        clock.advance(86_400)
        day = dt.datetime.fromtimestamp(clock.now(), CST).date()
    return clock, book, user.userid, day


def _rows(book, userid, day):
    return {r["checkType"]: r for r in book.results([userid], day, day)}


def test_punch_31_minutes_late_is_serious_late(book_and_user):
    _clock, book, userid, day = book_and_user
    book.add_punch(userid, day_start_ms(day) + (9 * 60 + 31) * 60_000)
    assert _rows(book, userid, day)["OnDuty"]["timeResult"] == "SeriousLate"


def test_leaving_before_six_is_early(book_and_user):
    clock, book, userid, day = book_and_user
    book.add_punch(userid, day_start_ms(day) + 17 * 3_600_000)
    clock.advance(86_400)
    assert _rows(book, userid, day)["OffDuty"]["timeResult"] == "Early"


def test_past_check_point_without_punch_is_not_signed(book_and_user):
    clock, book, userid, day = book_and_user
    clock.advance(86_400)
    assert {r["timeResult"] for r in _rows(book, userid, day).values()} == {"NotSigned"}


def test_list_record_after_the_history_holds_exactly_the_real_punches(book_and_user):
    clock, book, userid, day = book_and_user
    book.add_punch(userid, day_start_ms(day) + 8 * 3_600_000, location_result="Outside")
    clock.advance(86_400)
    rows = book.punches([userid], day_start_ms(day), day_start_ms(day) + 86_400_000)
    assert [(r["checkType"], r["locationResult"], r["isLegal"]) for r in rows] == [("OnDuty", "Outside", "Y")]


def test_user_added_later_without_hire_date_has_no_seeded_history():
    clock = Clock()
    directory = Directory(clock)
    book = AttendanceBook(clock, directory, seed=1)
    clock.advance(3 * 86_400)
    user = directory.add_user(name="新人", dept_id_list=[1])
    today = dt.datetime.fromtimestamp(clock.now(), CST).date()
    rows = book.results([user.userid], today - dt.timedelta(days=6), today - dt.timedelta(days=1))
    assert rows == []
