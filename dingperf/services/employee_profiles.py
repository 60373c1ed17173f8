"""HR-maintained employee attributes that DingTalk's user detail does not carry — today the job level (职级)
that participant rules read.

Each employee has one revisioned document of kind "employee_profile" (doc_id = subject = userid) with body
``{"job_level": <int or null>}``. HR sets levels in bulk (an import from the HR system or a spreadsheet);
only levels that actually change get a new revision, and each change is audited like any document save.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Connection

from dingperf.perf.errors import ValidationError
from dingperf.services.documents import save_document_in
from dingperf.store.engine import Store
from dingperf.store.perf_repositories import Binder, loads
from dingperf.store.tables.perf_documents import PerfDocument
from dingperf.store.types import utcnow

KIND = "employee_profile"


def load_job_levels(conn: Connection, corp_id: str) -> dict[str, int | None]:
    """userid → job level from the newest profile revision of everyone who has one (one range read)."""
    p = Binder(conn).placeholder
    rows = conn.exec_driver_sql(
        f"SELECT doc_id, revision, body FROM {PerfDocument.__tablename__} WHERE corp_id = {p} AND kind = {p}",
        (corp_id, KIND)).fetchall()
    newest: dict[str, tuple[int, object]] = {}
    for doc_id, revision, body in rows:
        if doc_id not in newest or revision > newest[doc_id][0]:
            newest[doc_id] = (revision, body)
    return {uid: loads(body).get("job_level") for uid, (_, body) in newest.items()}


def set_job_levels(store: Store, corp_id: str, levels: Mapping[str, int | None], *, actor: str,
                   reason: str = "", now: datetime | None = None) -> int:
    """Set job levels (None clears one) in one transaction; returns how many changed. Bad input changes nothing."""
    for uid, level in levels.items():
        if not uid or len(uid) > 64:
            raise ValidationError(f"userid must be 1–64 characters, got {uid!r}")
        if level is not None and (isinstance(level, bool) or not isinstance(level, int) or level < 0):
            raise ValidationError(f"job level of {uid} must be a whole number ≥ 0 or empty, got {level!r}")
    at = now or utcnow()
    with store.session() as s:
        known = load_job_levels(s.connection(), corp_id)
        changed = 0
        for uid in sorted(levels):
            if uid in known and known[uid] == levels[uid] or uid not in known and levels[uid] is None:
                continue
            save_document_in(s, corp_id, KIND, uid, status="active", body={"job_level": levels[uid]}, actor=actor,
                             subject_userid=uid, action="set_job_level", reason=reason, now=at)
            changed += 1
        return changed
