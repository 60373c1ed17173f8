"""Scoring inputs: record indicator actuals, formula inputs, plus/minus items, vetoes and rater scores in
bulk, and load them back per range of employees as ScoreInputs for the scorer."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Literal

from sqlalchemy import Connection

from dingperf.perf.errors import ValidationError
from dingperf.perf.explanation import SourceRef
from dingperf.perf.scoring import Measurement, RaterScores, ScoreInput
from dingperf.services.cycles import get_cycle
from dingperf.services.rating_standing import rating_standing
from dingperf.store.engine import Store
from dingperf.store.perf_repositories import (
    INPUTS,
    RATINGS,
    Binder,
    dumps,
    executemany,
    load_input_rows,
    load_rating_rows,
    loads,
    upsert_sql,
)
from dingperf.store.repositories.audit import append_audit
from dingperf.store.types import utcnow

InputKind = Literal["actual", "input", "adjustment", "veto"]
KINDS = ("actual", "input", "adjustment", "veto")
_TRUE = frozenset({"true", "1", "yes"})
_OTHER_KINDS = {"adjustment": 0, "veto": 1, "input": 2}


@dataclass(frozen=True, slots=True)
class InputValue:
    """One input of one employee: an indicator actual (None = 不适用 N/A), a formula input, a plus/minus
    item (points, percent or occurrences) or a veto flag, with the records it came from."""

    userid: str
    code: str
    value: object
    kind: InputKind = "actual"
    sources: tuple[SourceRef, ...] = ()
    achievement: Decimal | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class RatingEntry:
    """One rater's ratings (item code → rating or status) of one rated section for one employee."""

    userid: str
    rater_id: str
    group: str
    section: str
    ratings: Mapping[str, object]


@dataclass(frozen=True)
class _Codes:
    """The codes the cycle's pinned template accepts, so a typo fails when recorded, not when scored."""

    template: str
    by_kind: Mapping[str, frozenset[str]]
    rated: Mapping[str, frozenset[str]]
    groups: frozenset[str]

    @classmethod
    def of(cls, store: Store, corp_id: str, cycle_id: str) -> _Codes:
        from dingperf.services.templates import get_template

        cycle = get_cycle(store, corp_id, cycle_id)
        t = get_template(store, corp_id, cycle.template.id, cycle.template.version)
        raters = cycle.raters or t.raters
        by_kind = {"actual": frozenset(i.code for s in t.sections if not s.rated for i in s.items),
                   "input": frozenset(t.inputs), "adjustment": frozenset(a.code for a in t.adjustments),
                   "veto": frozenset(v.code for v in t.vetoes)}
        rated = {s.code: frozenset(i.code for i in s.items) for s in t.sections if s.rated}
        return cls(f"{t.id} v{t.version}", by_kind, rated, frozenset(g.code for g in raters.groups))

    def check_input(self, v: InputValue) -> None:
        """ValidationError unless the template declares this code for this kind of input."""
        codes = self.by_kind.get(v.kind)
        if codes is None:
            raise ValidationError(f"input kind must be one of {KINDS}, got {v.kind!r} for {v.userid}/{v.code}")
        if v.code not in codes:
            raise ValidationError(f"{v.userid}: template {self.template} has no {v.kind} {v.code!r}; "
                                  f"known: {sorted(codes)}")

    def check_rating(self, e: RatingEntry) -> None:
        """ValidationError unless the section is rated, the group declared and every item in the section."""
        items = self.rated.get(e.section)
        if items is None:
            raise ValidationError(f"{e.userid}: {e.section!r} is not a rated section of template {self.template}; "
                                  f"rated sections: {sorted(self.rated)}")
        if e.group not in self.groups:
            raise ValidationError(f"{e.userid}: rater group {e.group!r} is not used in this cycle; "
                                  f"groups: {sorted(self.groups)}")
        unknown = set(e.ratings) - items
        if unknown:
            raise ValidationError(f"{e.userid}: section {e.section!r} has no item(s) {sorted(unknown)}; "
                                  f"items: {sorted(items)}")


def _text(value: object, what: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    raise ValidationError(f"{what}: cannot store a {type(value).__name__}; give a number, a status or true/false")


def record_inputs(store: Store, corp_id: str, cycle_id: str, values: Iterable[InputValue], *, actor: str = "system",
                  now: datetime | None = None, batch_size: int = 10_000) -> int:
    """Insert or replace inputs in bulk (one transaction per batch); one audit entry per call."""
    known = _Codes.of(store, corp_id, cycle_id)  # NotFound for an unknown cycle
    now = now or utcnow()
    cols = ("corp_id", "cycle_id", "userid", "kind", "code", "value", "achievement", "sources", "note",
            "recorded_by", "recorded_at")
    count = 0
    batch: list[tuple[object, ...]] = []
    with store.session() as s:
        b = Binder(s.connection())
    sql, at = upsert_sql(INPUTS, cols, cols[:5], b.placeholder), b.time(now)
    codes: set[str] = set()
    for v in values:
        known.check_input(v)
        sources = dumps([{"kind": r.kind, "id": r.id, "note": r.note} for r in v.sources]) if v.sources else None
        batch.append((corp_id, cycle_id, v.userid, v.kind, v.code, _text(v.value, f"{v.userid}/{v.code}"),
                      None if v.achievement is None else str(v.achievement), sources, v.note, actor, at))
        codes.add(f"{v.kind}:{v.code}")
        if len(batch) >= batch_size:
            count += _flush(store, sql, batch)
            batch = []
    count += _flush(store, sql, batch)
    with store.session() as s:
        append_audit(session=s, corp_id=corp_id, actor=actor, action="inputs.record", subject=f"cycle:{cycle_id}",
                     after={"rows": count, "codes": sorted(codes)[:50]}, at=now)
    return count


def record_ratings(store: Store, corp_id: str, cycle_id: str, entries: Iterable[RatingEntry], *,
                   now: datetime | None = None, batch_size: int = 10_000, actor: str = "system",
                   hr_override: bool = False, trusted_import: bool = False) -> int:
    """Insert or replace rater scores, one row per (employee, rater, section): all of them or, on any refusal,
    none (one transaction).

    Who may rate (services/rating_standing.py): a self review only by the reviewee; a manager review only by
    the reviewee's manager (set on the participant, else synced), unless HR passes `hr_override` (audited);
    peer, subordinate and cross-department reviews only by an approved nominee — whenever the cycle requires
    nominations, which by default it does as soon as it weights one of those groups. An HR director expects
    a 360 score to come from someone the manager approved, and a manager score from the manager; cycles that
    weight only self and manager (the starter library's default) keep accepting a manager review when no
    manager is recorded, and HR can switch the requirement on or off per cycle (nominations.set_review_rules).

    `trusted_import=True` skips the standing checks for bulk loads of already-vetted data (migrations,
    bench/score_cycle.py); it writes in batches of `batch_size`, each its own transaction, and is audited.
    """
    known = _Codes.of(store, corp_id, cycle_id)
    now = now or utcnow()
    cols = ("corp_id", "cycle_id", "userid", "rater_id", "section", "rater_group", "ratings", "submitted_at")
    with store.session() as s:
        b = Binder(s.connection())
    sql, at = upsert_sql(RATINGS, cols, cols[:5], b.placeholder), b.time(now)

    def rows(check: Callable[[RatingEntry], None]) -> Iterator[tuple[object, ...]]:
        for e in entries:
            known.check_rating(e)
            check(e)
            ratings = {code: _text(r, f"rating of {code} by {e.rater_id}") for code, r in e.ratings.items()}
            yield (corp_id, cycle_id, e.userid, e.rater_id, e.section, e.group, dumps(ratings), at)

    if trusted_import:
        count = 0
        for batch in _batches(rows(lambda e: None), batch_size):
            count += _flush(store, sql, batch)
        with store.session() as s:
            append_audit(session=s, corp_id=corp_id, actor=actor, action="ratings.import_trusted",
                         subject=f"cycle:{cycle_id}", after={"rows": count}, at=now)
        return count
    if hr_override and actor == "system":
        raise ValidationError("an HR override must name the HR user who made it: pass actor=<their userid>")
    standing = rating_standing(store, corp_id, cycle_id)  # once per call: never a read per row
    overridden: list[str] = []

    def check(e: RatingEntry) -> None:
        problem = standing.problem(e.userid, e.rater_id, e.group, hr_override=hr_override)
        if problem is not None:
            raise ValidationError(f"{problem}; nothing was recorded")
        if hr_override and e.group == "manager" and not standing.is_manager(e.userid, e.rater_id):
            overridden.append(f"{e.userid}<-{e.rater_id}")

    count = 0
    with store.session() as s:
        conn = s.connection()
        for batch in _batches(rows(check), batch_size):
            executemany(conn, sql, batch)
            count += len(batch)
        if overridden:
            append_audit(session=s, corp_id=corp_id, actor=actor, action="ratings.hr_override",
                         subject=f"cycle:{cycle_id}", after={"rows": len(overridden), "ratings": overridden[:50]},
                         at=now)
    return count


def _batches(rows: Iterable[tuple[object, ...]], size: int) -> Iterator[list[tuple[object, ...]]]:
    batch: list[tuple[object, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _flush(store: Store, sql: str, batch: Sequence[tuple[object, ...]]) -> int:
    if batch:
        with store.session() as s:
            executemany(s.connection(), sql, batch)
    return len(batch)


class InputLoader:
    """Builds ScoreInputs from stored rows; repeated texts (ratings, values) are parsed once per load."""

    def __init__(self) -> None:
        self._values: dict[str | None, object] = {}
        self._ratings: dict[str, dict[str, object]] = {}

    def value(self, text: str | None) -> object:
        """A stored value: Decimal when numeric, else the status text; None stays None (N/A)."""
        try:
            return self._values[text]
        except KeyError:
            pass
        if len(self._values) > 50_000:
            self._values.clear()  # bounded: a cycle of free-form decimals must not grow this forever
        parsed: object = text
        if text is not None:
            try:
                parsed = Decimal(text)
            except InvalidOperation:
                parsed = text
        self._values[text] = parsed
        return parsed

    def ratings(self, raw: object) -> dict[str, object]:
        """Parsed ratings of one row (shared between rows with identical text; never mutated)."""
        if isinstance(raw, str):
            hit = self._ratings.get(raw)
            if hit is None:
                if len(self._ratings) > 50_000:
                    self._ratings.clear()
                hit = self._ratings[raw] = {k: self.value(v) for k, v in loads(raw).items()}
            return hit
        return {k: self.value(v) for k, v in loads(raw).items()}

    def load(self, conn: Connection, corp_id: str, cycle_id: str, userids: Sequence[str]) -> Iterator[ScoreInput]:
        """ScoreInputs for `userids` (a slice of participant_ids, in database order): two range queries."""
        if not userids:
            return
        first, last = userids[0], userids[-1]
        actuals: dict[str, dict[str, object]] = {}
        others: dict[str, tuple[dict[str, object], dict[str, object], dict[str, object]]] = {}
        cache, value = self._values, self.value
        for userid, kind, code, text, achievement, sources, note in load_input_rows(conn, corp_id, cycle_id,
                                                                                     first, last):
            if kind == "actual" and sources is None and achievement is None and not note:
                # The common row, kept lean: hundreds of thousands of these per run.
                v = cache[text] if text in cache else value(text)
                mine = actuals.get(userid)
                if mine is None:
                    actuals[userid] = {code: v}
                else:
                    mine[code] = v
                continue
            v = (text or "").lower() in _TRUE if kind == "veto" else value(text)
            src = loads(sources) if sources is not None else None
            if src or achievement is not None or note:
                v = Measurement(v, tuple(SourceRef(str(r["kind"]), str(r["id"]), str(r.get("note", "")))
                                         for r in src or ()),
                                None if achievement is None else Decimal(achievement), note or "")
            if kind == "actual":
                actuals.setdefault(userid, {})[code] = v
            else:
                parts = others.get(userid)
                if parts is None:
                    parts = others[userid] = ({}, {}, {})
                parts[_OTHER_KINDS[kind]][code] = v
        raters: dict[str, list[RaterScores]] = {}
        previous: tuple[str, str] | None = None
        for userid, rater_id, _section, group, ratings in load_rating_rows(conn, corp_id, cycle_id, first, last):
            parsed = self.ratings(ratings)
            mine_r = raters.get(userid)
            if mine_r is None:
                mine_r = raters[userid] = []
            elif previous == (userid, rater_id):  # the same rater rated a second section: merge the sections
                merged = dict(mine_r[-1].ratings)
                merged.update(parsed)
                mine_r[-1] = RaterScores(rater_id, group, merged)
                continue
            mine_r.append(RaterScores(rater_id, group, parsed))
            previous = (userid, rater_id)
        empty: dict[str, object] = {}
        none = (empty, empty, empty)
        for userid in userids:
            adjustments, vetoes, inputs = others.get(userid, none)
            yield ScoreInput(userid, actuals.get(userid, empty), tuple(raters.get(userid, ())), adjustments, vetoes,
                             inputs)
