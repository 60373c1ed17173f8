"""Settings for a running sandbox: every test that needs dingperf pointed at the embedded DingTalk builds them here."""

from __future__ import annotations

from typing import Any

from dingperf.settings import Settings, sandbox_settings


def settings_for(sandbox: Any, db_url: str = "sqlite://", **overrides: Any) -> Settings:
    """Validated settings for `sandbox` (a SandboxServer) and the database at db_url; keyword overrides are
    passed to dingperf.settings.sandbox_settings (event_mode, hr_userids, ...)."""
    app = sandbox.state.app
    values: dict[str, Any] = {
        "base_url": sandbox.base_url, "corp_id": app.corp_id, "app_key": app.app_key, "app_secret": app.app_secret,
        "agent_id": app.agent_id, "robot_code": app.robot_code, "callback_token": app.callback_token,
        "callback_aes_key": app.callback_aes_key, "database_url": db_url,
    }
    values.update(overrides)
    return sandbox_settings(**values)
