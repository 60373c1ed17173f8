"""Typed, validated settings: config.toml, then DINGPERF_<SECTION>_<KEY> overrides (DESIGN.md "Fixed interfaces").

`load_settings()` finds the file (`--config`, else DINGPERF_CONFIG, else ./config.toml), applies environment
overrides, validates everything at once and raises `ConfigError` naming each bad key, where it came from and
how to fix it. Nothing here runs at import time.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from dingperf.settings_check import ConfigError, ConfigProblem, check_settings, mask_secret, mask_url

CONFIG_ENV = "DINGPERF_CONFIG"
ENV_PREFIX = "DINGPERF_"
DEFAULT_CONFIG = "config.toml"
DEFAULT_DATABASE_URL = "sqlite:///dingperf.db"

__all__ = [
    "ConfigError",
    "ConfigProblem",
    "Settings",
    "find_config_path",
    "load_settings",
    "masked_settings",
    "sandbox_settings",
    "settings_from_mapping",
]


def _doc(text: str, *, secret: bool = False) -> dict[str, Any]:
    return {"doc": text, "secret": secret}


@dataclass(frozen=True)
class DingTalkSettings:
    """[dingtalk]: the internal app's identity and how DingTalk reaches us."""

    sandbox: bool = field(default=False, metadata=_doc(
        "true only when talking to the embedded sandbox (`dingperf sandbox`); allows generated or "
        "placeholder secrets and plain-http API bases. Must be false for a real organisation."))
    corp_id: str = field(default="", metadata=_doc(
        "Organisation CorpId (开发者后台 → 基础信息), starts with 'ding'."))
    app_key: str = field(default="", metadata=_doc(
        "The internal app's AppKey / Client ID (应用凭证)."))
    app_secret: str = field(default="", metadata=_doc(
        "The internal app's AppSecret / Client Secret (应用凭证).", secret=True))
    agent_id: int = field(default=0, metadata=_doc(
        "The app's AgentId, needed for work notifications (应用凭证)."))
    robot_code: str = field(default="", metadata=_doc(
        "Robot code for chat cards and group messages; empty means the AppKey (true for internal apps)."))
    event_mode: str = field(default="stream", metadata=_doc(
        "How events arrive: \"stream\" (websocket, no public URL needed) or \"http\" "
        "(encrypted POSTs to <public_url>/dingtalk/callback)."))
    callback_token: str = field(default="", metadata=_doc(
        "HTTP mode: the callback 签名 token, 3-32 letters or digits.", secret=True))
    callback_aes_key: str = field(default="", metadata=_doc(
        "HTTP mode: the callback 加密 aes_key, exactly 43 characters of [A-Za-z0-9].", secret=True))
    api_base: str = field(default="https://api.dingtalk.com", metadata=_doc(
        "Base URL of the new API family (api.dingtalk.com); the sandbox stands in here."))
    oapi_base: str = field(default="https://oapi.dingtalk.com", metadata=_doc(
        "Base URL of the old API family (oapi.dingtalk.com); the sandbox stands in here."))
    qps_per_api: int = field(default=20, metadata=_doc(
        "Calls per second per API that we allow ourselves (DingTalk throttles at 20)."))
    monthly_quota: int = field(default=5000, metadata=_doc(
        "Quota-metered calls per month (standard edition: 5000); 0 means unlimited (paid editions)."))

    @property
    def effective_robot_code(self) -> str:
        """robot_code, or the AppKey when empty (an internal app's robotCode equals its AppKey)."""
        return self.robot_code or self.app_key


@dataclass(frozen=True)
class DatabaseSettings:
    """[database]: where the store lives."""

    url: str = field(default=DEFAULT_DATABASE_URL, metadata=_doc(
        "SQLAlchemy URL. Default: an SQLite file beside this config file (relative paths are resolved "
        "against it). PostgreSQL: postgresql://user:password@host:5432/dingperf (psycopg 3).",
        secret=True))


@dataclass(frozen=True)
class ServerSettings:
    """[server]: the web process."""

    host: str = field(default="127.0.0.1", metadata=_doc("Interface `dingperf serve web` binds to."))
    port: int = field(default=8080, metadata=_doc("Port `dingperf serve web` listens on."))
    public_url: str = field(default="", metadata=_doc(
        "URL DingTalk and browsers reach this server at (https://perf.example.com); used for the "
        "callback URL and workbench links. Empty is fine in stream mode without a workbench."))
    secret_key: str = field(default="", metadata=_doc(
        "Random string of at least 32 characters signing login sessions; keep it secret.", secret=True))


@dataclass(frozen=True)
class OrgSettings:
    """[org]: facts about the organisation."""

    timezone: str = field(default="Asia/Shanghai", metadata=_doc(
        "IANA time zone for work dates, deadlines and reminders."))
    hr_userids: tuple[str, ...] = field(default=(), metadata=_doc(
        "DingTalk userids with HR administrator rights in dingperf, e.g. [\"manager4321\"]."))

    @property
    def zone(self) -> ZoneInfo:
        """The org's time zone (validated at load)."""
        return ZoneInfo(self.timezone)


SECTIONS: dict[str, type] = {
    "dingtalk": DingTalkSettings,
    "database": DatabaseSettings,
    "server": ServerSettings,
    "org": OrgSettings,
}


@dataclass(frozen=True)
class Settings:
    """All settings; `source` is the config file read (None when built in code)."""

    dingtalk: DingTalkSettings = field(default_factory=DingTalkSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    org: OrgSettings = field(default_factory=OrgSettings)
    source: Path | None = None
    # "section.key" -> "default" | "file" | "env DINGPERF_..." ; for `config check`
    origins: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), compare=False, hash=False)

    @property
    def is_sandbox(self) -> bool:
        return self.dingtalk.sandbox


def find_config_path(config: str | os.PathLike[str] | None = None,
                     environ: Mapping[str, str] | None = None) -> Path:
    """The config file to use: the explicit path, else $DINGPERF_CONFIG, else ./config.toml."""
    env = os.environ if environ is None else environ
    if config:
        return Path(config)
    if env.get(CONFIG_ENV):
        return Path(env[CONFIG_ENV])
    return Path(DEFAULT_CONFIG)


def load_settings(config: str | os.PathLike[str] | None = None, *,
                  environ: Mapping[str, str] | None = None) -> Settings:
    """Read, override from the environment and validate; raise ConfigError listing every problem."""
    env = os.environ if environ is None else environ
    path = find_config_path(config, env).expanduser()
    if not path.is_file():
        raise ConfigError([ConfigProblem(
            key="config", where=str(path), message="no config file here",
            fix="run `dingperf init --sandbox` (or `--org`) to write one, or pass --config PATH / set "
                f"{CONFIG_ENV}")])
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError([ConfigProblem(
            key="config", where=str(path), message=f"not valid TOML: {exc}",
            fix="correct the syntax (strings need quotes; compare with config.example.toml)")]) from exc
    return settings_from_mapping(raw, source=path.resolve(), environ=env)


def settings_from_mapping(raw: Mapping[str, Any], *, source: Path | None = None,
                          environ: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from parsed TOML (plus optional env overrides); relative SQLite paths resolve
    against the config file's folder (or the current folder without one)."""
    where_file = f"file {source}" if source else "settings"
    problems: list[ConfigProblem] = []
    values: dict[str, dict[str, Any]] = {name: {} for name in SECTIONS}
    origins: dict[str, str] = {}
    _read_file(raw, where_file, values, origins, problems)
    _read_env({} if environ is None else environ, values, origins, problems)
    sections: dict[str, Any] = {}
    for name, cls in SECTIONS.items():
        for f in fields(cls):
            origins.setdefault(f"{name}.{f.name}", "default")
        sections[name] = cls(**values[name])
    base_dir = source.parent if source else Path.cwd()
    sections["database"] = DatabaseSettings(url=_resolve_sqlite(sections["database"].url, base_dir))
    settings = Settings(**sections, source=source, origins=MappingProxyType(origins))
    problems += check_settings(settings, lambda key: _where(origins[key], source))
    if problems:
        raise ConfigError(problems)
    return settings


def _where(origin: str, source: Path | None) -> str:
    if origin == "file":
        return f"file {source}" if source else "settings"
    if origin == "default":
        return f"not set in {source}, default used" if source else "not set, default used"
    return origin


def _read_file(raw: Mapping[str, Any], where: str, values: dict[str, dict[str, Any]],
               origins: dict[str, str], problems: list[ConfigProblem]) -> None:
    for section, body in raw.items():
        cls = SECTIONS.get(section)
        if cls is None or not isinstance(body, Mapping):
            problems.append(ConfigProblem(
                key=section, where=where, message="unknown section" if cls is None else "must be a [table]",
                fix=_suggest(section, SECTIONS) + f"; known sections: {', '.join(SECTIONS)}"))
            continue
        known = {f.name: f for f in fields(cls)}
        for key, value in body.items():
            name = f"{section}.{key}"
            if key not in known:
                problems.append(ConfigProblem(key=name, where=where, message="unknown key",
                                              fix=_suggest(key, known) + " or remove it"))
                continue
            converted = _typed(known[key].type, value)
            if isinstance(converted, _Bad):
                problems.append(ConfigProblem(key=name, where=where, message=converted.message,
                                              fix=f"write it as {converted.example}"))
                continue
            values[section][key] = converted
            origins[name] = "file"


def _read_env(environ: Mapping[str, str], values: dict[str, dict[str, Any]],
              origins: dict[str, str], problems: list[ConfigProblem]) -> None:
    for var, text in sorted(environ.items()):
        if not var.startswith(ENV_PREFIX) or var == CONFIG_ENV:
            continue
        section, _, key = var[len(ENV_PREFIX):].lower().partition("_")
        cls = SECTIONS.get(section)
        if cls is None:
            continue  # DINGPERF_TEST_* and friends belong to other tools
        known = {f.name: f for f in fields(cls)}
        name = f"{section}.{key}"
        if key not in known:
            problems.append(ConfigProblem(key=name, where=f"env {var}", message="unknown key",
                                          fix=_suggest(key, known, prefix=f"{ENV_PREFIX}{section.upper()}_")
                                          + " or unset it"))
            continue
        converted = _from_env(known[key].type, text)
        if isinstance(converted, _Bad):
            problems.append(ConfigProblem(key=name, where=f"env {var}", message=converted.message,
                                          fix=f"set it to {converted.example}"))
            continue
        values[section][key] = converted
        origins[name] = f"env {var}"


@dataclass(frozen=True)
class _Bad:
    message: str
    example: str


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _typed(kind: str, value: Any) -> Any:
    """Check a TOML value against the field's annotation (annotations are strings here)."""
    if kind == "bool":
        return value if isinstance(value, bool) else _Bad(f"must be true or false, got {value!r}", "true")
    if kind == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        return _Bad(f"must be a whole number, got {value!r}", "20 (no quotes)")
    if kind.startswith("tuple"):
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        return _Bad(f"must be a list of strings, got {value!r}", '["user1", "user2"]')
    if isinstance(value, str):
        return value
    return _Bad(f"must be a string, got {value!r}", '"text" (in double quotes)')


def _from_env(kind: str, text: str) -> Any:
    """Convert an environment string to the field's type."""
    text = text.strip()
    if kind == "bool":
        if text.lower() in _TRUE | _FALSE:
            return text.lower() in _TRUE
        return _Bad(f"must be true or false, got {text!r}", "true or false")
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            return _Bad(f"must be a whole number, got {text!r}", "a number such as 20")
    if kind.startswith("tuple"):
        return tuple(part.strip() for part in text.split(",") if part.strip())
    return text


def _suggest(word: str, known: Mapping[str, Any], prefix: str = "") -> str:
    close = difflib.get_close_matches(word, list(known), n=1)
    return f"did you mean {prefix}{close[0].upper() if prefix else close[0]}?" if close else "check the spelling"


def _resolve_sqlite(url: str, base_dir: Path) -> str:
    """sqlite:///relative.db -> sqlite:////abs/dir/relative.db, so the file sits beside the config."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url in ("sqlite://", "sqlite:///:memory:"):
        return url
    path, sep, query = url[len(prefix):].partition("?")
    if path.startswith(("/", "file:")) or path == ":memory:":
        return url
    return f"{prefix}{(base_dir / path).resolve()}{sep}{query}"


def sandbox_settings(*, base_url: str, corp_id: str, app_key: str, app_secret: str, agent_id: int,
                     robot_code: str, callback_token: str, callback_aes_key: str,
                     database_url: str = DEFAULT_DATABASE_URL, event_mode: str = "stream",
                     secret_key: str = "sandbox-secret-key-not-for-production-use",
                     hr_userids: tuple[str, ...] = ()) -> Settings:
    """Validated settings pointing both API families at a running sandbox (demos and tests)."""
    raw = {
        "dingtalk": {"sandbox": True, "corp_id": corp_id, "app_key": app_key, "app_secret": app_secret,
                     "agent_id": agent_id, "robot_code": robot_code, "event_mode": event_mode,
                     "callback_token": callback_token, "callback_aes_key": callback_aes_key,
                     "api_base": base_url, "oapi_base": base_url},
        "database": {"url": database_url},
        "server": {"secret_key": secret_key},
        "org": {"hr_userids": list(hr_userids)},
    }
    return settings_from_mapping(raw)


def masked_settings(settings: Settings) -> dict[str, dict[str, Any]]:
    """The effective settings as plain data with every secret masked (for `config check`)."""
    out: dict[str, dict[str, Any]] = {}
    for name in SECTIONS:
        section = getattr(settings, name)
        rendered: dict[str, Any] = {}
        for f in fields(section):
            value = getattr(section, f.name)
            if name == "database" and f.name == "url":
                value = mask_url(value)
            elif f.metadata.get("secret"):
                value = mask_secret(value)
            elif isinstance(value, tuple):
                value = list(value)
            rendered[f.name] = value
        out[name] = rendered
    return out
