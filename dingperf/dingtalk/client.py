"""DingTalkClient: one app's typed view of DingTalk, composed of one sub-API per domain."""

from __future__ import annotations

import time
from collections.abc import Callable

import requests

from dingperf.dingtalk.attendance import AttendanceApi
from dingperf.dingtalk.auth import AuthApi
from dingperf.dingtalk.callbacks import CallbacksApi
from dingperf.dingtalk.cards import CardsApi
from dingperf.dingtalk.config import ClientConfig
from dingperf.dingtalk.contacts import ContactsApi
from dingperf.dingtalk.messages import MessagesApi
from dingperf.dingtalk.quota import QuotaCounter, QuotaStore
from dingperf.dingtalk.ratelimit import RateLimiter
from dingperf.dingtalk.retry import RetryPolicy
from dingperf.dingtalk.robot import RobotApi
from dingperf.dingtalk.stats import ClientStats
from dingperf.dingtalk.transport import Transport
from dingperf.dingtalk.workflow import WorkflowApi


class DingTalkClient:
    """Everything dingperf asks of DingTalk for one app; thread-safe, share one per process.

    Calls are paced per API (`qps_per_api`), retried on throttles and transient failures, and
    counted against the monthly quota (`client.quota`). Failures raise DingTalkError subclasses.
    """

    def __init__(
        self,
        config: ClientConfig,
        *,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        quota_store: QuotaStore | None = None,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.config = config
        self.quota = QuotaCounter(config.monthly_quota, store=quota_store, clock=clock)
        self.transport = Transport(config, session=session, limiter=limiter, retry=retry, quota=self.quota,
                                   clock=clock, sleep=sleep)
        self.contacts = ContactsApi(self.transport)
        self.attendance = AttendanceApi(self.transport)
        self.workflow = WorkflowApi(self.transport)
        self.messages = MessagesApi(self.transport, config.agent_id)
        self.cards = CardsApi(self.transport, config.robot_code)
        self.robot = RobotApi(self.transport, config.robot_code)
        self.auth = AuthApi(self.transport, corp_id=config.corp_id, agent_id=config.agent_id, clock=clock)
        self.callbacks = CallbacksApi(self.transport)

    def access_token(self) -> str:
        """The current app access token (cached; for the Stream SDK or media upload)."""
        return self.transport.tokens.get()

    def stats(self) -> ClientStats:
        """Calls per API, throttle answers seen, retries and errors surfaced so far."""
        return self.transport.stats.snapshot()
