"""Publishing templates: validate, store a new immutable version, and read pinned versions back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from sqlmodel import col, select

from dingperf.perf.library import resolver
from dingperf.perf.templates import Template, TemplateRef
from dingperf.store.engine import NotFound, Store
from dingperf.store.repositories.audit import append_audit
from dingperf.store.tables.perf_templates import PerfTemplate
from dingperf.store.types import utcnow


def publish_template(store: Store, corp_id: str, template: Template | Mapping[str, object], *, actor: str,
                     now: datetime | None = None) -> TemplateRef:
    """Validate and store the template as the next version; unchanged content returns the latest version."""
    if not isinstance(template, Template):
        template = Template.from_dict(template, resolver())  # raises ValidationError with what to fix
    now = now or utcnow()
    with store.session() as s:
        latest = s.exec(select(PerfTemplate).where(PerfTemplate.corp_id == corp_id,
                                                   PerfTemplate.template_id == template.id)
                        .order_by(col(PerfTemplate.version).desc()).limit(1)).first()
        if latest is not None and latest.content_hash == template.content_hash:
            return TemplateRef(latest.template_id, latest.version, latest.content_hash)
        version = 1 if latest is None else latest.version + 1
        published = replace(template, version=version)
        ref = published.ref()
        s.add(PerfTemplate(corp_id=corp_id, template_id=ref.id, version=ref.version, content_hash=ref.content_hash,
                           name=published.name, body=published.to_dict(), published_by=actor, published_at=now))
        append_audit(session=s, corp_id=corp_id, actor=actor, action="template.publish",
                     subject=f"template:{ref.id}", after={"version": ref.version, "content_hash": ref.content_hash},
                     at=now)
    return ref


def get_template(store: Store, corp_id: str, template_id: str, version: int | None = None) -> Template:
    """A stored template version (the newest when version is None); NotFound when there is none."""
    with store.session() as s:
        stmt = select(PerfTemplate).where(PerfTemplate.corp_id == corp_id, PerfTemplate.template_id == template_id)
        if version is not None:
            stmt = stmt.where(PerfTemplate.version == version)
        row = s.exec(stmt.order_by(col(PerfTemplate.version).desc()).limit(1)).first()
    if row is None:
        which = f"version {version} of " if version is not None else ""
        raise NotFound(f"no {which}template {template_id!r} is published for corp {corp_id}; "
                       "publish it first (publish_template)")
    template = Template.from_dict(row.body)
    if template.content_hash != row.content_hash:
        raise NotFound(f"template {template_id} v{row.version} no longer matches its stored hash; "
                       "the row was edited outside dingperf — publish the intended content as a new version")
    return template


def template_versions(store: Store, corp_id: str, template_id: str) -> list[TemplateRef]:
    """Every published version of a template, oldest first."""
    with store.session() as s:
        rows = s.exec(select(PerfTemplate).where(PerfTemplate.corp_id == corp_id,
                                                 PerfTemplate.template_id == template_id)
                      .order_by(col(PerfTemplate.version))).all()
    return [TemplateRef(r.template_id, r.version, r.content_hash) for r in rows]
