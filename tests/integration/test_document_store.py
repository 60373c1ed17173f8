"""Revisioned documents: each save is a new revision with one audit entry; a stale save is refused and writes
nothing; listings show the newest revision of each document."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dingperf.services.documents import (
    StaleRevision,
    document_history,
    get_document,
    latest_documents,
    save_document,
)
from dingperf.store.engine import NotFound, Store
from dingperf.store.repositories.audit import list_audit

CORP = "dingcorp-docs"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def test_each_save_is_a_new_revision_and_one_audit_entry(store: Store) -> None:
    save_document(store, CORP, "interview", "iv-1", status="draft", body={"notes": "a"}, actor="m1",
                  cycle_id="c1", subject_userid="u1", now=NOW)
    second = save_document(store, CORP, "interview", "iv-1", status="done", body={"notes": "b"}, actor="m1",
                           cycle_id="c1", subject_userid="u1", expected_revision=1, action="finish", now=NOW)
    assert second.revision == 2
    assert get_document(store, CORP, "interview", "iv-1").body == {"notes": "b"}
    assert get_document(store, CORP, "interview", "iv-1", revision=1).body == {"notes": "a"}
    assert [d.status for d in document_history(store, CORP, "interview", "iv-1")] == ["draft", "done"]
    with store.session() as s:
        actions = [e.action for e in list_audit(session=s, corp_id=CORP, subject="interview:iv-1")]
    assert sorted(actions) == ["interview.finish", "interview.save"]


def test_a_stale_save_is_refused_and_writes_nothing(store: Store) -> None:
    save_document(store, CORP, "interview", "iv-1", status="draft", body={}, actor="m1", now=NOW)
    save_document(store, CORP, "interview", "iv-1", status="draft", body={"x": 1}, actor="m2", now=NOW)
    with pytest.raises(StaleRevision, match="reload"):
        save_document(store, CORP, "interview", "iv-1", status="done", body={}, actor="m1", expected_revision=1,
                      now=NOW)
    assert len(document_history(store, CORP, "interview", "iv-1")) == 2


def test_listing_shows_the_newest_revision_of_each_document(store: Store) -> None:
    for doc_id, user in (("a", "u1"), ("b", "u2"), ("c", "u1")):
        save_document(store, CORP, "nomination", doc_id, status="proposed", body={}, actor="x", cycle_id="c1",
                      subject_userid=user, now=NOW)
    save_document(store, CORP, "nomination", "a", status="approved", body={}, actor="x", cycle_id="c1",
                  subject_userid="u1", now=NOW)
    save_document(store, CORP, "interview", "a", status="draft", body={}, actor="x", cycle_id="c1", now=NOW)
    listed = latest_documents(store, CORP, "nomination", cycle_id="c1", subject_userid="u1")
    assert [(d.doc_id, d.revision, d.status) for d in listed] == [("a", 2, "approved"), ("c", 1, "proposed")]
    assert [d.doc_id for d in latest_documents(store, CORP, "nomination", status="proposed")] == ["b", "c"]


def test_an_unknown_document_is_not_found_with_a_hint(store: Store) -> None:
    with pytest.raises(NotFound, match="no improvement plan 'p9'.*check the id"):
        get_document(store, CORP, "improvement_plan", "p9")
