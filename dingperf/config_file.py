"""Write config.toml text from the settings' own field docs, so every key is documented in one place.

config.example.toml in the repository is `render_example()`; a unit test keeps the two identical.
"""

from __future__ import annotations

import json
import secrets
import textwrap
from collections.abc import Mapping
from dataclasses import MISSING, fields
from typing import Any

from dingperf.settings import SECTIONS

PLACEHOLDER = "change-me"

_HEADER = """\
# dingperf configuration.
# Lookup: --config PATH, else $DINGPERF_CONFIG, else ./config.toml.
# Any key can be overridden by an environment variable DINGPERF_<SECTION>_<KEY>,
# e.g. DINGPERF_DINGTALK_APP_SECRET or DINGPERF_DATABASE_URL (lists: comma-separated).
# Check what is in effect (secrets masked) with: dingperf config check
"""

_EXAMPLE: dict[str, dict[str, Any]] = {
    "dingtalk": {"corp_id": PLACEHOLDER, "app_key": PLACEHOLDER, "app_secret": PLACEHOLDER,
                 "agent_id": 0, "callback_token": PLACEHOLDER, "callback_aes_key": PLACEHOLDER},
    "server": {"secret_key": PLACEHOLDER},
}


def toml_value(value: Any) -> str:
    """One TOML literal (JSON string escaping is valid TOML basic-string escaping)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def render_config(values: Mapping[str, Mapping[str, Any]], *, header: str = _HEADER) -> str:
    """Every section and key with its doc comment; `values` overrides the defaults."""
    out = [header]
    for name, cls in SECTIONS.items():
        out.append(f"\n[{name}]\n")
        for f in fields(cls):
            given = values.get(name, {})
            if f.name in given:
                value = given[f.name]
            elif f.default is not MISSING:
                value = f.default
            else:
                value = f.default_factory()  # type: ignore[misc]
            for line in textwrap.wrap(f.metadata["doc"], width=100):
                out.append(f"# {line}\n")
            out.append(f"{f.name} = {toml_value(value)}\n")
    return "".join(out)


def render_example() -> str:
    """The shipped config.example.toml: defaults, with placeholders where only the admin knows the value."""
    return render_config(_EXAMPLE)


def render_org_config() -> str:
    """A config for a real organisation: placeholders to fill in, but a freshly generated secret_key."""
    values = {section: dict(keys) for section, keys in _EXAMPLE.items()}
    values["server"]["secret_key"] = secrets.token_urlsafe(32)
    return render_config(values)


def render_sandbox_config(credentials: Mapping[str, Any], base_url: str, *, event_mode: str = "stream") -> str:
    """A config that talks to `dingperf sandbox` at base_url with the credentials it will accept."""
    keys = ("corp_id", "app_key", "app_secret", "agent_id", "robot_code", "callback_token", "callback_aes_key")
    dingtalk = {key: credentials[key] for key in keys}
    dingtalk.update(sandbox=True, event_mode=event_mode, api_base=base_url, oapi_base=base_url)
    values = {"dingtalk": dingtalk, "server": {"secret_key": secrets.token_urlsafe(32)}}
    header = _HEADER + "# Written by `dingperf init --sandbox`: start the sandbox with `dingperf sandbox`.\n"
    return render_config(values, header=header)
