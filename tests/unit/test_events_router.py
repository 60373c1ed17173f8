import random
import sys
import types
from datetime import UTC, datetime, timedelta

import pytest

from dingperf.events.event import Event
from dingperf.events.retry import RetryPolicy
from dingperf.events.router import DuplicateHandler, Outcome, Router


def event(event_type: str = "user_add_org") -> Event:
    return Event(corp_id="c", event_id="e1", event_type=event_type, born_at=datetime.now(UTC), source="http")


def test_dispatch_calls_the_handler_for_the_type_with_the_context():
    seen = []
    router = Router()
    router.register("user_add_org", lambda ev, ctx: seen.append((ev.event_id, ctx)))
    assert router.dispatch(event(), context="ctx") is Outcome.HANDLED
    assert seen == [("e1", "ctx")]


def test_unknown_event_type_is_ignored_not_an_error():
    assert Router().dispatch(event("label_user_change")) is Outcome.IGNORED


def test_handler_exceptions_propagate_for_the_worker_to_retry():
    router = Router()

    def boom(ev, ctx):
        raise RuntimeError("DingTalk busy")

    router.register("user_add_org", boom)
    with pytest.raises(RuntimeError, match="busy"):
        router.dispatch(event())


def test_registering_a_second_handler_for_a_type_fails():
    router = Router()
    router.register("t", lambda ev, ctx: None)
    with pytest.raises(DuplicateHandler):
        router.register("t", lambda ev, ctx: None)


def test_module_on_functions_are_registered_by_name():
    module = types.ModuleType("fake_callbacks_contacts")

    def on_user_leave_org(ev, ctx):
        return None

    def helper(ev, ctx):
        return None

    on_user_leave_org.__module__ = helper.__module__ = module.__name__
    module.on_user_leave_org, module.helper = on_user_leave_org, helper
    router = Router()
    assert router.register_module(module) == ["user_leave_org"]
    assert router.is_routed("user_leave_org") and not router.is_routed("helper")


def test_package_registration_walks_every_module(tmp_path, monkeypatch):
    pkg = tmp_path / "fakecb"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "contacts.py").write_text("def on_user_add_org(event, ctx):\n    pass\n")
    (pkg / "approvals.py").write_text("def on_bpms_task_change(event, ctx):\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        assert sorted(Router().register_package("fakecb")) == ["bpms_task_change", "user_add_org"]
    finally:
        for name in [n for n in sys.modules if n.startswith("fakecb")]:
            del sys.modules[name]


def test_backoff_grows_exponentially_within_jitter():
    policy = RetryPolicy(base_s=10, factor=2, max_s=1000, jitter=0.25, max_attempts=5)
    rng = random.Random(7)
    for attempts, nominal in [(1, 10), (2, 20), (3, 40), (4, 80)]:
        delay = policy.delay(attempts, rng)
        assert timedelta(seconds=nominal * 0.75) <= delay <= timedelta(seconds=nominal * 1.25)


def test_backoff_is_capped():
    policy = RetryPolicy(base_s=10, factor=2, max_s=60, jitter=0.5, max_attempts=50)
    assert policy.delay(40, random.Random(1)) <= timedelta(seconds=60)


def test_jitter_spreads_retries_of_simultaneous_failures():
    policy = RetryPolicy(base_s=10, jitter=0.25)
    rng = random.Random(3)
    assert len({policy.delay(2, rng) for _ in range(20)}) > 10


def test_park_after_max_attempts():
    policy = RetryPolicy(max_attempts=3)
    assert not policy.should_park(2) and policy.should_park(3)
