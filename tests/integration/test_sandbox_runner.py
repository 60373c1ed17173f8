"""`run_sandbox`: serves a generated company and prints one JSON line of credentials first."""

import io
import json
import threading

import requests

from tests.conftest import poll_until


class _Lines(io.StringIO):
    """A stream the test can read while the sandbox thread writes to it."""

    def first_line(self) -> str | None:
        text = self.getvalue()
        return text.split("\n", 1)[0] if "\n" in text else None


def test_run_sandbox_prints_credentials_as_one_json_line_then_serves():
    out, stop = _Lines(), threading.Event()
    thread = threading.Thread(
        target=__import__("dingperf.sandbox.runner", fromlist=["run_sandbox"]).run_sandbox,
        args=("127.0.0.1", 0, 40, 5, 3, True, out, stop),
        daemon=True,
    )
    thread.start()
    try:
        view = json.loads(poll_until(out.first_line))
        assert set(view) == {
            "base_url",
            "corp_id",
            "app_key",
            "app_secret",
            "agent_id",
            "robot_code",
            "callback_token",
            "callback_aes_key",
        }
        token = requests.post(
            f"{view['base_url']}/v1.0/oauth2/accessToken",
            json={"appKey": view["app_key"], "appSecret": view["app_secret"]},
        ).json()
        assert token["expireIn"] == 7200
        assert requests.get(f"{view['base_url']}/_sandbox/company").json()["employees"] == 40
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()


def test_company_summary_names_samples_and_process_codes(company_sandbox):
    body = requests.get(f"{company_sandbox.base_url}/_sandbox/company").json()
    assert body["employees"] == 260 and body["departed"] >= 1 and body["departments"] == 13
    assert "影楼运营部" in body["dept_ids_by_name"]
    assert any(code.startswith("PROC-KPI-") for code in body["process_codes"])
    assert body["sample_userids"] and body["sample_manager_userids"] and body["sample_no_manager_userids"]
