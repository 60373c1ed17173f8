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
from dingperf.store.engine import Store
from dingperf.store.perf_repositories import Binder, dumps, executemany
from dingperf.store.tables.audit import AuditEntry
from dingperf.store.tables.perf_documents import PerfDocument
from dingperf.store.types import utcnow

KIND = "employee_profile"


def _newest(conn: Connection, corp_id: str) -> dict[str, tuple[int, int | None]]:
    b = Binder(conn)
    p = b.placeholder
    # The database extracts the one field, so 100,000 profiles cost no JSON parsing here.
    level = "json_extract(body, '$.job_level')" if b.sqlite else "(body ->> 'job_level')::integer"
    cursor = conn.connection.cursor()  # raw DBAPI rows: SQLAlchemy's per-row wrapping would double the cost
    try:
        cursor.execute(f"SELECT doc_id, revision, {level} FROM {PerfDocument.__tablename__} "
                       f"WHERE corp_id = {p} AND kind = {p}", (corp_id, KIND))
        rows = cursor.fetchall()
    finally:
        cursor.close()
    newest: dict[str, tuple[int, int | None]] = {}
    for doc_id, revision, job_level in rows:
        if doc_id not in newest or revision > newest[doc_id][0]:
            newest[doc_id] = (revision, job_level)
    return newest


def load_job_levels(conn: Connection, corp_id: str) -> dict[str, int | None]:
    """userid → job level from the newest profile revision of everyone who has one (one range read)."""
    return {uid: level for uid, (_, level) in _newest(conn, corp_id).items()}


def set_job_levels(store: Store, corp_id: str, levels: Mapping[str, int | None], *, actor: str,
                   reason: str = "", now: datetime | None = None) -> int:
    """Set job levels (None clears one) in one transaction; returns how many changed. Bad input changes nothing.

    Each change is the profile's next revision with its own audit entry (as documents.save_document would
    write them), inserted in bulk so a 100,000-person import takes seconds.
    """
    for uid, level in levels.items():
        if not isinstance(uid, str) or not uid or len(uid) > 64:
            raise ValidationError(f"userid must be 1–64 characters, got {uid!r}")
        if level is not None and (isinstance(level, bool) or not isinstance(level, int) or level < 0):
            raise ValidationError(f"job level of {uid} must be a whole number ≥ 0 or empty, got {level!r}")
    at = now or utcnow()
    with store.session() as s:
        conn = s.connection()
        b = Binder(conn)
        known = _newest(conn, corp_id)
        docs, audits = [], []
        stamp = b.time(at)
        for uid in sorted(levels):
            revision, old = known.get(uid, (0, None))
            if old == levels[uid] and (revision or levels[uid] is None):
                continue
            docs.append((corp_id, KIND, uid, revision + 1, uid, "active", dumps({"job_level": levels[uid]}), actor,
                         stamp))
            audits.append((corp_id, actor, f"{KIND}.set_job_level", f"{KIND}:{uid}",
                           dumps({"job_level": old}), dumps({"revision": revision + 1, "status": "active",
                                                             "job_level": levels[uid]}), reason, stamp))
        p = b.placeholder
        executemany(conn, f"INSERT INTO {PerfDocument.__tablename__} (corp_id, kind, doc_id, revision, "
                          f"subject_userid, status, body, saved_by, saved_at) VALUES ({', '.join([p] * 9)})", docs)
        executemany(conn, f"INSERT INTO {AuditEntry.__tablename__} (corp_id, actor, action, subject, before, "
                          f"after, reason, at) VALUES ({', '.join([p] * 8)})", audits)
        return len(docs)
