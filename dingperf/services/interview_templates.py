"""面谈 templates: the starter set shipped as data (dingperf/perf/interview_templates.json) plus HR-defined ones
stored as revisioned documents of kind "interview_template". Starter templates are revision 0 and read-only."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from sqlmodel import Session

from dingperf.perf.errors import ValidationError
from dingperf.perf.interviews import InterviewTemplate, template_from_dict, template_to_dict
from dingperf.services.documents import Document, get_document_in, latest_documents, save_document_in
from dingperf.store.engine import NotFound, Store
from dingperf.store.types import utcnow

KIND = "interview_template"
STARTER_FILE = Path(__file__).parent.parent / "perf" / "interview_templates.json"
STARTER_REVISION = 0


@dataclass(frozen=True)
class TemplateEntry:
    """A template with where it comes from: a starter (revision 0) or an HR-defined document revision."""

    template: InterviewTemplate
    revision: int

    @property
    def is_starter(self) -> bool:
        """Shipped with dingperf (read-only), not defined by HR."""
        return self.revision == STARTER_REVISION


@lru_cache(maxsize=1)
def starter_interview_templates() -> tuple[InterviewTemplate, ...]:
    """The shipped starter set (results feedback, low performer, mid-cycle check-in)."""
    data = json.loads(STARTER_FILE.read_text(encoding="utf-8"))
    return tuple(template_from_dict(t) for t in data["templates"])


def _starters() -> dict[str, InterviewTemplate]:
    return {t.template_id: t for t in starter_interview_templates()}


def _entry(doc: Document) -> TemplateEntry:
    return TemplateEntry(template_from_dict(doc.body), doc.revision)


def save_interview_template(store: Store, corp_id: str, template: InterviewTemplate, *, actor: str,
                            hr_userids: Collection[str], expected_revision: int | None = None,
                            now: datetime | None = None) -> TemplateEntry:
    """HR saves a template (revision 1 when new; pass the revision read to change one); audited."""
    if actor not in hr_userids:
        raise ValidationError(f"{actor} is not HR; only HR ({', '.join(sorted(hr_userids)) or 'none configured'})"
                              " can define interview templates")
    if template.template_id in _starters():
        raise ValidationError(f"{template.template_id!r} is a starter template and cannot be changed; "
                              "save your version under a new id")
    at = now or utcnow()
    with store.session() as s:
        if expected_revision is None:
            try:
                current = get_document_in(s, corp_id, KIND, template.template_id)
            except NotFound:
                current = None
            if current is not None:
                raise ValidationError(f"interview template {template.template_id!r} exists (revision "
                                      f"{current.revision}); pass expected_revision to change it")
        doc = save_document_in(s, corp_id, KIND, template.template_id, status="active",
                               body=template_to_dict(template), actor=actor, expected_revision=expected_revision,
                               action="create" if expected_revision is None else "update", now=at)
        return _entry(doc)


def get_interview_template_in(s: Session, corp_id: str, template_id: str,
                              revision: int | None = None) -> TemplateEntry:
    """A starter or stored template (the newest revision, or the one asked for) inside a transaction."""
    starter = _starters().get(template_id)
    if starter is not None:
        return TemplateEntry(starter, STARTER_REVISION)
    try:
        return _entry(get_document_in(s, corp_id, KIND, template_id, revision))
    except NotFound:
        raise NotFound(f"no interview template {template_id!r}; pick one of the starters "
                       f"{sorted(_starters())} or one HR defined (list_interview_templates)") from None


def get_interview_template(store: Store, corp_id: str, template_id: str,
                           revision: int | None = None) -> TemplateEntry:
    """A starter or stored template; NotFound names the templates to pick from."""
    with store.session() as s:
        return get_interview_template_in(s, corp_id, template_id, revision)


def list_interview_templates(store: Store, corp_id: str) -> list[TemplateEntry]:
    """The starter templates, then HR's (newest revisions), each group ordered by id."""
    starters = [TemplateEntry(t, STARTER_REVISION) for t in sorted(starter_interview_templates(),
                                                                   key=lambda t: t.template_id)]
    return starters + [_entry(d) for d in latest_documents(store, corp_id, KIND)]
