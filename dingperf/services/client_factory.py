"""Build the DingTalk client from settings, with the monthly quota count kept in the store (shared by every
process of the installation, surviving restarts)."""

from __future__ import annotations

import threading
from typing import Any

from dingperf.dingtalk.client import DingTalkClient
from dingperf.dingtalk.config import ClientConfig
from dingperf.settings import Settings
from dingperf.store.engine import Store
from dingperf.store.repositories.quota import add_quota_usage, get_quota_usage

UNLIMITED_QUOTA = 10**9  # settings say 0 = unlimited (paid editions); the counter wants a number


class StoreQuota:
    """The client's QuotaStore on the store's quota_usage table.

    The client reports absolute counts per process; the table must add up every process's calls, so
    each save adds only what this process counted since its last save (one atomic UPDATE).
    """

    def __init__(self, store: Store, corp_id: str) -> None:
        self._store = store
        self._corp_id = corp_id
        self._lock = threading.Lock()
        self._saved: dict[str, int] = {}

    def load(self, month: str) -> int:
        with self._lock, self._store.session() as s:
            used = get_quota_usage(session=s, corp_id=self._corp_id, month=month)
            self._saved[month] = used
            return used

    def save(self, month: str, used: int) -> None:
        with self._lock:
            delta = used - self._saved.get(month, 0)
            if delta <= 0:
                return
            with self._store.session() as s:
                add_quota_usage(session=s, corp_id=self._corp_id, month=month, calls=delta)
            self._saved[month] = used


def client_config(settings: Settings, **overrides: Any) -> ClientConfig:
    """The ClientConfig for settings' [dingtalk] section; `overrides` replace ClientConfig fields."""
    d = settings.dingtalk
    values: dict[str, Any] = {
        "corp_id": d.corp_id, "app_key": d.app_key, "app_secret": d.app_secret, "agent_id": d.agent_id,
        "robot_code": d.effective_robot_code, "api_base": d.api_base, "oapi_base": d.oapi_base,
        "qps_per_api": d.qps_per_api, "monthly_quota": d.monthly_quota or UNLIMITED_QUOTA,
    }
    values.update(overrides)
    return ClientConfig(**values)


def build_client(settings: Settings, *, store: Store | None = None, **overrides: Any) -> DingTalkClient:
    """A DingTalkClient for settings; with `store`, the monthly quota count lives in its quota table."""
    config = client_config(settings, **overrides)
    quota = StoreQuota(store, config.corp_id) if store is not None else None
    return DingTalkClient(config, quota_store=quota)
