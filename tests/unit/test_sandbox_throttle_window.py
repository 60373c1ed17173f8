"""The throttle's sliding QPS window and monthly counter, driven by the sandbox clock."""

from dingperf.sandbox.clock import Clock
from dingperf.sandbox.state import Limits
from dingperf.sandbox.throttle import Throttle, is_quota_exempt


def _admit(throttle: Throttle, limits: Limits, path: str = "/topapi/x"):
    return throttle.admit(limits=limits, ip="10.0.0.1", app_key="k", path=path)


def test_exactly_20_calls_per_second_evenly_spaced_are_all_admitted():
    clock, limits = Clock(), Limits(monthly_quota=10_000)
    throttle = Throttle(clock)
    refused = 0
    for _ in range(100):
        refused += _admit(throttle, limits) is not None
        clock.advance(0.05)
    assert refused == 0


def test_25_calls_spread_over_one_second_get_five_refusals():
    clock, limits = Clock(), Limits(monthly_quota=10_000)
    throttle = Throttle(clock)
    verdicts = []
    for _ in range(25):
        verdicts.append(_admit(throttle, limits))
        clock.advance(0.038)  # 25 calls within 0.95 s
    assert [v.kind for v in verdicts if v] == ["qps_app"] * 5


def test_refused_calls_do_not_count_against_the_monthly_quota():
    clock, limits = Clock(), Limits(qps_per_app_api=1, monthly_quota=10)
    throttle = Throttle(clock)
    _admit(throttle, limits)
    _admit(throttle, limits)  # refused by QPS
    assert throttle.quota_used() == 1


def test_quota_exhaustion_refuses_metered_calls_but_not_exempt_ones():
    clock, limits = Clock(), Limits(monthly_quota=2, qps_per_app_api=100)
    throttle = Throttle(clock)
    assert _admit(throttle, limits, "/attendance/list") is None
    assert _admit(throttle, limits, "/attendance/list") is None
    assert _admit(throttle, limits, "/attendance/list").kind == "quota"
    assert _admit(throttle, limits, "/topapi/v2/user/list") is None


def test_address_book_token_and_login_endpoints_are_quota_exempt():
    exempt = [
        "/gettoken",
        "/v1.0/oauth2/accessToken",
        "/topapi/v2/user/getuserinfo",
        "/topapi/v2/department/listsub",
        "/topapi/user/listid",
        "/get_jsapi_ticket",
    ]
    metered = [
        "/attendance/list",
        "/v1.0/workflow/processInstances",
        "/topapi/message/corpconversation/asyncsend_v2",
    ]
    assert all(is_quota_exempt(p) for p in exempt)
    assert not any(is_quota_exempt(p) for p in metered)
