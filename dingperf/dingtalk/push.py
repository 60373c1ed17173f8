"""HTTP event push wire format: query names, the encrypted body, decrypted payload forms (DINGTALK.md §10).

The only module that knows how DingTalk spells an HTTP-pushed event; it yields `WireEvent`s that
`dingperf.events` turns into its transport-agnostic value.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# DingTalk's docs and the official crypto README disagree on names; accept every spelling (§10.2).
SIGNATURE_PARAMS = ("msg_signature", "signature")
TIMESTAMP_PARAMS = ("timestamp", "timeStamp")
NONCE_PARAM = "nonce"
CHECK_URL = "check_url"

# The pushed body is exactly {"encrypt": "<base64>"}. Matching it literally lets the endpoint verify the
# signature before any JSON parser sees unauthenticated input. JSON encoders may escape "/" as "\/".
_BODY = re.compile(rb'\A\s*\{\s*"encrypt"\s*:\s*"((?:[A-Za-z0-9+=]|\\?/){1,1048576})"\s*\}\s*\Z')
_DIGITS = re.compile(r"\A[0-9]{1,16}\Z")
_MS_THRESHOLD = 100_000_000_000  # below: seconds (until year 5138); above: milliseconds

# Metadata keys of the decrypted HTTP forms; everything else is the business object.
_CURRENT_META = ("EventType", "EventTime", "CorpId", "corpId", "eventId", "TimeStamp")
# Failed-list items nest the business object under one of these (doc text) or inline (doc sample).
_FAILED_WRAPPERS = ("bpmsCallBackData", "callbackData", "roleLabelChange")
# The failed list spells ids in lower case (`userid`, `deptid`); handlers read the Stream spelling.
_FAILED_RENAMES = {"userid": "userId", "deptid": "deptId"}


class PushFormatError(ValueError):
    """A pushed request or payload does not have DingTalk's shape; `reason` says which part."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PushQuery:
    """The signed query of one push: signature, timestamp (literal string as signed) and nonce."""

    signature: str
    timestamp: str
    nonce: str

    @property
    def timestamp_s(self) -> float:
        """The timestamp in seconds, whether DingTalk sent seconds or milliseconds."""
        return timestamp_seconds(self.timestamp)


@dataclass(frozen=True)
class WireEvent:
    """One DingTalk event as read off the wire, before it becomes a `dingperf.events.Event`."""

    event_type: str
    event_id: str
    corp_id: str
    born_at_ms: int | None
    payload: dict[str, Any] = field(default_factory=dict)


def timestamp_seconds(value: str) -> float:
    """Interpret a DingTalk timestamp string given in seconds or milliseconds."""
    if not _DIGITS.match(value or ""):
        raise PushFormatError(f"timestamp {value!r} is not a number of seconds or milliseconds")
    number = int(value)
    return number / 1000.0 if number >= _MS_THRESHOLD else float(number)


def read_query(args: Mapping[str, str]) -> PushQuery:
    """Read signature, timestamp and nonce under any of their documented names."""
    sig = next((args[n] for n in SIGNATURE_PARAMS if args.get(n)), "")
    ts = next((args[n] for n in TIMESTAMP_PARAMS if args.get(n)), "")
    nonce = args.get(NONCE_PARAM, "")
    if not sig:
        raise PushFormatError("no msg_signature/signature in the query")
    if not ts:
        raise PushFormatError("no timestamp/timeStamp in the query")
    if not nonce:
        raise PushFormatError("no nonce in the query")
    return PushQuery(signature=sig, timestamp=ts, nonce=nonce)


def read_encrypt(raw_body: bytes) -> str:
    """Extract the base64 `encrypt` value from the raw body without a general JSON parse."""
    match = _BODY.match(raw_body)
    if match is None:
        raise PushFormatError('body is not {"encrypt": "<base64>"}')
    return match.group(1).replace(b"\\/", b"/").decode("ascii")


def is_check_url(decrypted: Mapping[str, Any]) -> bool:
    """True for the URL-validation probe DingTalk sends when the callback URL is saved."""
    return decrypted.get("EventType") == CHECK_URL


def stable_event_id(*parts: Any) -> str:
    """A deterministic id for events DingTalk sent without one (legacy form, failed list)."""
    canonical = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return "h-" + hashlib.sha256(canonical.encode()).hexdigest()[:40]


def _int_ms(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise PushFormatError(f"event time {value!r} is not milliseconds") from exc


def _lower_first(key: str) -> str:
    return key[:1].lower() + key[1:]


def parse_pushed_event(decrypted: Mapping[str, Any], default_corp_id: str = "") -> WireEvent:
    """Read a decrypted HTTP push in its current or legacy form (§3.3, §10.4)."""
    event_type = decrypted.get("EventType")
    if not isinstance(event_type, str) or not event_type:
        raise PushFormatError("decrypted payload has no EventType")
    if event_type == CHECK_URL:
        raise PushFormatError("check_url is a URL probe, not an event")
    # Archived approval events carry `corpId` (camelCase) instead of `CorpId`.
    corp_id = str(decrypted.get("CorpId") or decrypted.get("corpId") or default_corp_id)
    if not corp_id:
        raise PushFormatError("decrypted payload has no CorpId and no default corp id was given")
    business = {k: v for k, v in decrypted.items() if k not in _CURRENT_META}
    if "EventTime" in decrypted or "eventId" in decrypted:
        born = _int_ms(decrypted.get("EventTime"))
        payload = business
    else:
        # Legacy form {"EventType","TimeStamp","UserId":[…],"CorpId"}: capitalised business keys are
        # lowered to the Stream spelling (UserId -> userId) so handlers read one shape.
        born = _int_ms(decrypted.get("TimeStamp"))
        payload = {_lower_first(k): v for k, v in business.items()}
    event_id = decrypted.get("eventId")
    if not event_id:
        event_id = stable_event_id("http", event_type, corp_id, dict(decrypted))
    return WireEvent(event_type=event_type, event_id=str(event_id), corp_id=corp_id,
                     born_at_ms=born, payload=payload)


def parse_failed_item(item: Mapping[str, Any], default_corp_id: str = "") -> WireEvent:
    """Read one `failed_list` entry of get_call_back_failed_result (§10.6)."""
    event_type = item.get("call_back_tag")
    if not isinstance(event_type, str) or not event_type:
        raise PushFormatError("failed_list item has no call_back_tag")
    body = item.get(event_type)
    if not isinstance(body, Mapping):
        raise PushFormatError(f"failed_list item has no {event_type!r} object")
    inner: dict[str, Any] = {}
    for wrapper in _FAILED_WRAPPERS:
        value = body.get(wrapper)
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise PushFormatError(f"failed_list {wrapper} is not JSON") from exc
        if isinstance(value, Mapping):
            inner.update(value)
    payload = {_FAILED_RENAMES.get(k, k): v for k, v in body.items() if k not in _FAILED_WRAPPERS and k != "corpid"}
    payload.update(inner)
    corp_id = str(body.get("corpid") or inner.get("corpId") or inner.get("CorpId") or default_corp_id)
    if not corp_id:
        raise PushFormatError("failed_list item has no corpid and no default corp id was given")
    born = _int_ms(item.get("event_time"))
    event_id = inner.get("eventId") or body.get("eventId")
    if not event_id:
        event_id = stable_event_id("failed_list", event_type, corp_id, born, dict(body))
    return WireEvent(event_type=event_type, event_id=str(event_id), corp_id=corp_id,
                     born_at_ms=born, payload=payload)


def decode_json_object(plaintext: str) -> dict[str, Any]:
    """Parse a decrypted plaintext that must be one JSON object."""
    try:
        value = json.loads(plaintext)
    except json.JSONDecodeError as exc:
        raise PushFormatError("decrypted message is not JSON") from exc
    if not isinstance(value, dict):
        raise PushFormatError("decrypted message is not a JSON object")
    return value
