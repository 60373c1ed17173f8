"""Validation rules for settings and the masking used to show them; every rule names its key and fix."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dingperf.dingtalk.crypto import is_valid_aes_key

if TYPE_CHECKING:
    from dingperf.settings import Settings

_TOKEN = re.compile(r"^[A-Za-z0-9]{3,32}$")
_PLACEHOLDERS = {"change-me", "changeme", "change_me", "changethis", "change-this", "placeholder", "todo",
                 "secret", "password", "xxx", "your-secret", "your_secret", "fixme", "replace-me"}
_DB_SCHEMES = {"sqlite", "postgres", "postgresql", "postgresql+psycopg"}
MIN_SECRET_KEY = 32


class ConfigError(Exception):
    """The configuration is missing or invalid; the message lists every problem with its fix."""

    def __init__(self, problems: list[ConfigProblem] | tuple[ConfigProblem, ...]) -> None:
        self.problems = tuple(problems)
        lines = [f"configuration has {len(self.problems)} problem(s):"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class ConfigProblem:
    """One bad key: `key` is "section.key", `where` says file or env var, `fix` says what to do."""

    key: str
    where: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.key} ({self.where}): {self.message}. Fix: {self.fix}"


def is_placeholder(value: str) -> bool:
    """True for values that were obviously never filled in (change-me, <your secret>, xxxx)."""
    low = value.strip().lower()
    return (low in _PLACEHOLDERS or "change-me" in low or "changeme" in low
            or low.startswith(("your-", "your_")) or "<" in low or bool(re.fullmatch(r"x{3,}", low)))


def check_settings(settings: Settings, where: Callable[[str], str]) -> list[ConfigProblem]:
    """Every problem in `settings`; `where(key)` says where that key's value came from."""
    problems: list[ConfigProblem] = []

    def bad(key: str, message: str, fix: str) -> None:
        problems.append(ConfigProblem(key=key, where=where(key), message=message, fix=fix))

    _check_dingtalk(settings, bad)
    _check_database(settings, bad)
    _check_server(settings, bad)
    _check_org(settings, bad)
    return problems


Bad = Callable[[str, str, str], None]
_CONSOLE = "copy it from the DingTalk developer console (open-dev.dingtalk.com → your app → 凭证与基础信息)"


def _check_dingtalk(s: Settings, bad: Bad) -> None:
    d = s.dingtalk
    sandbox = d.sandbox
    if d.event_mode not in ("stream", "http"):
        bad("dingtalk.event_mode", f"must be \"stream\" or \"http\", got {d.event_mode!r}",
            'set event_mode = "stream" (no public URL needed) or "http"')
    for key in ("corp_id", "app_key", "app_secret"):
        value = getattr(d, key)
        if not value:
            bad(f"dingtalk.{key}", "is required", _CONSOLE)
        elif not sandbox and is_placeholder(value):
            bad(f"dingtalk.{key}", f"is a placeholder ({value!r}); placeholders are only allowed with "
                "sandbox = true", _CONSOLE)
    if not sandbox and d.agent_id <= 0:
        bad("dingtalk.agent_id", f"must be the app's AgentId (a positive number), got {d.agent_id}", _CONSOLE)
    needed = d.event_mode == "http"
    _check_secret(bad, "dingtalk.callback_token", d.callback_token, sandbox, needed,
                  lambda v: bool(_TOKEN.match(v)), f"must be 3-32 letters or digits (got {len(d.callback_token)} "
                  "characters)", "use the 签名 token from 事件订阅 in the developer console, or generate one "
                  "and paste it there")
    _check_secret(bad, "dingtalk.callback_aes_key", d.callback_aes_key, sandbox, needed, is_valid_aes_key,
                  f"must be exactly 43 characters of A-Z, a-z, 0-9 (got {len(d.callback_aes_key)} characters)",
                  "use the 加密 aes_key from 事件订阅 in the developer console (its 'auto-generate' button "
                  "makes a valid one)")
    for key in ("api_base", "oapi_base"):
        _check_url(bad, f"dingtalk.{key}", getattr(d, key), https_only=not sandbox)
    if not 1 <= d.qps_per_api <= 1000:
        bad("dingtalk.qps_per_api", f"must be between 1 and 1000, got {d.qps_per_api}",
            "keep the default 20 unless DingTalk raised your limit")
    if d.monthly_quota < 0:
        bad("dingtalk.monthly_quota", f"must be 0 (unlimited) or more, got {d.monthly_quota}",
            "set 5000 for the standard edition, 0 for paid editions without a monthly cap")


def _check_secret(bad: Bad, key: str, value: str, sandbox: bool, needed: bool,
                  valid: Callable[[str], bool], shape: str, fix: str) -> None:
    if not value:
        if needed:
            bad(key, 'is required when event_mode = "http"', fix)
        return
    if is_placeholder(value):
        if not sandbox:
            bad(key, f"is a placeholder ({value!r}); placeholders are only allowed with sandbox = true", fix)
        return
    if not valid(value):
        bad(key, shape, fix)


def _check_url(bad: Bad, key: str, value: str, *, https_only: bool) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        bad(key, f"must be an http(s) URL such as https://host, got {value!r}", "write the full URL with scheme")
    elif https_only and parts.scheme != "https" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        bad(key, f"must use https outside the sandbox, got {value!r}",
            "use https:// (or set sandbox = true when pointing at `dingperf sandbox`)")


def _check_database(s: Settings, bad: Bad) -> None:
    url = s.database.url
    scheme = url.partition(":")[0]
    if scheme not in _DB_SCHEMES or "://" not in url:
        bad("database.url", f"must be an sqlite:/// or postgresql:// URL, got {mask_url(url)!r}",
            'use url = "sqlite:///dingperf.db" or "postgresql://user:password@host:5432/dingperf"')


def _check_server(s: Settings, bad: Bad) -> None:
    sv = s.server
    if not sv.host:
        bad("server.host", "is empty", 'set host = "127.0.0.1" (or "0.0.0.0" behind a proxy)')
    if not 0 <= sv.port <= 65535:
        bad("server.port", f"must be 0-65535, got {sv.port}", "pick a free port such as 8080")
    if sv.public_url:
        _check_url(bad, "server.public_url", sv.public_url, https_only=False)
    if s.dingtalk.sandbox:
        return
    fix = f'generate one with: python -c "import secrets; print(secrets.token_urlsafe({MIN_SECRET_KEY}))"'
    if not sv.secret_key:
        bad("server.secret_key", "is required", fix)
    elif is_placeholder(sv.secret_key):
        bad("server.secret_key", f"is a placeholder ({sv.secret_key!r}); placeholders are only allowed with "
            "sandbox = true", fix)
    elif len(sv.secret_key) < MIN_SECRET_KEY:
        bad("server.secret_key", f"must be at least {MIN_SECRET_KEY} characters, got {len(sv.secret_key)}", fix)


def _check_org(s: Settings, bad: Bad) -> None:
    try:
        ZoneInfo(s.org.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        bad("org.timezone", f"unknown time zone {s.org.timezone!r}", 'use an IANA name such as "Asia/Shanghai"')
    if any(not u.strip() for u in s.org.hr_userids):
        bad("org.hr_userids", "contains an empty userid", "list DingTalk userids only, e.g. [\"manager4321\"]")


def mask_secret(value: str) -> str:
    """Show that a secret is set and its length, never its content."""
    if not value:
        return ""
    return f"****({len(value)} chars)"


def mask_url(url: str) -> str:
    """Hide the password in a database URL."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":****@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
