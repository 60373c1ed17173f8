"""The only package that knows DingTalk: URLs, headers, error codes, crypto, limits.

Start from `DingTalkClient(ClientConfig(...))`; failures raise `DingTalkError` subclasses.
"""

from dingperf.dingtalk.client import DingTalkClient
from dingperf.dingtalk.config import ClientConfig
from dingperf.dingtalk.errors import (
    AuthExpired,
    CredentialsInvalid,
    DingTalkError,
    NotFound,
    Permanent,
    PermissionDenied,
    QuotaExhausted,
    RateLimited,
    Transient,
)
from dingperf.dingtalk.webhook import GroupRobotWebhook

__all__ = [
    "AuthExpired",
    "ClientConfig",
    "CredentialsInvalid",
    "DingTalkClient",
    "DingTalkError",
    "GroupRobotWebhook",
    "NotFound",
    "Permanent",
    "PermissionDenied",
    "QuotaExhausted",
    "RateLimited",
    "Transient",
]
