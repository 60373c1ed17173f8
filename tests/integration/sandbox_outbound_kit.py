"""A small HTTP client for the outbound-side sandbox tests: app token, both API families, control API."""

from __future__ import annotations

from typing import Any

import requests


class OutboundKit:
    """Talks to a running sandbox over real HTTP as the installed app does."""

    def __init__(self, sandbox: Any) -> None:
        self.base = sandbox.base_url
        self.state = sandbox.state
        self.app = sandbox.state.app
        self.http = requests.Session()
        self.token = self._fetch_token()

    def _fetch_token(self) -> str:
        resp = self.http.post(
            f"{self.base}/v1.0/oauth2/accessToken",
            json={"appKey": self.app.app_key, "appSecret": self.app.app_secret},
        )
        resp.raise_for_status()
        return resp.json()["accessToken"]

    def advance(self, seconds: float) -> None:
        """Move the sandbox clock and take a fresh token, as the real client would after expiry."""
        self.state.clock.advance(seconds)
        self.token = self._fetch_token()

    def oapi(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST an oapi call; returns the (always HTTP 200) JSON body."""
        resp = self.http.post(f"{self.base}{path}", params={"access_token": self.token}, json=body)
        assert resp.status_code == 200, resp.text
        return resp.json()

    def api(self, method: str, path: str, body: dict[str, Any]) -> requests.Response:
        """Call the new family with the token header."""
        return self.http.request(
            method, f"{self.base}{path}", json=body, headers={"x-acs-dingtalk-access-token": self.token}
        )

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> requests.Response:
        return self.http.request(method, f"{self.base}/_sandbox{path}", json=body)

    def hire(self, name: str, dept_ids: list[int] | None = None) -> str:
        """Add a current employee to the sandbox directory; returns their userid."""
        return self.state.directory.add_user(name=name, dept_id_list=dept_ids or [1]).userid

    def inbox(self, userid: str, kind: str | None = None) -> list[dict[str, Any]]:
        params = {"userid": userid, **({"kind": kind} if kind else {})}
        resp = self.http.get(f"{self.base}/_sandbox/messages", params=params)
        assert resp.status_code == 200, resp.text
        return resp.json()["messages"]
