import requests


def test_unknown_oapi_route_is_404(sandbox):
    resp = requests.post(f"{sandbox.base_url}/topapi/no/such/thing", json={})
    assert resp.status_code == 404
    assert resp.json()["errcode"] == 404


def test_unknown_new_api_route_is_404_with_code(sandbox):
    resp = requests.get(f"{sandbox.base_url}/v1.0/no/such/thing")
    assert resp.status_code == 404
    assert resp.json()["code"] == "NotFound"
    assert "x-acs-request-id" in resp.headers
