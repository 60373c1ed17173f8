"""A record of every inbound DingTalk call and how the sandbox answered it, for assertions."""

from __future__ import annotations

import re
import threading
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

from flask import Flask, Response, g, request

_SMALL_BODY = 4096
_ERRCODE = re.compile(rb'^\{[^{]*?"errcode":\s*(-?\d+)')
MAX_RECORDS = 100_000  # enough for a 10,000-employee sync; the oldest fall off after that


@dataclass(frozen=True)
class RecordedRequest:
    """One call: what came in and what went out (errcode for oapi, code for api.dingtalk.com)."""

    seq: int
    time: float
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    status: int
    errcode: int | None
    code: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Recorder:
    """Thread-safe, bounded list of RecordedRequest in arrival order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: deque[RecordedRequest] = deque(maxlen=MAX_RECORDS)
        self._seq = 0

    def add(self, **fields: Any) -> RecordedRequest:
        with self._lock:
            self._seq += 1
            record = RecordedRequest(seq=self._seq, **fields)
            self._records.append(record)
            return record

    def list(self, path: str | None = None, method: str | None = None) -> list[RecordedRequest]:
        """Recorded calls, oldest first, optionally only those to `path` and/or with `method`."""
        with self._lock:
            records = list(self._records)
        return [
            r
            for r in records
            if (path is None or r.path == path) and (method is None or r.method == method.upper())
        ]

    def count(self, path: str | None = None) -> int:
        return len(self.list(path))

    def clear(self) -> None:
        with self._lock:
            self._records.clear()


def install_recorder(app: Flask) -> None:
    """Record every call outside /_sandbox/ with the status and error code it was answered with."""

    @app.after_request
    def _record(resp: Response) -> Response:
        if request.path.startswith("/_sandbox/"):
            return resp
        state = app.extensions["sandbox"]
        errcode: int | None = None
        code: str | None = None
        if resp.is_json and not resp.direct_passthrough:
            raw = resp.get_data()
            if resp.status_code < 400 and len(raw) > _SMALL_BODY:
                # A big 2xx body is a success page (user/list, attendance); re-parsing it for one
                # number would double the cost of every page, so read the top-level errcode only.
                found = _ERRCODE.search(raw)
                errcode = int(found.group(1)) if found else None
            else:
                body = resp.get_json(silent=True)
                if isinstance(body, dict):
                    errcode = body.get("errcode") if isinstance(body.get("errcode"), int) else None
                    code = body.get("code") if isinstance(body.get("code"), str) else None
        status = 0 if g.get("sandbox_fault") == "reset" else resp.status_code
        state.recorder.add(
            time=state.clock.now(),
            method=request.method,
            path=request.path,
            query=request.args.to_dict(),
            headers=dict(request.headers.items()),
            json=request.get_json(silent=True),
            status=status,
            errcode=errcode,
            code=code,
        )
        return resp
