"""A cycle's participant groups and exclusions, stored as revisioned documents.

- kind "participant_group", doc_id ``<cycle_id>/<group_id>``: body is the group's JSON form
  (dingperf.perf.group_dicts); status "active", or "removed" once deleted (history kept).
- kind "participant_exclusions", doc_id ``<cycle_id>``: body ``{"userids": {userid: reason}}`` — people no
  group may add to the cycle (a manual add still can).

Groups only mean something until the cycle locks, so edits after the lock are refused.
`dingperf.services.participant_refresh.refresh_participants` applies them to the participant list.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session

from dingperf.perf.audit import require_reason
from dingperf.perf.errors import ValidationError
from dingperf.perf.group_dicts import group_from_dict, group_to_dict
from dingperf.perf.groups import Group
from dingperf.services.documents import Document, get_document_in, latest_documents_in, save_document_in
from dingperf.store.engine import NotFound, Store
from dingperf.store.tables.perf_cycles import PerfCycle
from dingperf.store.types import utcnow

GROUP_KIND = "participant_group"
EXCLUSIONS_KIND = "participant_exclusions"


def _unlocked(s: Session, corp_id: str, cycle_id: str, action: str) -> None:
    row = s.get(PerfCycle, (corp_id, cycle_id))
    if row is None:
        raise NotFound(f"no cycle {cycle_id!r} in corp {corp_id}; check the id (create it with create_cycle)")
    if row.locked_at is not None:
        raise ValidationError(f"cycle {cycle_id} locked its participants at {row.locked_at.isoformat()}; "
                              f"cannot {action} now — add or remove people explicitly with a reason instead")


def save_group(store: Store, corp_id: str, cycle_id: str, group: Group | Mapping[str, Any], *, actor: str,
               expected_revision: int | None = None, now: datetime | None = None) -> Document:
    """Create or replace one group of an unlocked cycle (its JSON form is validated first)."""
    parsed = group_from_dict(group) if isinstance(group, Mapping) else group_from_dict(group_to_dict(group))
    with store.session() as s:
        _unlocked(s, corp_id, cycle_id, "change participant groups")
        return save_document_in(s, corp_id, GROUP_KIND, f"{cycle_id}/{parsed.group_id}", status="active",
                                body=group_to_dict(parsed), actor=actor, cycle_id=cycle_id,
                                expected_revision=expected_revision, now=now or utcnow())


def remove_group(store: Store, corp_id: str, cycle_id: str, group_id: str, *, actor: str, reason: str,
                 now: datetime | None = None) -> Document:
    """Retire a group (a new revision with status "removed"); its members leave at the next refresh."""
    text = require_reason(reason, f"remove participant group {group_id}")
    with store.session() as s:
        _unlocked(s, corp_id, cycle_id, "change participant groups")
        doc = get_document_in(s, corp_id, GROUP_KIND, f"{cycle_id}/{group_id}")
        if doc.status == "removed":
            raise ValidationError(f"participant group {group_id} of cycle {cycle_id} is already removed")
        return save_document_in(s, corp_id, GROUP_KIND, doc.doc_id, status="removed", body=doc.body, actor=actor,
                                cycle_id=cycle_id, expected_revision=doc.revision, action="remove", reason=text,
                                now=now or utcnow())


def cycle_groups_in(s: Session, corp_id: str, cycle_id: str) -> list[Group]:
    """The cycle's active groups, ordered by group id (the first matching group becomes the source)."""
    docs = latest_documents_in(s, corp_id, GROUP_KIND, cycle_id=cycle_id, status="active")
    return [group_from_dict(d.body) for d in docs]


def cycle_groups(store: Store, corp_id: str, cycle_id: str) -> list[Group]:
    """The cycle's active groups (see cycle_groups_in)."""
    with store.session() as s:
        return cycle_groups_in(s, corp_id, cycle_id)


def set_exclusions(store: Store, corp_id: str, cycle_id: str, exclusions: Mapping[str, str], *, actor: str,
                   now: datetime | None = None) -> Document:
    """Replace the cycle's exclusions (userid → reason; every reason required)."""
    body = {uid: require_reason(why, f"exclude {uid} from cycle {cycle_id}") for uid, why in exclusions.items()}
    with store.session() as s:
        _unlocked(s, corp_id, cycle_id, "change exclusions")
        return save_document_in(s, corp_id, EXCLUSIONS_KIND, cycle_id, status="active",
                                body={"userids": dict(sorted(body.items()))}, actor=actor, cycle_id=cycle_id,
                                now=now or utcnow())


def cycle_exclusions_in(s: Session, corp_id: str, cycle_id: str) -> dict[str, str]:
    """userid → reason of everyone excluded from the cycle's groups (empty when none were set)."""
    try:
        return dict(get_document_in(s, corp_id, EXCLUSIONS_KIND, cycle_id).body.get("userids", {}))
    except NotFound:
        return {}
