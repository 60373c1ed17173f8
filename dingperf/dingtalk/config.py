"""What the DingTalk client needs to know about one installed app."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClientConfig:
    """One internal app's credentials, endpoints and limits (DESIGN.md "Fixed interfaces", [dingtalk])."""

    corp_id: str
    app_key: str
    app_secret: str
    agent_id: int
    robot_code: str
    api_base: str = "https://api.dingtalk.com"
    oapi_base: str = "https://oapi.dingtalk.com"
    qps_per_api: int = 20
    monthly_quota: int = 5000
    timeout_s: float = 10.0
    max_attempts: int = 5

    def __post_init__(self) -> None:
        if self.qps_per_api < 1:
            raise ValueError(f"qps_per_api must be at least 1, got {self.qps_per_api}")
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        if self.timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, got {self.timeout_s}")

    def base_for(self, path: str) -> str:
        """The base URL serving `path`: api.dingtalk.com for /v1.0/..., oapi otherwise."""
        base = self.api_base if path.startswith("/v1.0/") else self.oapi_base
        return base.rstrip("/")
