import pytest

from dingperf.dingtalk.crypto import (
    CallbackCrypto,
    CryptoError,
    card_callback_signature,
    robot_sign,
    signature,
)

TV1 = {"token": "123456", "aes_key": "1234567890123456789012345678901234567890123", "owner": "dingsnotzck6pm5veliw",
           "ts": "1614767836", "nonce": "A7Co0cJLMzIDtMMI",
           "encrypt": "YvkvaGe4hQxd3VxRmEty0dVlnCOAqwf56xwTRHDHoOURqhalbmBJQk5FNcRk42Gl5T0YQXZNwpwWSm1xAFJ5ZA==",
           "sig": "9a95a004dd16f5c307e849b994173f76aa26e5eb", "plain": "success"}
TV2 = {"token": "mryue", "aes_key": "Yue0EfdN5900c1ce5cf6A152c63DDe1808a60c5ecd7", "owner": "ding6ccabc44d2c8d38b",
           "ts": "1608001896814", "nonce": "WL4PK6yA",
           "encrypt": "0vJiX6vliEpwG3U45CtXqi+m8PXbQRARJ8p8BbDuD1EMTDf0jKpQ79QS93qEk7XHpP6u+oTTrd15NRPvNvmBKyDCYxxOK"
                   "+HZeKju4yhELOFchzNukR+t8SB/qk4ROMu3",
           "sig": "03044561471240d4a14bb09372dfcfd4fd0e40cb", "plain": '{"EventType":"check_url"}'}


@pytest.mark.parametrize("tv", [TV1, TV2], ids=["TV1", "TV2"])
def test_known_answer_vectors_verify_and_decrypt(tv):
    crypto = CallbackCrypto(tv["token"], tv["aes_key"], tv["owner"])
    assert signature(tv["token"], tv["ts"], tv["nonce"], tv["encrypt"]) == tv["sig"]
    crypto.verify(tv["sig"], tv["ts"], tv["nonce"], tv["encrypt"])
    assert crypto.decrypt(tv["encrypt"]) == tv["plain"]


def test_encrypt_then_decrypt_round_trips_unicode():
    crypto = CallbackCrypto(TV2["token"], TV2["aes_key"], TV2["owner"])
    assert crypto.decrypt(crypto.encrypt('{"name":"张三"}')) == '{"name":"张三"}'


def test_wrong_owner_key_is_refused():
    sealed = CallbackCrypto(TV1["token"], TV1["aes_key"], "someone-else").encrypt("hi")
    with pytest.raises(CryptoError) as err:
        CallbackCrypto(TV1["token"], TV1["aes_key"], TV1["owner"]).decrypt(sealed)
    assert err.value.code == 900010


def test_forged_signature_is_refused():
    crypto = CallbackCrypto(TV1["token"], TV1["aes_key"], TV1["owner"])
    with pytest.raises(CryptoError) as err:
        crypto.verify("0" * 40, TV1["ts"], TV1["nonce"], TV1["encrypt"])
    assert err.value.code == 900005


def test_truncated_base64_is_refused():
    crypto = CallbackCrypto(TV1["token"], TV1["aes_key"], TV1["owner"])
    with pytest.raises(CryptoError):
        crypto.decrypt(TV1["encrypt"][:-7])


def test_bad_aes_key_is_refused():
    with pytest.raises(CryptoError) as err:
        CallbackCrypto("tok", "short", "owner")
    assert err.value.code == 900004


def test_sealed_reply_verifies_and_decrypts_to_success():
    crypto = CallbackCrypto(TV1["token"], TV1["aes_key"], TV1["owner"])
    reply = crypto.seal_success()
    crypto.verify(reply["msg_signature"], reply["timeStamp"], reply["nonce"], reply["encrypt"])
    assert crypto.decrypt(reply["encrypt"]) == "success"


def test_robot_sign_vector():
    assert robot_sign("SECtestsecret", 1700000000000) == "7LVwF0dAF3/+MRRulbpE4y72Ogzykc6bS2nG4I99T4s="


def test_card_callback_signature_vector():
    assert card_callback_signature("example-secret", "1700000000000") == "I85VWQbGCqbDkjEb7rsCEkTKI9QSL3wzLms54MiwXlg="
