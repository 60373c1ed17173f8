"""Workbench login (免登) and JSAPI signing (DINGTALK.md §8)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from dingperf.dingtalk.crypto import jsapi_signature
from dingperf.dingtalk.errors import Transient
from dingperf.dingtalk.parse import as_bool, as_int, as_opt_str, as_str
from dingperf.dingtalk.token import ExpiringCache, Issued
from dingperf.dingtalk.transport import Transport

JSAPI_TICKET_PATH = "/v1.0/oauth2/jsapiTickets"


@dataclass(frozen=True)
class AuthUser:
    """Who an authCode belongs to; `sys_level` 1 main admin, 2 sub admin, 100 boss, 0 other."""

    userid: str
    unionid: str | None
    name: str
    device_id: str | None
    is_admin: bool
    sys_level: int
    associated_unionid: str | None


class AuthApi:
    """authCode → user, and the cached JSAPI ticket with dd.config signing."""

    def __init__(self, transport: Transport, *, corp_id: str, agent_id: int,
                 clock: Callable[[], float] = time.time) -> None:
        self._t = transport
        self._corp_id = corp_id
        self._agent_id = agent_id
        self._tickets = ExpiringCache(self._fetch_ticket, clock=clock)

    def user_from_auth_code(self, code: str) -> AuthUser:
        """Exchange a single-use 5-minute authCode; Permanent(40078) if used or expired."""
        data = self._t.call("POST", "/topapi/v2/user/getuserinfo", body={"code": code}, idempotent=False)
        raw: dict[str, Any] = data.get("result") or {}
        return AuthUser(
            userid=as_str(raw.get("userid")),
            unionid=as_opt_str(raw.get("unionid")),
            name=as_str(raw.get("name")),
            device_id=as_opt_str(raw.get("device_id")),
            is_admin=as_bool(raw.get("sys")),
            sys_level=as_int(raw.get("sys_level"), 0),
            associated_unionid=as_opt_str(raw.get("associated_unionid")),
        )

    def jsapi_ticket(self) -> str:
        """The app's JSAPI ticket, cached and renewed before it expires."""
        return self._tickets.get()

    def jsapi_config(self, url: str, nonce: str, timestamp: str | int,
                     js_api_list: Sequence[str] = ()) -> dict[str, Any]:
        """The object to pass to `dd.config` for the page at `url` (SHA-256 signature)."""
        ts = str(timestamp)
        return {
            "agentId": str(self._agent_id),
            "corpId": self._corp_id,
            "timeStamp": ts,
            "nonceStr": nonce,
            "signature": jsapi_signature(self.jsapi_ticket(), nonce, ts, url),
            "type": 0,
            "jsApiList": list(js_api_list),
        }

    def _fetch_ticket(self) -> Issued:
        data = self._t.call("POST", JSAPI_TICKET_PATH, body={})
        ticket = data.get("jsapiTicket")
        if not ticket:
            raise Transient("jsapiTickets answered without a jsapiTicket", family="api", path=JSAPI_TICKET_PATH)
        return Issued(str(ticket), float(data.get("expireIn") or 7200))
