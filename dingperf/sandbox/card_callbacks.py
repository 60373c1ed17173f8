"""Card callback routes (`POST /v1.0/card/callbacks/register`, DINGTALK.md §7.5): routeKey →
URL + apiSecret, with the two-step `forceUpdate` rule.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from dingperf.sandbox.wire import NewApiError


@dataclass(frozen=True)
class CallbackRoute:
    route_key: str
    url: str
    api_secret: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "callbackRouteKey": self.route_key,
            "callbackUrl": self.url,
            "apiSecret": self.api_secret or "",
        }


class UnknownRoute(LookupError):
    """No callback URL is registered under that routeKey."""


@dataclass
class CallbackRoutes:
    _routes: dict[str, CallbackRoute] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def register(self, body: dict[str, Any]) -> CallbackRoute:
        """Store a route; an existing key is only replaced when `forceUpdate` is true."""
        key = body.get("callbackRouteKey")
        if not key or not isinstance(key, str):
            raise NewApiError(400, "param.callbackRouteKeyEmpty", "callbackRouteKey is required")
        url = body.get("callbackUrl")
        if not url or not isinstance(url, str):
            raise NewApiError(400, "param.callbackUrlEmpty", "callbackUrl is required")
        if not url.startswith(("http://", "https://")):
            raise NewApiError(
                400, "system.updateCallbackFailed", f"callbackUrl {url!r} is not an http(s) URL"
            )
        secret = body.get("apiSecret") or None
        with self._lock:
            existing = self._routes.get(key)
            # Without forceUpdate DingTalk answers with what is stored, so a caller sees the
            # current registration and must confirm the overwrite in a second call.
            if existing is not None and body.get("forceUpdate") is not True:
                return existing
            route = CallbackRoute(key, url, secret)
            self._routes[key] = route
            return route

    def get(self, route_key: str | None) -> CallbackRoute:
        with self._lock:
            route = self._routes.get(route_key or "")
        if route is None:
            raise UnknownRoute(f"no card callback registered for routeKey {route_key!r}")
        return route
