"""Custom group robots (自定义机器人, webhook `POST /robot/send`; DINGTALK.md §6.3).

Each robot has an access_token, one or more security modes (sign, keywords, ip), a target
group, a 20-per-minute budget whose overrun blocks it for 10 minutes, and msgUuid idempotency.
Errors are the oapi dialect's, with DingTalk's 310000 errmsg variants.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from dingperf.dingtalk.crypto import robot_sign
from dingperf.sandbox.wire import OldApiError

SECURITY_MODES = ("sign", "keywords", "ip")
PER_MINUTE = 20
BLOCK_S = 600
SIGN_WINDOW_MS = 3_600_000
MAX_KEYWORDS = 10
MSGTYPES = ("text", "link", "markdown", "actionCard", "feedCard")


@dataclass
class CustomRobot:
    access_token: str
    open_conversation_id: str
    security: tuple[str, ...]
    secret: str | None
    keywords: tuple[str, ...]
    ips: tuple[str, ...]
    sent_at: deque = field(default_factory=deque)  # accepted-message times (s) in the last minute
    blocked_until: float = 0.0
    msg_uuids: set[str] = field(default_factory=set)
    messages: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "openConversationId": self.open_conversation_id,
            "security": list(self.security),
            "secret": self.secret,
            "keywords": list(self.keywords),
            "ips": list(self.ips),
            "blocked_until_ms": int(self.blocked_until * 1000) if self.blocked_until else None,
        }


def _parse_security(security: Any) -> tuple[str, ...]:
    modes = [security] if isinstance(security, str) else security
    if not isinstance(modes, list) or not modes or any(m not in SECURITY_MODES for m in modes):
        raise ValueError(
            f"'security' must be one of {SECURITY_MODES} or a list of them (a robot needs at least one)"
        )
    return tuple(dict.fromkeys(modes))


def text_of(body: dict[str, Any]) -> str:
    """All human-visible text of a webhook message (what the keyword check searches)."""
    msgtype = body.get("msgtype")
    part = body.get(msgtype) if isinstance(msgtype, str) else None
    if not isinstance(part, dict):
        return ""
    pieces = [str(part.get(k, "")) for k in ("content", "title", "text", "singleTitle")]
    pieces += [str(b.get("title", "")) for b in part.get("btns", []) or [] if isinstance(b, dict)]
    pieces += [str(link.get("title", "")) for link in part.get("links", []) or [] if isinstance(link, dict)]
    return "\n".join(pieces)


@dataclass
class RobotRegistry:
    _robots: dict[str, CustomRobot] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def create(
        self,
        *,
        open_conversation_id: str,
        security: Any,
        secret: str | None = None,
        keywords: list[str] | None = None,
        ips: list[str] | None = None,
    ) -> CustomRobot:
        """Add a custom robot to a group; raises ValueError naming the bad setting."""
        modes = _parse_security(security)
        if "sign" in modes:
            secret = secret or "SEC" + secrets.token_hex(32)
            if not secret.startswith("SEC"):
                raise ValueError("a 加签 secret starts with 'SEC'")
        kw = tuple(keywords or ())
        if "keywords" in modes and not (1 <= len(kw) <= MAX_KEYWORDS):
            raise ValueError(f"security 'keywords' needs 1 to {MAX_KEYWORDS} keywords")
        ip_list = tuple(ips or ())
        if "ip" in modes:
            if not ip_list:
                raise ValueError("security 'ip' needs 'ips', a list of IPv4 addresses or CIDR ranges")
            for item in ip_list:
                ipaddress.IPv4Network(item, strict=False)  # raises ValueError on a bad entry
        robot = CustomRobot(
            access_token=secrets.token_hex(32),
            open_conversation_id=open_conversation_id,
            security=modes,
            secret=secret if "sign" in modes else None,
            keywords=kw,
            ips=ip_list,
        )
        with self._lock:
            self._robots[robot.access_token] = robot
        return robot

    def get(self, access_token: str | None) -> CustomRobot:
        with self._lock:
            robot = self._robots.get(access_token or "")
        if robot is None:
            raise OldApiError(400101, "access_token不存在: no custom robot has this token")
        return robot

    def all(self) -> list[CustomRobot]:
        with self._lock:
            return list(self._robots.values())

    def clear_history(self) -> None:
        """Forget sent messages, rate windows, blocks and seen msgUuids; robots keep their settings."""
        with self._lock:
            for robot in self._robots.values():
                robot.sent_at.clear()
                robot.blocked_until = 0.0
                robot.msg_uuids.clear()
                robot.messages.clear()

    def accept(
        self,
        robot: CustomRobot,
        body: dict[str, Any],
        *,
        timestamp: str | None,
        sign: str | None,
        remote_ip: str,
        now_s: float,
    ) -> bool:
        """Run DingTalk's checks for one webhook call; True if the message is new, False if a
        repeated msgUuid (accepted, not posted again). Raises OldApiError on every refusal."""
        with self._lock:
            if now_s < robot.blocked_until:
                raise OldApiError(
                    410100, "send too fast, exceed 20 times per minute; the robot is blocked for 10 min"
                )
            _check_security(robot, body, timestamp, sign, remote_ip, now_s)
            if body.get("msgtype") not in MSGTYPES or not isinstance(body.get(body["msgtype"]), dict):
                raise OldApiError(400105, f"不支持的消息类型: msgtype must be one of {', '.join(MSGTYPES)}")
            uuid = body.get("msgUuid")
            if isinstance(uuid, str) and uuid and uuid in robot.msg_uuids:
                return False
            while robot.sent_at and robot.sent_at[0] <= now_s - 60:
                robot.sent_at.popleft()
            if len(robot.sent_at) >= PER_MINUTE:
                robot.blocked_until = now_s + BLOCK_S
                raise OldApiError(
                    410100, "send too fast, exceed 20 times per minute; the robot is blocked for 10 min"
                )
            robot.sent_at.append(now_s)
            if isinstance(uuid, str) and uuid:
                robot.msg_uuids.add(uuid)
            robot.messages.append({"at_ms": int(now_s * 1000), "body": body})
            return True


def _check_security(
    robot: CustomRobot,
    body: dict[str, Any],
    timestamp: str | None,
    sign: str | None,
    remote_ip: str,
    now_s: float,
) -> None:
    if "sign" in robot.security:
        if (
            not timestamp
            or not timestamp.isdigit()
            or abs(int(timestamp) - int(now_s * 1000)) > SIGN_WINDOW_MS
        ):
            raise OldApiError(310000, "invalid timestamp")
        expected = robot_sign(robot.secret or "", int(timestamp))
        if not sign or not hmac.compare_digest(expected.encode(), sign.encode()):
            raise OldApiError(310000, "sign not match")
    if "keywords" in robot.security:
        text = text_of(body)
        if not any(k in text for k in robot.keywords):
            raise OldApiError(310000, "keywords not in content")
    if "ip" in robot.security:
        addr = ipaddress.ip_address(remote_ip)
        if not any(addr in ipaddress.IPv4Network(net, strict=False) for net in robot.ips):
            raise OldApiError(310000, f"ip {remote_ip} not in whitelist")
