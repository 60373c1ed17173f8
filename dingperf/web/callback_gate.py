"""The checks an HTTP-pushed event passes before anything is stored (DINGTALK.md §10): size, query,
replay window, signature over the raw `encrypt` value, decryption and owner key — in that order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dingperf.dingtalk import push
from dingperf.dingtalk.crypto import CallbackCrypto, CryptoError

_OWNER_KEY_MISMATCH = 900010


class Rejected(Exception):
    """The push is refused; `status` is the HTTP answer, `reason` goes to the log only."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"{status}: {reason}")
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class GateSettings:
    """Replay window and body cap for pushed events."""

    replay_window_s: float = 300.0
    max_body_bytes: int = 64 * 1024


def check_size(content_length: int | None, max_body_bytes: int) -> None:
    """Refuse a declared body over the cap before reading it."""
    if content_length is not None and content_length > max_body_bytes:
        raise Rejected(413, f"body of {content_length} bytes exceeds the {max_body_bytes}-byte cap")


@dataclass(frozen=True)
class OpenedPush:
    """A verified, decrypted push and the crypto (owner key) it was sealed with; reply with the same."""

    payload: dict[str, Any]
    crypto: CallbackCrypto


def open_push(args: Mapping[str, str], raw_body: bytes, cryptos: Sequence[CallbackCrypto], *, now_s: float,
              settings: GateSettings) -> OpenedPush:
    """Verify and decrypt one push. `cryptos` share token and aes_key and differ only in owner key (AppKey for
    console subscriptions, corpId for register_call_back, §10.3); the first whose owner key matches wins."""
    if len(raw_body) > settings.max_body_bytes:
        raise Rejected(413, f"body exceeds the {settings.max_body_bytes}-byte cap")
    try:
        query = push.read_query(args)
        sent_at = query.timestamp_s
    except push.PushFormatError as exc:
        raise Rejected(400, f"bad query: {exc.reason}") from exc
    skew = abs(now_s - sent_at)
    if skew > settings.replay_window_s:
        raise Rejected(401, f"timestamp {query.timestamp} is {skew:.0f}s away from now "
                            f"(replay window {settings.replay_window_s:.0f}s)")
    try:
        encrypted = push.read_encrypt(raw_body)
    except push.PushFormatError as exc:
        raise Rejected(400, f"bad body: {exc.reason}") from exc
    try:
        cryptos[0].verify(query.signature, query.timestamp, query.nonce, encrypted)
    except CryptoError as exc:
        raise Rejected(401, f"signature check failed ({exc.code})") from exc
    for crypto in cryptos:
        try:
            plaintext = crypto.decrypt(encrypted)
        except CryptoError as exc:
            if exc.code == _OWNER_KEY_MISMATCH:
                continue
            raise Rejected(400, f"undecryptable ({exc.code}: {exc.reason})") from exc
        try:
            return OpenedPush(push.decode_json_object(plaintext), crypto)
        except push.PushFormatError as exc:
            raise Rejected(400, f"decrypted payload: {exc.reason}") from exc
    raise Rejected(403, "owner key matches neither this app's AppKey nor its corpId")
