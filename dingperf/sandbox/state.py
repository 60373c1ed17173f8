"""Everything the sandbox DingTalk knows, in memory, behind one lock."""

from __future__ import annotations

import secrets
import string
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from dingperf.sandbox.attendance import AttendanceBook
from dingperf.sandbox.clock import Clock
from dingperf.sandbox.directory import Directory
from dingperf.sandbox.faults import FaultBook
from dingperf.sandbox.gateway import StreamGateway
from dingperf.sandbox.outbound import Outbound
from dingperf.sandbox.pusher import HttpPusher
from dingperf.sandbox.recorder import Recorder
from dingperf.sandbox.throttle import Throttle
from dingperf.sandbox.tokens import AuthCodes, TokenStore
from dingperf.sandbox.workflow import Workflow

_ALNUM = string.ascii_letters + string.digits


def _random(n: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(n))


@dataclass(frozen=True)
class AppCredentials:
    """The one internal app the sandbox org has installed (what `dingperf sandbox --json` prints)."""

    corp_id: str
    app_key: str
    app_secret: str
    agent_id: int
    robot_code: str
    callback_token: str
    callback_aes_key: str

    @classmethod
    def generate(cls, seed_tag: str = "") -> AppCredentials:
        app_key = "ding" + _random(16).lower()
        return cls(
            corp_id="ding" + _random(16).lower() + seed_tag,
            app_key=app_key,
            app_secret=_random(64),
            agent_id=int("3" + "".join(secrets.choice(string.digits) for _ in range(9))),
            robot_code=app_key,  # internal-app robotCode equals the AppKey (DINGTALK.md §2.4)
            callback_token=_random(16),
            callback_aes_key=_random(43),
        )


@dataclass
class Limits:
    """Throttle and quota thresholds; defaults are DingTalk's standard-edition numbers (§2.5)."""

    qps_per_app_api: int = 20
    qps_per_api_global: int | None = None
    ip_calls_per_20s: int = 10_000
    ip_ban_seconds: int = 300
    monthly_quota: int = 5_000
    token_ttl_s: int = 7_200
    # Which old-family errcode an expired token gets: real DingTalk's choice is UNCONFIRMED (§2.3).
    expired_token_errcode: int = 40014
    # Which errcode user/get gives for a departed user: 33012 or 60121 (UNCONFIRMED, §3.2).
    departed_user_errcode: int = 33012


@dataclass
class SandboxState:
    """Root of the sandbox's state; each component lives in its own module."""

    app: AppCredentials
    clock: Clock = field(default_factory=Clock)
    limits: Limits = field(default_factory=Limits)
    lock: threading.RLock = field(default_factory=threading.RLock)
    # Core components, built from the clock in __post_init__ (see tokens/throttle/faults/recorder.py).
    tokens: TokenStore = field(init=False)
    throttle: Throttle = field(init=False)
    faults: FaultBook = field(init=False)
    recorder: Recorder = field(init=False)
    authcodes: AuthCodes = field(init=False)
    directory: Directory = field(init=False)
    attendance: AttendanceBook = field(init=False)
    workflow: Workflow = field(init=False)
    # Called by POST /_sandbox/reset after the core clears its own transient state; append yours.
    reset_hooks: list[Callable[[], None]] = field(default_factory=list)
    # Event delivery: the Stream websocket gateway and the HTTP pusher (gateway.py, pusher.py).
    gateway: StreamGateway = field(init=False)
    pusher: HttpPusher = field(init=False)
    # What dingperf sent to people: mailbox, groups, messages, DINGs, robots, cards (outbound.py).
    outbound: Outbound = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = TokenStore(self.clock)
        self.throttle = Throttle(self.clock)
        self.faults = FaultBook()
        self.recorder = Recorder()
        self.authcodes = AuthCodes(self.clock)
        self.directory = Directory(self.clock, self.lock)
        self.attendance = AttendanceBook(self.clock, self.directory)
        self.workflow = Workflow(self.clock, self.lock)
        self.gateway = StreamGateway(self.clock)
        self.pusher = HttpPusher(self.clock)
        self.reset_hooks.extend([self.gateway.clear, self.pusher.clear])
        self.outbound = Outbound()
        self.reset_hooks.append(self.outbound.reset)
