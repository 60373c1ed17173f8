"""DingTalk callback crypto: signature, AES-256-CBC envelope, reply sealing (DINGTALK.md §10.3)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import string
import struct
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

_ALNUM = string.ascii_letters + string.digits
_BLOCK = 32  # DingTalk pads to 32 bytes, not AES's 16


class CryptoError(Exception):
    """A callback could not be verified or decrypted; `code` is DingTalk's 9000xx number."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


def signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """SHA-1 over the four values sorted as strings, lowercase hex."""
    return hashlib.sha1("".join(sorted([token, str(timestamp), nonce, encrypt])).encode()).hexdigest()


def is_valid_aes_key(aes_key: str) -> bool:
    return len(aes_key) == 43 and all(c in _ALNUM for c in aes_key)


@dataclass(frozen=True)
class CallbackCrypto:
    """One app's callback crypto: token, 43-char aes_key and the owner key (AppKey or corpId)."""

    token: str
    aes_key: str
    owner_key: str

    def __post_init__(self) -> None:
        if not is_valid_aes_key(self.aes_key):
            raise CryptoError(900004, "aes_key must be 43 characters of [A-Za-z0-9]")

    @property
    def _key(self) -> bytes:
        return base64.b64decode(self.aes_key + "=")

    def _cipher(self) -> Cipher:
        key = self._key
        return Cipher(algorithms.AES(key), modes.CBC(key[:16]))

    def encrypt(self, plaintext: str, random16: str | None = None) -> str:
        """Encrypt a message into DingTalk's base64 envelope."""
        if not plaintext:
            raise CryptoError(900001, "plaintext is empty")
        rand = (random16 or "".join(secrets.choice(_ALNUM) for _ in range(16))).encode()
        body = plaintext.encode()
        raw = rand + struct.pack(">I", len(body)) + body + self.owner_key.encode()
        pad = _BLOCK - len(raw) % _BLOCK
        raw += bytes([pad]) * pad
        enc = self._cipher().encryptor()
        return base64.b64encode(enc.update(raw) + enc.finalize()).decode()

    def decrypt(self, encrypted: str) -> str:
        """Decrypt an envelope and check its owner key; raises CryptoError on any defect."""
        try:
            data = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise CryptoError(900008, "encrypt is not valid base64") from exc
        if not data or len(data) % 16:
            raise CryptoError(900008, "ciphertext length is not a multiple of the AES block")
        dec = self._cipher().decryptor()
        raw = dec.update(data) + dec.finalize()
        pad = raw[-1]
        if 1 <= pad <= _BLOCK:
            raw = raw[:-pad]
        if len(raw) < 20:
            raise CryptoError(900009, "decrypted body is too short")
        (length,) = struct.unpack(">I", raw[16:20])
        if 20 + length > len(raw):
            raise CryptoError(900009, "declared length exceeds the decrypted body")
        msg, owner = raw[20 : 20 + length], raw[20 + length :]
        if not hmac.compare_digest(owner, self.owner_key.encode()):
            raise CryptoError(900010, "owner key does not match this app")
        try:
            return msg.decode()
        except UnicodeDecodeError as exc:
            raise CryptoError(900008, "decrypted message is not UTF-8") from exc

    def sign(self, timestamp: str, nonce: str, encrypted: str) -> str:
        return signature(self.token, timestamp, nonce, encrypted)

    def verify(self, msg_signature: str, timestamp: str, nonce: str, encrypted: str) -> None:
        """Constant-time signature check; raises CryptoError(900005) on mismatch."""
        expected = self.sign(timestamp, nonce, encrypted)
        if not hmac.compare_digest(expected.encode(), (msg_signature or "").encode()):
            raise CryptoError(900005, "signature mismatch")

    def seal(self, plaintext: str, timestamp: str | None = None, nonce: str | None = None) -> dict[str, str]:
        """Build an encrypted reply body {msg_signature, timeStamp, nonce, encrypt}."""
        ts = timestamp or str(int(time.time() * 1000))
        nonce = nonce or "".join(secrets.choice(_ALNUM) for _ in range(8))
        encrypted = self.encrypt(plaintext)
        return {"msg_signature": self.sign(ts, nonce, encrypted), "timeStamp": ts, "nonce": nonce, "encrypt": encrypted}

    def seal_success(self) -> dict[str, str]:
        return self.seal("success")

    def open_json(self, msg_signature: str, timestamp: str, nonce: str, encrypted: str) -> dict:
        """Verify then decrypt a pushed event into its JSON object."""
        self.verify(msg_signature, timestamp, nonce, encrypted)
        try:
            value = json.loads(self.decrypt(encrypted))
        except json.JSONDecodeError as exc:
            raise CryptoError(900008, "decrypted message is not JSON") from exc
        if not isinstance(value, dict):
            raise CryptoError(900008, "decrypted message is not a JSON object")
        return value


def robot_sign(secret: str, timestamp_ms: int) -> str:
    """Custom group-robot 加签: base64(HMAC-SHA256(secret, f"{ts}\\n{secret}")), not URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def card_callback_signature(api_secret: str, timestamp: str) -> str:
    """HTTP card-callback header x-ddpaas-signature: base64(HMAC-SHA256(apiSecret, ts))."""
    return base64.b64encode(hmac.new(api_secret.encode(), str(timestamp).encode(), hashlib.sha256).digest()).decode()


def jsapi_signature(ticket: str, nonce_str: str, timestamp: str, url: str) -> str:
    """JSAPI dd.config signature (SHA-256 of the documented plain string, lowercase hex)."""
    from urllib.parse import unquote, urlsplit, urlunsplit

    parts = urlsplit(url)
    clean = urlunsplit((parts.scheme, parts.netloc, parts.path, unquote(parts.query), ""))
    plain = f"jsapi_ticket={ticket}&noncestr={nonce_str}&timestamp={timestamp}&url={clean}"
    return hashlib.sha256(plain.encode()).hexdigest()
