"""The demo's world: a sandbox DingTalk with a generated company, a config, a database and a client."""

from __future__ import annotations

import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from dingperf.config_file import render_sandbox_config
from dingperf.sandbox.runner import build_state, credentials_view
from dingperf.sandbox.server import SandboxServer
from dingperf.services.client_factory import build_client
from dingperf.settings import Settings, load_settings
from dingperf.store.engine import Store, store_for
from dingperf.store.migrate import upgrade


@dataclass
class World:
    """Everything the demo's acts share; `control(path, body)` drives the sandbox's /_sandbox/ API."""

    sandbox: SandboxServer
    settings: Settings
    store: Store
    client: Any
    workdir: Path
    config_path: Path
    stop: threading.Event = field(default_factory=threading.Event)
    web_url: str | None = None
    serve_thread: threading.Thread | None = None

    @property
    def corp_id(self) -> str:
        return self.settings.dingtalk.corp_id

    def control(self, path: str, body: dict[str, Any] | None = None) -> Any:
        url = f"{self.sandbox.base_url}/_sandbox/{path}"
        resp = requests.post(url, json=body, timeout=30) if body is not None else requests.get(url, timeout=30)
        if resp.status_code >= 400:
            raise RuntimeError(f"sandbox control {path} answered {resp.status_code}: {resp.text[:300]}")
        return resp.json()

    def close(self) -> None:
        self.stop.set()
        if self.serve_thread is not None:
            self.serve_thread.join(timeout=30)
        self.sandbox.stop()
        self.store.dispose()


def open_world(*, employees: int, depts: int, seed: int, workdir: Path | None) -> World:
    """Start the sandbox with a generated company; write a config next to a fresh SQLite database."""
    if workdir is None:
        workdir = Path(tempfile.mkdtemp(prefix="dingperf-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    db_file = workdir / "dingperf.db"
    if db_file.exists():
        raise FileExistsError(f"{db_file} already exists; the demo starts from an empty database — "
                              "pass another --dir or remove that folder")
    sandbox = SandboxServer(build_state(employees, depts, seed))
    base_url = sandbox.start()
    config_path = workdir / "config.toml"
    config_path.write_text(render_sandbox_config(credentials_view(sandbox), base_url), encoding="utf-8")
    settings = load_settings(config_path)
    upgrade(settings)
    store = store_for(settings)
    # the sandbox's per-API limit is DingTalk's real 20 QPS; the demo keeps it so the numbers are honest
    client = build_client(settings, store=store)
    return World(sandbox=sandbox, settings=settings, store=store, client=client, workdir=workdir,
                 config_path=config_path)
