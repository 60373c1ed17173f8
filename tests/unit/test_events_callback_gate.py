import json

import pytest

from dingperf.dingtalk.crypto import CallbackCrypto
from dingperf.web.callback_gate import GateSettings, Rejected, check_size, open_push

TOKEN, AES, APP_KEY = "tok3n", "A" * 21 + "b" * 22, "dingappkey0001"
CORP_ID = "dingcorp0001"
CRYPTO = CallbackCrypto(TOKEN, AES, APP_KEY)
CRYPTOS = [CRYPTO, CallbackCrypto(TOKEN, AES, CORP_ID)]
NOW = 1_700_000_000.0
GATE = GateSettings(replay_window_s=300, max_body_bytes=64 * 1024)


def signed(payload: dict, ts: str = str(int(NOW * 1000)), crypto: CallbackCrypto = CRYPTO, nonce: str = "n0nce"):
    enc = crypto.encrypt(json.dumps(payload))
    args = {"msg_signature": CRYPTO.sign(ts, nonce, enc), "timestamp": ts, "nonce": nonce}
    return args, json.dumps({"encrypt": enc}).encode(), enc


def reason_of(args, body) -> Rejected:
    with pytest.raises(Rejected) as info:
        open_push(args, body, CRYPTOS, now_s=NOW, settings=GATE)
    return info.value


def test_valid_push_opens_to_its_json():
    args, body, _ = signed({"EventType": "user_add_org"})
    assert open_push(args, body, CRYPTOS, now_s=NOW, settings=GATE).payload == {"EventType": "user_add_org"}


def test_alternate_parameter_names_and_seconds_timestamp_are_accepted():
    args, body, _ = signed({"EventType": "x"}, ts=str(int(NOW)))
    alt = {"signature": args["msg_signature"], "timeStamp": args["timestamp"], "nonce": args["nonce"]}
    assert open_push(alt, body, CRYPTOS, now_s=NOW, settings=GATE).payload["EventType"] == "x"


def test_escaped_slashes_in_the_body_are_read_literally():
    args, _, enc = signed({"EventType": "x"})
    body = ('{"encrypt":"' + enc.replace("/", "\\/") + '"}').encode()
    assert open_push(args, body, CRYPTOS, now_s=NOW, settings=GATE).payload["EventType"] == "x"


def test_forged_signature_is_401():
    args, body, _ = signed({"EventType": "x"})
    args["msg_signature"] = "0" * 40
    assert reason_of(args, body).status == 401


def test_stale_timestamp_is_401_even_with_a_valid_signature():
    args, body, _ = signed({"EventType": "x"}, ts=str(int((NOW - 301) * 1000)))
    rejected = reason_of(args, body)
    assert rejected.status == 401 and "replay window" in rejected.reason


def test_future_timestamp_outside_the_window_is_refused():
    args, body, _ = signed({"EventType": "x"}, ts=str(int(NOW + 400)))
    assert reason_of(args, body).status == 401


def test_corp_id_owner_key_of_api_registered_callbacks_is_accepted_and_answered_in_kind():
    args, body, _ = signed({"EventType": "x"}, crypto=CRYPTOS[1])
    assert open_push(args, body, CRYPTOS, now_s=NOW, settings=GATE).crypto.owner_key == CORP_ID


def test_wrong_owner_key_is_403():
    args, body, _ = signed({"EventType": "x"}, crypto=CallbackCrypto(TOKEN, AES, "dingsomeoneelse"))
    assert reason_of(args, body).status == 403


def test_truncated_base64_is_400_after_the_signature_passed():
    _, _, enc = signed({"EventType": "x"})
    cut = enc[:-7]
    ts = str(int(NOW * 1000))
    args = {"msg_signature": CRYPTO.sign(ts, "n", cut), "timestamp": ts, "nonce": "n"}
    rejected = reason_of(args, json.dumps({"encrypt": cut}).encode())
    assert rejected.status == 400 and "undecryptable" in rejected.reason


def test_body_that_is_not_the_encrypt_envelope_is_400():
    args, _, enc = signed({"EventType": "x"})
    assert reason_of(args, json.dumps({"encrypt": enc, "more": 1}).encode()).status == 400


def test_missing_nonce_is_400():
    args, body, _ = signed({"EventType": "x"})
    del args["nonce"]
    assert reason_of(args, body).status == 400


def test_oversized_body_is_413():
    args, _, _ = signed({"EventType": "x"})
    assert reason_of(args, b" " * (GATE.max_body_bytes + 1)).status == 413


def test_declared_oversize_is_refused_before_reading():
    with pytest.raises(Rejected) as info:
        check_size(10 * 2**20, GATE.max_body_bytes)
    assert info.value.status == 413
