"""Shared fixtures: a live sandbox DingTalk on port 0 for integration tests."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from dingperf.sandbox.server import SandboxServer
from tests.database import db_url, store  # noqa: F401  (fixtures: fresh database URL, migrated Store)


def poll_until(predicate: Callable[[], object], timeout: float = 10.0, interval: float = 0.02) -> object:
    """Wait (without sleeping a fixed time) until predicate() is truthy; fail with a clear message."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s: {predicate}")
        time.sleep(interval)


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    server = SandboxServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def company_sandbox() -> Iterator[SandboxServer]:
    """A live sandbox holding a small generated company (260 people, 12 departments, seed 7)."""
    from dingperf.sandbox.runner import build_state

    server = SandboxServer(build_state(employees=260, depts=12, seed=7))
    server.start()
    try:
        yield server
    finally:
        server.stop()
