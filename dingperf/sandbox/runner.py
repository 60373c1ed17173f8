"""Run the sandbox DingTalk alone with a generated company (what `dingperf sandbox` does)."""

from __future__ import annotations

import json
import sys
import threading
from typing import TextIO

from dingperf.sandbox.company import generate_company
from dingperf.sandbox.server import SandboxServer
from dingperf.sandbox.state import AppCredentials, SandboxState


def build_state(employees: int, depts: int, seed: int) -> SandboxState:
    """A fresh sandbox state holding a company generated from `seed`."""
    return generate_company(employees, depts, seed, into=SandboxState(app=AppCredentials.generate()))


def credentials_view(server: SandboxServer) -> dict[str, object]:
    """What a dingperf config needs to talk to this sandbox (the `--json` line's keys)."""
    app = server.state.app
    return {
        "base_url": server.base_url,
        "corp_id": app.corp_id,
        "app_key": app.app_key,
        "app_secret": app.app_secret,
        "agent_id": app.agent_id,
        "robot_code": app.robot_code,
        "callback_token": app.callback_token,
        "callback_aes_key": app.callback_aes_key,
    }


def run_sandbox(
    host: str,
    port: int,
    employees: int,
    depts: int,
    seed: int,
    as_json: bool,
    out: TextIO = sys.stdout,
    stop: threading.Event | None = None,
) -> None:
    """Serve a generated sandbox until interrupted (or `stop` is set); print where and with what credentials."""
    server = SandboxServer(build_state(employees, depts, seed))
    server.start(host, port)
    view = credentials_view(server)
    try:
        if as_json:
            out.write(json.dumps(view, ensure_ascii=False) + "\n")
        else:
            company = server.state.directory
            out.write(f"dingperf sandbox DingTalk listening on {view['base_url']}\n")
            out.write(
                f"  company: {len(company.active_userids())} employees, {len(company.departments)} departments (seed {seed})\n"
            )
            out.writelines(
                f"  {key:<17} {view[key]}\n"
                for key in (
                    "corp_id",
                    "app_key",
                    "app_secret",
                    "agent_id",
                    "robot_code",
                    "callback_token",
                    "callback_aes_key",
                )
            )
            out.write(
                f"  control API: {view['base_url']}/_sandbox/company, /_sandbox/clock, /_sandbox/requests\n"
            )
            out.write("Press Ctrl+C to stop.\n")
        out.flush()
        (stop or threading.Event()).wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
