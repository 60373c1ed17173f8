"""The client against the live sandbox: token expiry, throttles and faults are absorbed; wrong routes fail loudly."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from dingperf.dingtalk.client import DingTalkClient
from dingperf.dingtalk.config import ClientConfig
from dingperf.dingtalk.errors import NotFound

FAILED = "/call_back/get_call_back_failed_result"


def make_client(sandbox, **kw) -> DingTalkClient:
    app = sandbox.state.app
    config = ClientConfig(corp_id=app.corp_id, app_key=app.app_key, app_secret=app.app_secret,
                          agent_id=app.agent_id, robot_code=app.robot_code,
                          api_base=sandbox.base_url, oapi_base=sandbox.base_url, timeout_s=5.0)
    return DingTalkClient(config, **kw)


def answers(sandbox, path):
    return [(r.status, r.errcode, r.code) for r in sandbox.state.recorder.list(path)]


def test_expired_token_is_refreshed_transparently(sandbox):
    client = make_client(sandbox)
    assert list(client.callbacks.failed_pushes()) == []
    sandbox.state.clock.advance(7201)  # the sandbox's token dies; the client's own clock does not know
    assert list(client.callbacks.failed_pushes()) == []
    assert client.stats().token_fetches == 2 and client.stats().errors_surfaced == 0
    assert [a[1] for a in answers(sandbox, FAILED)] == [0, 40014, 0]


def test_token_is_renewed_ahead_of_expiry_on_a_shared_clock(sandbox):
    client = make_client(sandbox, clock=sandbox.state.clock.now)
    list(client.callbacks.failed_pushes())
    sandbox.state.clock.advance(7200 - 300)  # inside the 10-minute refresh margin
    list(client.callbacks.failed_pushes())
    assert client.stats().token_fetches == 2
    assert [a[1] for a in answers(sandbox, FAILED)] == [0, 0]  # no call was ever refused


def test_injected_throttle_burst_never_reaches_the_caller(sandbox):
    client = make_client(sandbox)
    client.access_token()
    sandbox.state.faults.arm(FAILED, "throttle", 3)
    assert list(client.callbacks.failed_pushes()) == []
    stats = client.stats()
    assert stats.throttled[FAILED] == 3 and stats.errors_surfaced == 0
    assert [a[1] for a in answers(sandbox, FAILED)] == [90018, 90018, 90018, 0]


def test_new_family_throttle_is_absorbed(sandbox):
    client = make_client(sandbox)
    path = "/v1.0/card/callbacks/register"
    sandbox.state.faults.arm(path, "throttle", 2)
    registration = client.cards.register_callback("perf", "http://127.0.0.1:9/card", api_secret="s3cret")
    assert registration.callback_url == "http://127.0.0.1:9/card"
    assert [a[2] for a in answers(sandbox, path)][:2] == ["Forbidden.AccessDenied.QpsLimitForAppkeyAndApi"] * 2


def test_server_side_qps_lower_than_the_clients_is_absorbed(sandbox):
    sandbox.state.limits.qps_per_app_api = 4  # DingTalk is stricter than the client was told
    client = make_client(sandbox)
    client.access_token()
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: list(client.callbacks.failed_pushes()), range(12)))
    assert results == [[]] * 12
    stats = client.stats()
    assert stats.throttled.get(FAILED, 0) > 0 and stats.errors_surfaced == 0


@pytest.mark.parametrize("kind", ["busy", "timeout", "timeout88", "5xx", "reset"])
def test_transient_faults_are_retried(sandbox, kind):
    client = make_client(sandbox)
    client.access_token()
    sandbox.state.faults.arm(FAILED, kind, 1)
    assert list(client.callbacks.failed_pushes()) == []
    assert client.stats().retries == 1


@pytest.mark.parametrize("path", ["/topapi/no/such/api", "/v1.0/no/such/api"])
def test_unknown_route_fails_loudly_naming_the_path(sandbox, path):
    client = make_client(sandbox)
    with pytest.raises(NotFound) as info:
        client.transport.call("POST", path, body={})
    assert path in str(info.value) and info.value.http_status == 404
    assert client.stats().retries == 0
