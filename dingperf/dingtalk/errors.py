"""The typed error hierarchy every DingTalk call failure is turned into (DESIGN.md, DINGTALK.md §1, §2.5)."""

from __future__ import annotations


class DingTalkError(Exception):
    """A DingTalk call failed; says which API, DingTalk's own code and message, and what to do next."""

    hint = "see DingTalk's error-code table for this code"

    def __init__(
        self,
        message: str,
        *,
        family: str,
        path: str,
        code: int | str | None = None,
        request_id: str | None = None,
        http_status: int | None = None,
    ) -> None:
        self.message = message
        self.family = family
        self.path = path
        self.code = code
        self.request_id = request_id
        self.http_status = http_status
        super().__init__(self._describe())

    def _describe(self) -> str:
        parts = [f"DingTalk {self.family} {self.path} failed"]
        if self.http_status is not None:
            parts.append(f"HTTP {self.http_status}")
        if self.code is not None:
            parts.append(f"code {self.code}")
        text = ", ".join(parts) + f": {self.message}"
        if self.request_id:
            text += f" (request_id {self.request_id})"
        return f"{text} — {self.hint}"


class RateLimited(DingTalkError):
    """Throttled (per app×API QPS 90018, per-API global 90002, QPM, IP ban, 429); wait `retry_after` s."""

    hint = "the client retries this itself; if it reaches you, lower the call rate or try again later"

    def __init__(self, message: str, *, retry_after: float = 1.0, scope: str = "app_api_qps", **kw) -> None:
        self.retry_after = retry_after
        self.scope = scope
        super().__init__(message, **kw)


class QuotaExhausted(DingTalkError):
    """The org's monthly call budget is used up (90020 / ApiCountLimitForOrg); retrying cannot help."""

    hint = ("the org's monthly API quota (5,000 calls on the standard edition) is used up: wait for the next "
            "calendar month or upgrade the DingTalk edition")


class AuthExpired(DingTalkError):
    """The access token was rejected (40014/42001/41001/InvalidAuthentication/401)."""

    hint = "the client refetches the token once; if this persists, check app_key/app_secret and the app's status"


class Transient(DingTalkError):
    """A temporary failure (-1 busy, timeouts 15/88/504, 5xx, connection errors); safe to retry later.

    `maybe_processed` is True when DingTalk may have acted on the request before failing (a read
    timeout, a 5xx): non-idempotent calls such as message sends are then not retried blindly.
    """

    hint = "DingTalk was busy or unreachable; retry later"

    def __init__(self, message: str, *, maybe_processed: bool = True, **kw) -> None:
        self.maybe_processed = maybe_processed
        super().__init__(message, **kw)


class Permanent(DingTalkError):
    """A failure retrying cannot fix: bad parameters, unknown ids or routes, missing permission."""

    hint = "fix the request, the ids it names, or the app's permissions in the DingTalk developer console"


class NotFound(Permanent):
    """The department, user, approval instance or route named by the request does not exist."""

    hint = "the id (or the API path) does not exist in this org; re-sync or check the id"


class PermissionDenied(Permanent):
    """The app lacks the permission, scope or IP allow-listing this API needs."""

    hint = ("grant the API permission to the app in the DingTalk developer console (权限管理) "
            "or add this server's IP to the allow-list")


class CredentialsInvalid(Permanent):
    """The app key/secret were refused when fetching a token."""

    hint = "check [dingtalk] app_key and app_secret in config.toml against the developer console"
