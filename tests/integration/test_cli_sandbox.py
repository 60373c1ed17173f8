"""`dingperf sandbox` as a real process: the --json line carries credentials the sandbox really accepts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from click.testing import CliRunner

from dingperf.cli import main


@contextmanager
def sandbox_process(args: list[str], cwd: Path) -> Iterator[dict]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DINGPERF_")}
    proc = subprocess.Popen([sys.executable, "-m", "dingperf", "sandbox", "--json", "--port", "0",
                             "--employees", "15", "--depts", "4", *args],
                            cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line, f"sandbox printed nothing; stderr: {proc.stderr.read() if proc.stderr else ''}"
        yield json.loads(line)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)


def token_for(view: dict, app_key: str, app_secret: str) -> dict:
    resp = requests.get(f"{view['base_url']}/gettoken", params={"appkey": app_key, "appsecret": app_secret},
                        timeout=5)
    return resp.json()


def test_sandbox_json_line_has_every_documented_key_and_working_credentials(tmp_path: Path) -> None:
    with sandbox_process([], tmp_path) as view:
        assert set(view) == {"base_url", "corp_id", "app_key", "app_secret", "agent_id", "robot_code",
                             "callback_token", "callback_aes_key"}
        assert token_for(view, view["app_key"], view["app_secret"])["errcode"] == 0


def test_sandbox_accepts_the_credentials_written_by_init(tmp_path: Path) -> None:
    cfg = tmp_path / "sandbox.toml"
    assert CliRunner().invoke(main, ["init", "--sandbox", "--path", str(cfg)]).exit_code == 0
    written = tomllib.loads(cfg.read_text())["dingtalk"]
    with sandbox_process(["--config", str(cfg)], tmp_path) as view:
        assert (view["corp_id"], view["app_key"]) == (written["corp_id"], written["app_key"])
        assert token_for(view, written["app_key"], written["app_secret"])["errcode"] == 0
        assert token_for(view, written["app_key"], "wrong")["errcode"] != 0
