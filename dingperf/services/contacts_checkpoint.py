"""The contacts sync's checkpoint: what a run has finished, saved in the store so a crashed run resumes.

A resumed run lists the members of the departments it finished again (cheap: one user/list page per
100 people) so leavers and joiners are noticed, but trusts those departments' details and the users it
already wrote as they were then; such changes arrive as events, or at the next full sync at the latest.
A checkpoint older than STALE_CHECKPOINT is ignored and the sync starts over.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from dingperf.store.engine import Store
from dingperf.store.repositories import load_checkpoint

log = logging.getLogger(__name__)

CHECKPOINT = "sync.contacts"
STALE_CHECKPOINT = timedelta(days=1)  # older progress describes an org that has moved on: start over


@dataclass
class SyncState:
    """The checkpointed progress of one run: departments finished (with their children and members),
    users written, and what vanished meanwhile. JSON-safe through `dump`/`load`."""

    started_at: datetime
    depts: dict[int, tuple[tuple[int, ...], tuple[str, ...]]] = field(default_factory=dict)
    gone_depts: set[int] = field(default_factory=set)
    users_done: set[str] = field(default_factory=set)
    gone_users: set[str] = field(default_factory=set)
    counts: Counter[str] = field(default_factory=Counter)

    def dump(self) -> dict[str, Any]:
        return {"started_at": self.started_at.isoformat(),
                "depts": {str(d): [list(c), list(m)] for d, (c, m) in self.depts.items()},
                "gone_depts": sorted(self.gone_depts), "users_done": sorted(self.users_done),
                "gone_users": sorted(self.gone_users), "counts": dict(self.counts)}

    @classmethod
    def load(cls, raw: Mapping[str, Any]) -> SyncState:
        return cls(started_at=datetime.fromisoformat(raw["started_at"]),
                   depts={int(d): (tuple(c), tuple(m)) for d, (c, m) in raw["depts"].items()},
                   gone_depts=set(raw["gone_depts"]), users_done=set(raw["users_done"]),
                   gone_users=set(raw["gone_users"]), counts=Counter(raw.get("counts", {})))


def start_state(store: Store, corp_id: str, *, resume: bool, now: datetime) -> tuple[SyncState, bool]:
    """The interrupted run's state if there is a recent one (and `resume`), else a fresh one; and which."""
    with store.session() as s:
        raw = load_checkpoint(session=s, corp_id=corp_id, name=CHECKPOINT)
    if raw is not None and resume:
        state = SyncState.load(raw)
        if now - state.started_at <= STALE_CHECKPOINT:
            log.info("sync contacts: resuming the run started %s (%d departments, %d users already written)",
                     state.started_at.isoformat(), len(state.depts), len(state.users_done))
            return state, True
        log.info("sync contacts: ignoring a checkpoint from %s (older than %s)", state.started_at, STALE_CHECKPOINT)
    return SyncState(started_at=now), False
