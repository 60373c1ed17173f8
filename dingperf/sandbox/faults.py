"""Injected faults: the next N calls to a path fail the way DingTalk fails (DINGTALK.md §1, §12.1)."""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass

from flask import Flask, Response, g, request

from dingperf.sandbox.wire import NewApiError, OldApiError, is_new_family, new_error_response

KINDS = ("throttle", "busy", "timeout", "timeout88", "5xx", "slow", "token_expired", "reset")


@dataclass(frozen=True)
class Fault:
    """One armed fault: `kind` from KINDS; `seconds` is the latency of `slow` (real seconds)."""

    path: str
    kind: str
    seconds: float = 3.5


class FaultBook:
    """Armed faults per path, consumed one per matching call, first armed first served."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: dict[str, deque[Fault]] = {}

    def arm(self, path: str, kind: str, times: int, seconds: float = 3.5) -> None:
        """Make the next `times` calls to `path` get `kind`; raises ValueError on a bad request."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; use one of {', '.join(KINDS)}")
        if not path.startswith("/"):
            raise ValueError(f"path must start with '/', got {path!r}")
        if times < 1:
            raise ValueError(f"times must be at least 1, got {times}")
        if seconds < 0:
            raise ValueError(f"seconds must not be negative, got {seconds}")
        with self._lock:
            queue = self._armed.setdefault(path, deque())
            queue.extend(Fault(path, kind, seconds) for _ in range(times))

    def take(self, path: str) -> Fault | None:
        """The fault for this call to `path`, if one is armed."""
        with self._lock:
            queue = self._armed.get(path)
            if not queue:
                return None
            fault = queue.popleft()
            if not queue:
                del self._armed[path]
            return fault

    def pending(self) -> dict[str, list[str]]:
        """Armed fault kinds per path, in the order they will fire."""
        with self._lock:
            return {path: [f.kind for f in queue] for path, queue in self._armed.items()}

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()


def fault_error(fault: Fault, path: str) -> Exception | None:
    """The dialect-correct exception for `fault` on `path`; None for kinds that are not errors."""
    new = is_new_family(path)
    if fault.kind == "throttle":
        if new:
            return NewApiError(
                403, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi", "调用频率超过限制 (injected)"
            )
        return OldApiError(90018, "当前企业的应用调用该接口的并发量超过限制，请稍后重试 (injected)")
    if fault.kind == "busy":
        return (
            NewApiError(429, "system.busy", "系统繁忙 (injected)")
            if new
            else OldApiError(-1, "系统繁忙 (injected)")
        )
    if fault.kind in ("timeout", "timeout88"):
        if new:
            return NewApiError(504, "service.timeout", "服务超时 (injected)")
        if fault.kind == "timeout":
            return OldApiError(
                15,
                "服务超时 (injected)",
                sub_code="isp.top-remote-connection-timeout",
                sub_msg="远程服务超时",
            )
        return OldApiError(88, "ding talk error[subcode=,submsg=] (injected)", sub_code="", sub_msg="")
    if fault.kind == "token_expired":
        if new:
            return NewApiError(400, "InvalidAuthentication", "不合法的access_token (injected)")
        return OldApiError(40014, "不合法的access_token (injected)")
    return None


def _drop_connection() -> None:
    # Shut the TCP connection under werkzeug's feet; its handler treats the failed write as a
    # dropped client, and the caller sees a connection reset / remote disconnect.
    sock = request.environ.get("werkzeug.socket")
    if sock is None:
        raise RuntimeError("the reset fault needs the werkzeug server (no socket in the WSGI environ)")
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def install_faults(app: Flask) -> None:
    """Answer a call with its armed fault before any endpoint sees it (/_sandbox/* never faults)."""

    @app.before_request
    def _inject_fault() -> Response | None:
        if request.path.startswith("/_sandbox/"):
            return None
        fault = app.extensions["sandbox"].faults.take(request.path)
        if fault is None:
            return None
        g.sandbox_fault = fault.kind
        if fault.kind == "slow":
            time.sleep(fault.seconds)  # real latency: the client's timeout is wall-clock
            return None
        if fault.kind == "reset":
            _drop_connection()
            return Response(b"", status=500)
        if fault.kind == "5xx":
            if is_new_family(request.path):
                return new_error_response(
                    NewApiError(503, "ServiceUnavailable", "Service Unavailable (injected)")
                )
            return Response(
                "<html><body><h1>502 Bad Gateway</h1></body></html>", status=502, mimetype="text/html"
            )
        error = fault_error(fault, request.path)
        assert error is not None
        raise error
