"""Bench: HTTP-mode event intake (POST /dingtalk/callback) against the limit of the HTTP stack.

Starts, under gunicorn (2 gthread workers × 8 threads, as deployed), first a bare Flask endpoint that
only verifies, decrypts and seals `success`, then dingperf's real web app (create_app: replay window,
size cap, owner key, inbox insert with group commit, SQLite WAL). A separate load process offers
encrypted events at --rate for --seconds to each (open loop; every 10th event is sent twice, as DingTalk
retries do). Prints events/s, p50/p99 ack latency and events stored, and
`RESULT intake_ratio=… p99_ms=… lost=… duplicated=…` (ratio = real ÷ bare acked events/s;
lost = acked but not stored; duplicated = stored more than once).

    python bench/callback_intake.py [--rate 500] [--seconds 10]
"""

from __future__ import annotations

import argparse
import dataclasses
import http.client
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

HERE = Path(__file__).resolve().parent
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def bare_app() -> Any:
    """The limit of the stack: verify, decrypt, seal — nothing else (gunicorn factory)."""
    from flask import Flask, jsonify, request

    from dingperf.dingtalk.crypto import CallbackCrypto

    cfg = json.loads(os.environ["BENCH_APP"])
    crypto = CallbackCrypto(cfg["callback_token"], cfg["callback_aes_key"], cfg["app_key"])
    app = Flask("bare")

    @app.post("/dingtalk/callback")
    def callback() -> Any:
        a = request.args
        encrypted = request.get_json()["encrypt"]
        crypto.verify(a["msg_signature"], a["timestamp"], a["nonce"], encrypted)
        json.loads(crypto.decrypt(encrypted))
        return jsonify(crypto.seal_success())

    return app


def real_app() -> Any:
    """dingperf's web app from DINGPERF_CONFIG (gunicorn factory)."""
    from dingperf.app import create_app
    from dingperf.settings import load_settings

    return create_app(load_settings(os.environ["DINGPERF_CONFIG"]))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(factory: str, env: dict[str, str], workers: int) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    proc = subprocess.Popen([GUNICORN, "-w", str(workers), "-k", "gthread", "--threads", "8", "-b", f"127.0.0.1:{port}",
                             "--chdir", str(HERE), "--log-level", "warning", f"callback_intake:{factory}()"],
                            env={**os.environ, **env})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(url + "/healthz", timeout=5)
            return proc, url + "/dingtalk/callback"
        except requests.RequestException:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError(f"gunicorn {factory} did not start") from None
            time.sleep(0.1)


def _load(url: str, cfg: dict[str, str], rate: int, seconds: float, out: Any) -> None:
    """Open-loop load: event i is due at start + i/rate; latency is measured from its send."""
    from dingperf.dingtalk.crypto import CallbackCrypto

    crypto = CallbackCrypto(cfg["callback_token"], cfg["callback_aes_key"], cfg["app_key"])
    total = int(rate * seconds)
    bodies = []
    for i in range(total):
        event_id = uuid.uuid4().hex
        plain = {"EventType": "user_modify_org", "EventTime": int(time.time() * 1000), "CorpId": cfg["corp_id"],
                 "BizId": f"u{i}", "eventId": event_id, "userId": [f"u{i}"], "timeStamp": str(int(time.time() * 1000))}
        bodies.append((event_id, crypto.encrypt(json.dumps(plain))))
    sends = [(i, bodies[i]) for i in range(total)] + [(i + 0.5, bodies[i]) for i in range(0, total, 10)]
    sends.sort(key=lambda s: s[0])
    local = threading.local()
    results: list[tuple[str, int, float]] = []
    parts = urlsplit(url)

    def send(event_id: str, enc: str) -> None:
        # http.client with keep-alive: `requests` costs the load process more CPU than the server spends.
        conn = getattr(local, "conn", None) or http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
        local.conn = conn
        ts, nonce = str(int(time.time() * 1000)), uuid.uuid4().hex[:8]
        query = urlencode({"msg_signature": crypto.sign(ts, nonce, enc), "timestamp": ts, "nonce": nonce})
        body = json.dumps({"encrypt": enc})
        t0 = time.perf_counter()
        try:
            conn.request("POST", f"{parts.path}?{query}", body=body, headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            data = resp.read()
            ok = resp.status == 200 and crypto.decrypt(json.loads(data)["encrypt"]) == "success"
            results.append((event_id, 200 if ok else resp.status, time.perf_counter() - t0))
        except (OSError, http.client.HTTPException):
            local.conn = None
            conn.close()
            results.append((event_id, 0, time.perf_counter() - t0))

    start = time.perf_counter() + 0.2
    with ThreadPoolExecutor(max_workers=64) as pool:
        for slot, (event_id, enc) in sends:
            if (pause := start + slot / rate - time.perf_counter()) > 0:
                time.sleep(pause)
            pool.submit(send, event_id, enc)
    out.send((results, time.perf_counter() - start, total))


def _drive(url: str, cfg: dict[str, str], rate: int, seconds: float) -> tuple[list, float, int]:
    ctx = multiprocessing.get_context("spawn")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_load, args=(url, cfg, rate, seconds, send))
    proc.start()
    results = recv.recv()
    proc.join()
    return results


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


def _report(name: str, results: list, elapsed: float) -> float:
    acked = [r for r in results if r[1] == 200]
    lat = [r[2] for r in acked]
    eps = len({r[0] for r in acked}) / elapsed
    print(f"{name:>5}: {len(results)} requests, {len(acked)} acked, {len(results) - len(acked)} refused/failed, "
          f"{eps:.0f} events/s, p50 {_pct(lat, 0.5):.1f} ms, p99 {_pct(lat, 0.99):.1f} ms")
    return eps


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rate", type=int, default=500, help="events offered per second")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (gthread, 8 threads each)")
    ap.add_argument("--database-url", default="", help="an empty database to use instead of a fresh SQLite file")
    args = ap.parse_args()

    from sqlalchemy import func, select

    from dingperf.config_file import render_sandbox_config
    from dingperf.sandbox.state import AppCredentials
    from dingperf.store.engine import open_store
    from dingperf.store.migrate import upgrade_database
    from dingperf.store.tables.inbox import InboxEvent

    tmp = Path(tempfile.mkdtemp(prefix="dingperf-bench-callback-"))
    creds = AppCredentials.generate()
    config = tmp / "config.toml"
    config.write_text(render_sandbox_config(dataclasses.asdict(creds), "http://127.0.0.1:9", event_mode="http"),
                      encoding="utf-8")
    db_url = args.database_url or f"sqlite:///{tmp / 'dingperf.db'}"
    cfg = {"callback_token": creds.callback_token, "callback_aes_key": creds.callback_aes_key,
           "app_key": creds.app_key, "corp_id": creds.corp_id}
    env = {"DINGPERF_CONFIG": str(config), "DINGPERF_DATABASE_URL": db_url, "BENCH_APP": json.dumps(cfg)}
    os.environ.update(env)
    upgrade_database(db_url)

    bare, bare_url = _serve("bare_app", env, args.workers)
    try:
        results, elapsed, _ = _drive(bare_url, cfg, args.rate, args.seconds)
    finally:
        bare.terminate()
        bare.wait(10)
    bare_eps = _report("bare", results, elapsed)

    real, real_url = _serve("real_app", env, args.workers)
    try:
        results, elapsed, offered = _drive(real_url, cfg, args.rate, args.seconds)
    finally:
        real.terminate()
        real.wait(10)
    real_eps = _report("real", results, elapsed)

    store = open_store(db_url)
    with store.session() as s:
        stored_ids = [r for (r,) in s.execute(select(InboxEvent.event_id))]
        rows = s.execute(select(func.count()).select_from(InboxEvent)).scalar_one()
    store.dispose()
    acked_ids = {r[0] for r in results if r[1] == 200}
    lost = len(acked_ids - set(stored_ids))
    duplicated = rows - len(set(stored_ids))
    p99 = _pct([r[2] for r in results if r[1] == 200], 0.99)
    print(f"stored {rows} of {offered} offered events ({len(acked_ids)} acked)")
    print(f"RESULT intake_ratio={real_eps / bare_eps:.2f} p99_ms={p99:.1f} lost={lost} duplicated={duplicated}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
