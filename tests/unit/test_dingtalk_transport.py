"""Retry, token refresh, quota counting and timeouts of the transport (HTTP faked with `responses`)."""

import random
import threading

import pytest
import requests
import responses

from dingperf.dingtalk.client import DingTalkClient
from dingperf.dingtalk.config import ClientConfig
from dingperf.dingtalk.errors import AuthExpired, Permanent, QuotaExhausted, RateLimited, Transient
from dingperf.dingtalk.ratelimit import RateLimiter
from dingperf.dingtalk.retry import RetryPolicy

API = "https://api.example.test"
OAPI = "https://oapi.example.test"
CONFIG = ClientConfig(corp_id="dingcorp", app_key="key", app_secret="secret", agent_id=123, robot_code="key",
                      api_base=API, oapi_base=OAPI)


class FakeTime:
    def __init__(self):
        self.now = 1_700_000_000.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake():
    return FakeTime()


@pytest.fixture
def client(fake):
    limiter = RateLimiter(20, clock=fake.clock, sleep=fake.sleep)
    retry = RetryPolicy(max_attempts=CONFIG.max_attempts, rng=random.Random(1))
    return DingTalkClient(CONFIG, clock=fake.clock, sleep=fake.sleep, limiter=limiter, retry=retry)


def token_ok(rsps, token="tok1", expire_in=7200):
    rsps.add(responses.POST, f"{API}/v1.0/oauth2/accessToken", json={"accessToken": token, "expireIn": expire_in})


def user_ok(userid="u1"):
    return {"errcode": 0, "errmsg": "ok", "result": {"userid": userid, "name": "张三"}}


@responses.activate
def test_throttled_call_is_retried_after_a_one_second_wait_and_succeeds(client, fake):
    token_ok(responses)
    responses.add(responses.POST, f"{OAPI}/topapi/v2/user/get", json={"errcode": 90018, "errmsg": "qps"})
    responses.add(responses.POST, f"{OAPI}/topapi/v2/user/get", json=user_ok())
    start = fake.now
    assert client.contacts.get_user("u1").userid == "u1"
    assert fake.now - start >= 1.0
    stats = client.stats()
    assert stats.calls["/topapi/v2/user/get"] == 2 and stats.throttled["/topapi/v2/user/get"] == 1
    assert stats.retries == 1 and stats.errors_surfaced == 0


@responses.activate
def test_new_family_throttle_is_retried(client):
    token_ok(responses)
    responses.add(responses.GET, f"{API}/v1.0/workflow/processInstances", status=403,
                  json={"code": "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi", "message": "qps"})
    responses.add(responses.GET, f"{API}/v1.0/workflow/processInstances",
                  json={"success": True, "result": {"status": "RUNNING", "title": "t"}})
    assert client.workflow.get_instance("pi1").status == "RUNNING"


@responses.activate
def test_quota_exhausted_is_not_retried(client):
    token_ok(responses)
    responses.add(responses.POST, f"{OAPI}/attendance/list", json={"errcode": 90020, "errmsg": "quota"})
    with pytest.raises(QuotaExhausted):
        list(client.attendance.list_results(["u1"], _d(1), _d(2)))
    assert client.stats().calls["/attendance/list"] == 1
    assert client.quota.remaining() == 0


@responses.activate
def test_throttle_surfaces_only_when_attempts_are_exhausted(client):
    token_ok(responses)
    for _ in range(CONFIG.max_attempts):
        responses.add(responses.POST, f"{OAPI}/topapi/v2/user/get", json={"errcode": 90018, "errmsg": "qps"})
    with pytest.raises(RateLimited):
        client.contacts.get_user("u1")
    assert client.stats().calls["/topapi/v2/user/get"] == CONFIG.max_attempts
    assert client.stats().errors_surfaced == 1


@responses.activate
def test_backoff_grows_between_transient_failures(client, fake):
    token_ok(responses)
    for _ in range(3):
        responses.add(responses.POST, f"{OAPI}/topapi/v2/user/get", json={"errcode": -1, "errmsg": "系统繁忙"})
    responses.add(responses.POST, f"{OAPI}/topapi/v2/user/get", json=user_ok())
    client.contacts.get_user("u1")
    assert len(fake.sleeps) == 3
    assert fake.sleeps[0] < fake.sleeps[2]


@responses.activate
def test_auth_error_drops_token_refetches_and_retries_once(client):
    token_ok(responses, "old")
    token_ok(responses, "new")
    responses.add(responses.POST, f"{OAPI}/topapi/v2/user/get", json={"errcode": 40014, "errmsg": "不合法的access_token"})
    responses.add(responses.POST, f"{OAPI}/topapi/v2/user/get", json=user_ok())
    client.contacts.get_user("u1")
    used = [c.request.url for c in responses.calls if "/topapi/" in c.request.url]
    assert "access_token=old" in used[0] and "access_token=new" in used[1]
    assert client.stats().token_fetches == 2


@responses.activate
def test_second_auth_error_surfaces(client):
    token_ok(responses, "a")
    token_ok(responses, "b")
    responses.add(responses.POST, f"{OAPI}/topapi/v2/user/get", json={"errcode": 40014, "errmsg": "bad"})
    responses.add(responses.POST, f"{OAPI}/topapi/v2/user/get", json={"errcode": 40014, "errmsg": "bad"})
    with pytest.raises(AuthExpired):
        client.contacts.get_user("u1")


@responses.activate
def test_new_family_sends_token_in_header(client):
    token_ok(responses, "hdr-token")
    responses.add(responses.GET, f"{API}/v1.0/workflow/processInstances", json={"result": {}, "success": True})
    client.workflow.get_instance("pi1")
    request = responses.calls[-1].request
    assert request.headers["x-acs-dingtalk-access-token"] == "hdr-token"
    assert "access_token" not in request.url


@responses.activate
def test_token_is_reused_until_ten_minutes_before_expiry(client, fake):
    token_ok(responses, "t1")
    token_ok(responses, "t2")
    responses.add(responses.POST, f"{OAPI}/topapi/v2/user/get", json=user_ok())
    client.contacts.get_user("u1")
    fake.now += 7200 - 601
    client.contacts.get_user("u1")
    assert client.stats().token_fetches == 1
    fake.now += 2
    client.contacts.get_user("u1")
    assert client.stats().token_fetches == 2


@responses.activate
def test_quota_counts_only_metered_calls(client):
    token_ok(responses)
    responses.add(responses.POST, f"{OAPI}/topapi/v2/user/get", json=user_ok())
    responses.add(responses.POST, f"{OAPI}/topapi/message/corpconversation/asyncsend_v2",
                  json={"errcode": 0, "errmsg": "ok", "task_id": 77})
    client.contacts.get_user("u1")
    assert client.quota.used() == 0
    assert client.messages.send_work_notification(["u1"], {"msgtype": "text", "text": {"content": "hi"}}) == [77]
    assert client.quota.used() == 1 and client.quota.remaining() == CONFIG.monthly_quota - 1


@responses.activate
def test_timeout_of_idempotent_read_is_retried(client):
    token_ok(responses)
    responses.add(responses.POST, f"{OAPI}/topapi/v2/user/get", body=requests.exceptions.ReadTimeout("slow"))
    responses.add(responses.POST, f"{OAPI}/topapi/v2/user/get", json=user_ok())
    assert client.contacts.get_user("u1").userid == "u1"


@responses.activate
def test_timeout_of_a_send_is_not_retried_blindly(client):
    token_ok(responses)
    responses.add(responses.POST, f"{OAPI}/topapi/message/corpconversation/asyncsend_v2",
                  body=requests.exceptions.ReadTimeout("slow"))
    with pytest.raises(Transient):
        client.messages.send_work_notification(["u1"], {"msgtype": "text", "text": {"content": "hi"}})
    assert client.stats().calls["/topapi/message/corpconversation/asyncsend_v2"] == 1


@responses.activate
def test_every_request_has_a_timeout(fake):
    seen = []

    class RecordingSession(requests.Session):
        def request(self, *args, **kwargs):
            seen.append(kwargs.get("timeout"))
            return super().request(*args, **kwargs)

    c = DingTalkClient(CONFIG, session=RecordingSession(), clock=fake.clock, sleep=fake.sleep,
                       limiter=RateLimiter(20, clock=fake.clock, sleep=fake.sleep))
    token_ok(responses)
    responses.add(responses.POST, f"{OAPI}/topapi/v2/user/get", json=user_ok())
    c.contacts.get_user("u1")
    assert seen == [CONFIG.timeout_s, CONFIG.timeout_s]


@responses.activate
def test_permanent_error_is_raised_at_once(client):
    token_ok(responses)
    responses.add(responses.POST, f"{OAPI}/topapi/v2/user/get", json={"errcode": 40035, "errmsg": "不合法的参数"})
    with pytest.raises(Permanent):
        client.contacts.get_user("u1")
    assert client.stats().retries == 0


@responses.activate
def test_concurrent_callers_fetch_the_token_once():
    token_ok(responses)
    responses.add(responses.POST, f"{OAPI}/topapi/v2/user/get", json=user_ok())
    c = DingTalkClient(CONFIG, limiter=RateLimiter(1000))
    barrier = threading.Barrier(8)

    def work():
        barrier.wait()
        c.contacts.get_user("u1")

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert c.stats().token_fetches == 1


def _d(day):
    from datetime import date
    return date(2026, 11, day)
