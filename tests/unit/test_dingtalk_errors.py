"""Both DingTalk response dialects normalise into the typed error hierarchy."""

import pytest

from dingperf.dingtalk.errors import (
    AuthExpired,
    CredentialsInvalid,
    NotFound,
    Permanent,
    PermissionDenied,
    QuotaExhausted,
    RateLimited,
    Transient,
)
from dingperf.dingtalk.normalize import error_from_response

OLD = "/topapi/v2/user/get"
NEW = "/v1.0/workflow/processInstances"


def old(errcode, errmsg="x", **extra):
    return error_from_response(OLD, 200, {"errcode": errcode, "errmsg": errmsg, "request_id": "rid1", **extra})


def new(status, code, message="x"):
    return error_from_response(NEW, status, {"code": code, "message": message, "requestid": "rid2"})


def test_oapi_success_is_not_an_error():
    assert error_from_response(OLD, 200, {"errcode": 0, "errmsg": "ok", "result": {}}) is None


def test_api_success_is_not_an_error():
    assert error_from_response(NEW, 200, {"result": {}, "success": True}) is None


@pytest.mark.parametrize("errcode, kind", [
    (90018, RateLimited), (90002, RateLimited), (90020, QuotaExhausted),
    (40014, AuthExpired), (42001, AuthExpired), (41001, AuthExpired),
    (-1, Transient), (15, Transient),
    (60003, NotFound), (33012, NotFound), (60121, NotFound), (60011, PermissionDenied),
    (40035, Permanent), (400002, Permanent), (40089, CredentialsInvalid), (410100, RateLimited),
])
def test_oapi_errcode_maps_to_typed_error(errcode, kind):
    assert type(old(errcode)) is kind


@pytest.mark.parametrize("status, code, kind", [
    (403, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi", RateLimited),
    (403, "Forbidden.AccessDenied.QpsLimitForApi", RateLimited),
    (403, "Forbidden.AccessDenied.ApiCountLimitForOrg", QuotaExhausted),
    (403, "Forbidden.AccessDenied.AccessTokenPermissionDenied", PermissionDenied),
    (400, "InvalidAuthentication", AuthExpired),
    (401, "Unauthorized", AuthExpired),
    (429, "system.busy", RateLimited),
    (500, "unknownError", Transient),
    (503, "ServiceUnavailable", Transient),
    (504, "service.timeout", Transient),
    (400, "processInstanceNotExist", NotFound),
    (400, "invalidMaxResults", Permanent),
    (400, "invalidClientIdOrSecret", CredentialsInvalid),
])
def test_api_status_and_code_map_to_typed_error(status, code, kind):
    assert type(new(status, code)) is kind


def test_error_carries_family_path_code_message_and_request_id():
    err = old(60003, "部门不存在")
    assert (err.family, err.path, err.code, err.message, err.request_id) == ("oapi", OLD, 60003, "部门不存在", "rid1")
    assert OLD in str(err) and "60003" in str(err)


def test_api_error_takes_request_id_from_header_when_body_lacks_it():
    err = error_from_response(NEW, 500, {"code": "unknownError", "message": "boom"}, {"x-acs-request-id": "hdr"})
    assert err.request_id == "hdr" and err.code == "unknownError" and err.http_status == 500


def test_qps_throttle_asks_for_a_one_second_wait():
    assert old(90018).retry_after == 1.0
    assert new(403, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi").retry_after == 1.0


def test_errcode_88_with_empty_sub_code_is_a_timeout():
    err = old(88, "ding talk error", sub_code="", sub_msg="")
    assert isinstance(err, Transient)


def test_errcode_88_with_token_sub_code_is_auth_expired():
    assert isinstance(old(88, "x", sub_code="40014", sub_msg="不合法的access_token"), AuthExpired)
    assert isinstance(old(88, "x", sub_code="isv.invalid-token"), AuthExpired)


def test_errcode_88_with_permission_sub_code_is_permission_denied():
    err = old(88, "x", sub_code="60011", sub_msg="没有调用该接口的权限")
    assert isinstance(err, PermissionDenied) and err.code == "88/60011"


def test_ip_ban_body_is_rate_limited_for_minutes():
    err = error_from_response(OLD, 200, {"status": 1111, "wait": 5, "source": "x5", "punish": "deny"})
    assert isinstance(err, RateLimited) and err.scope == "ip_ban" and err.retry_after == 300


def test_unknown_oapi_route_404_names_the_path():
    err = error_from_response("/topapi/no/such", 404, {"errcode": 404, "errmsg": "no such API"})
    assert isinstance(err, NotFound) and "/topapi/no/such" in str(err)


def test_bare_403_without_code_is_treated_as_throttle():
    assert isinstance(error_from_response(NEW, 403, ""), RateLimited)


def test_non_json_5xx_is_transient():
    assert isinstance(error_from_response(OLD, 502, "<html>bad gateway</html>"), Transient)


def test_other_access_denied_codes_are_throttles():
    assert isinstance(new(403, "Forbidden.AccessDenied.SomethingNew"), RateLimited)
