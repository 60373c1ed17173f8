"""Revisioned documents in the store (table perf_documents): save the next revision, read the newest, the
history, and the newest of every document of a kind in a cycle or about a person.

The rules for each kind live in dingperf.perf; this module only keeps every revision and audits each save.
`expected_revision` gives optimistic concurrency: two people editing the same plan cannot silently overwrite
each other — the second save is refused with a message telling them to reload.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from dingperf.perf.errors import ValidationError
from dingperf.store.engine import NotFound, Store
from dingperf.store.repositories.audit import append_audit
from dingperf.store.tables.perf_documents import PerfDocument
from dingperf.store.types import utcnow


class StaleRevision(ValidationError):
    """Someone saved the document since it was read; reload and apply the change again."""


@dataclass(frozen=True)
class Document:
    """One revision of a document."""

    kind: str
    doc_id: str
    revision: int
    cycle_id: str | None
    subject_userid: str | None
    status: str
    body: Mapping[str, Any]
    saved_by: str
    saved_at: datetime


def _doc(row: PerfDocument) -> Document:
    return Document(row.kind, row.doc_id, row.revision, row.cycle_id, row.subject_userid, row.status,
                    dict(row.body), row.saved_by, row.saved_at)


def save_document_in(s: Session, corp_id: str, kind: str, doc_id: str, *, status: str, body: Mapping[str, Any],
                     actor: str, cycle_id: str | None = None, subject_userid: str | None = None,
                     expected_revision: int | None = None, action: str = "save", reason: str = "",
                     now: datetime) -> Document:
    """Append the next revision inside the caller's transaction (so an outbox row or another write can share it)."""
    if not doc_id or len(doc_id) > 128:
        raise ValidationError(f"{kind} id must be 1–128 characters, got {doc_id!r}")
    latest = s.exec(select(func.max(PerfDocument.revision)).where(
        PerfDocument.corp_id == corp_id, PerfDocument.kind == kind, PerfDocument.doc_id == doc_id)).one() or 0
    if expected_revision is not None and expected_revision != latest:
        raise StaleRevision(f"{kind} {doc_id} is at revision {latest}, not {expected_revision}: someone saved it "
                            "meanwhile; reload it and apply your change again")
    row = PerfDocument(corp_id=corp_id, kind=kind, doc_id=doc_id, revision=latest + 1, cycle_id=cycle_id,
                       subject_userid=subject_userid, status=status, body=dict(body), saved_by=actor, saved_at=now)
    s.add(row)
    append_audit(session=s, corp_id=corp_id, actor=actor, action=f"{kind}.{action}", subject=f"{kind}:{doc_id}",
                 after={"revision": row.revision, "status": status}, reason=reason, at=now)
    s.flush()
    return _doc(row)


def save_document(store: Store, corp_id: str, kind: str, doc_id: str, *, status: str, body: Mapping[str, Any],
                  actor: str, cycle_id: str | None = None, subject_userid: str | None = None,
                  expected_revision: int | None = None, action: str = "save", reason: str = "",
                  now: datetime | None = None) -> Document:
    """Store the document's next revision (1 for a new one) in its own transaction; audited as `<kind>.<action>`."""
    with store.session() as s:
        return save_document_in(s, corp_id, kind, doc_id, status=status, body=body, actor=actor, cycle_id=cycle_id,
                                subject_userid=subject_userid, expected_revision=expected_revision, action=action,
                                reason=reason, now=now or utcnow())


def get_document_in(s: Session, corp_id: str, kind: str, doc_id: str, revision: int | None = None) -> Document:
    """The newest revision (or the one asked for) inside the caller's transaction; NotFound when absent."""
    stmt = select(PerfDocument).where(PerfDocument.corp_id == corp_id, PerfDocument.kind == kind,
                                      PerfDocument.doc_id == doc_id)
    if revision is not None:
        stmt = stmt.where(PerfDocument.revision == revision)
    row = s.exec(stmt.order_by(col(PerfDocument.revision).desc()).limit(1)).first()
    if row is None:
        raise NotFound(f"no {kind.replace('_', ' ')} {doc_id!r} in corp {corp_id}"
                       + (f" at revision {revision}" if revision else "") + "; check the id")
    return _doc(row)


def get_document(store: Store, corp_id: str, kind: str, doc_id: str, revision: int | None = None) -> Document:
    """The newest revision (or the one asked for); NotFound when the document does not exist."""
    with store.session() as s:
        return get_document_in(s, corp_id, kind, doc_id, revision)


def document_history(store: Store, corp_id: str, kind: str, doc_id: str) -> list[Document]:
    """Every revision of a document, oldest first."""
    with store.session() as s:
        rows = s.exec(select(PerfDocument).where(PerfDocument.corp_id == corp_id, PerfDocument.kind == kind,
                                                 PerfDocument.doc_id == doc_id)
                      .order_by(col(PerfDocument.revision))).all()
        return [_doc(r) for r in rows]


def latest_documents_in(s: Session, corp_id: str, kind: str, *, cycle_id: str | None = None,
                        subject_userid: str | None = None, status: str | None = None) -> list[Document]:
    """The newest revision of every document of `kind`, filtered by cycle and subject (on the newest revision)
    and then by status; ordered by doc_id."""
    stmt = select(PerfDocument).where(PerfDocument.corp_id == corp_id, PerfDocument.kind == kind)
    if cycle_id is not None:
        stmt = stmt.where(PerfDocument.cycle_id == cycle_id)
    if subject_userid is not None:
        stmt = stmt.where(PerfDocument.subject_userid == subject_userid)
    newest: dict[str, PerfDocument] = {}
    for row in s.exec(stmt).all():
        if row.doc_id not in newest or row.revision > newest[row.doc_id].revision:
            newest[row.doc_id] = row
    docs = [_doc(r) for _, r in sorted(newest.items())]
    return [d for d in docs if status is None or d.status == status]


def latest_documents(store: Store, corp_id: str, kind: str, *, cycle_id: str | None = None,
                     subject_userid: str | None = None, status: str | None = None) -> list[Document]:
    """The newest revision of every document of `kind` (see latest_documents_in)."""
    with store.session() as s:
        return latest_documents_in(s, corp_id, kind, cycle_id=cycle_id, subject_userid=subject_userid,
                                   status=status)
