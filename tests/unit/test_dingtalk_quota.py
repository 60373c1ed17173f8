"""The monthly quota counter: which calls count, month roll-over, persistence."""

from datetime import datetime

import pytest

from dingperf.dingtalk.quota import CHINA_TZ, QuotaCounter, is_metered


@pytest.mark.parametrize("path", [
    "/v1.0/oauth2/accessToken", "/gettoken", "/topapi/v2/user/getuserinfo", "/v1.0/oauth2/jsapiTickets",
    "/get_jsapi_ticket", "/topapi/v2/department/listsubid", "/topapi/v2/user/list", "/topapi/user/listid",
    "/topapi/v2/user/get", "/topapi/user/getbyunionid",
])
def test_exempt_apis_are_not_metered(path):
    assert not is_metered(path)


@pytest.mark.parametrize("path", [
    "/attendance/list", "/v1.0/workflow/processInstances", "/topapi/message/corpconversation/asyncsend_v2",
    "/v1.0/card/instances", "/v1.0/robot/ding/send",
])
def test_business_apis_are_metered(path):
    assert is_metered(path)


class DictStore:
    def __init__(self):
        self.data = {}

    def load(self, month):
        return self.data.get(month, 0)

    def save(self, month, used):
        self.data[month] = used


def at(y, m, d, h=12):
    return datetime(y, m, d, h, tzinfo=CHINA_TZ).timestamp()


def test_count_restarts_in_a_new_china_month():
    now = [at(2026, 11, 30, 23)]
    counter = QuotaCounter(5000, clock=lambda: now[0])
    counter.record("/attendance/list")
    assert counter.used() == 1
    now[0] = at(2026, 12, 1, 0)  # midnight in Beijing, still Nov 30 in UTC
    assert counter.used() == 0 and counter.remaining() == 5000


def test_count_is_persisted_and_reloaded_through_the_store():
    store = DictStore()
    clock = lambda: at(2026, 11, 5)
    first = QuotaCounter(5000, store=store, clock=clock)
    for _ in range(3):
        first.record("/attendance/list")
    second = QuotaCounter(5000, store=store, clock=clock)
    assert second.used() == 3 and store.data == {"2026-11": 3}


def test_exempt_calls_do_not_change_the_count():
    counter = QuotaCounter(10)
    assert counter.record("/topapi/v2/user/list") is False
    assert counter.used() == 0
