"""面谈 (performance interviews): templates with sections and questions, and the record of one
conversation (both parties, date, answers, agreed actions), confirmed by both parties.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from dingperf.perf.audit import AuditRecord, record, require_aware
from dingperf.perf.errors import ValidationError


class QuestionKind(StrEnum):
    TEXT = "text"
    RATING = "rating"
    CHOICE = "choice"


@dataclass(frozen=True)
class Question:
    question_id: str
    text: str
    kind: QuestionKind = QuestionKind.TEXT
    required: bool = True
    options: tuple[str, ...] = ()
    scale_max: int = 5  # ratings are 1..scale_max

    def __post_init__(self) -> None:
        if not self.question_id.strip() or not self.text.strip():
            raise ValidationError(f"every question needs an id and a text, got {self.question_id!r}: {self.text!r}")
        if self.kind is QuestionKind.CHOICE and len(self.options) < 2:
            raise ValidationError(f"choice question {self.question_id} needs at least two options")
        if self.kind is QuestionKind.RATING and self.scale_max < 2:
            raise ValidationError(f"rating question {self.question_id} needs a scale of at least 2")


@dataclass(frozen=True)
class Section:
    title: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class InterviewTemplate:
    template_id: str
    name: str
    sections: tuple[Section, ...]
    description: str = ""  # when to use it, shown in the template picker

    def __post_init__(self) -> None:
        if not self.template_id.strip() or not self.name.strip():
            raise ValidationError("an interview template needs an id and a name")
        ids = [q.question_id for s in self.sections for q in s.questions]
        if not ids:
            raise ValidationError(f"interview template {self.name!r} has no questions")
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValidationError(f"interview template {self.name!r} repeats question ids {dupes}")

    def questions(self) -> dict[str, Question]:
        return {q.question_id: q for s in self.sections for q in s.questions}


@dataclass(frozen=True)
class AgreedAction:
    text: str
    owner: str
    due: date


@dataclass(frozen=True)
class InterviewRecord:
    record_id: str
    template_id: str
    cycle_id: str
    employee: str
    interviewer: str
    held_on: date
    answers: tuple[tuple[str, str], ...]
    agreed_actions: tuple[AgreedAction, ...] = ()
    confirmations: tuple[tuple[str, datetime], ...] = ()

    @property
    def is_confirmed_by_both(self) -> bool:
        who = {u for u, _ in self.confirmations}
        return {self.employee, self.interviewer} <= who


def _check_answer(q: Question, answer: str) -> str:
    text = str(answer).strip()
    if q.kind is QuestionKind.RATING:
        if not text.isdigit() or not (1 <= int(text) <= q.scale_max):
            raise ValidationError(f"question {q.question_id!r} takes a rating 1–{q.scale_max}, got {answer!r}")
    elif q.kind is QuestionKind.CHOICE and text not in q.options:
        raise ValidationError(f"question {q.question_id!r} takes one of {list(q.options)}, got {answer!r}")
    return text


def record_interview(template: InterviewTemplate, record_id: str, cycle_id: str, employee: str, interviewer: str,
                     held_on: date, answers: Mapping[str, str | int],
                     agreed_actions: Sequence[AgreedAction] = ()) -> InterviewRecord:
    """Validate answers against the template (required, rating range, choice options) and build the record."""
    if employee == interviewer:
        raise ValidationError("an interview has two parties; the interviewer cannot be the employee")
    questions = template.questions()
    unknown = sorted(set(answers) - set(questions))
    if unknown:
        raise ValidationError(f"answers to questions not in template {template.name!r}: {unknown}")
    clean: dict[str, str] = {}
    for qid, q in questions.items():
        raw = answers.get(qid)
        if raw is None or not str(raw).strip():
            if q.required:
                raise ValidationError(f"question {qid!r} ({q.text}) is required")
            continue
        clean[qid] = _check_answer(q, str(raw))
    for a in agreed_actions:
        if not a.text.strip() or not a.owner:
            raise ValidationError("an agreed action needs a description and an owner")
        if a.due < held_on:
            raise ValidationError(f"agreed action {a.text!r} is due {a.due}, before the interview on {held_on}; "
                                  "pick a due date after the conversation")
    return InterviewRecord(record_id, template.template_id, cycle_id, employee, interviewer, held_on,
                           tuple(sorted(clean.items())), tuple(agreed_actions))


def confirm_record(rec: InterviewRecord, userid: str, now: datetime) -> tuple[InterviewRecord, AuditRecord]:
    """One party confirms the record is accurate; both parties confirming closes it."""
    if userid not in (rec.employee, rec.interviewer):
        raise ValidationError(f"{userid} was not part of interview {rec.record_id}")
    if any(u == userid for u, _ in rec.confirmations):
        raise ValidationError(f"{userid} already confirmed interview {rec.record_id}")
    before = "confirmed" if rec.is_confirmed_by_both else "open"
    new = replace(rec, confirmations=(*rec.confirmations, (userid, require_aware(now))))
    after = "confirmed" if new.is_confirmed_by_both else "open"
    return new, record(userid, "confirm_interview", before, after, now)


def revise_record(rec: InterviewRecord, template: InterviewTemplate, held_on: date, answers: Mapping[str, str | int],
                  agreed_actions: Sequence[AgreedAction] = ()) -> InterviewRecord:
    """New answers for a record not yet confirmed by both; earlier confirmations are cleared (they covered the
    old text)."""
    if rec.is_confirmed_by_both:
        raise ValidationError(f"interview {rec.record_id} was confirmed by both parties and is final; "
                              "record a follow-up interview instead")
    if template.template_id != rec.template_id:
        raise ValidationError(f"interview {rec.record_id} uses template {rec.template_id!r}, "
                              f"not {template.template_id!r}")
    return record_interview(template, rec.record_id, rec.cycle_id, rec.employee, rec.interviewer, held_on, answers,
                            agreed_actions)


def without_confirmed_interview(userids: Iterable[str], records: Iterable[InterviewRecord]) -> tuple[str, ...]:
    """The people (sorted) who have no interview record confirmed by both parties."""
    done = {r.employee for r in records if r.is_confirmed_by_both}
    return tuple(sorted(set(userids) - done))


# --- JSON data: the starter file, stored documents ------------------------------------------------------------

def template_to_dict(t: InterviewTemplate) -> dict[str, Any]:
    """The template as JSON-safe data, exactly reversible by `template_from_dict`."""
    return {"id": t.template_id, "name": t.name, "description": t.description,
            "sections": [{"title": s.title, "questions": [
                {"id": q.question_id, "text": q.text, "kind": q.kind.value, "required": q.required,
                 "options": list(q.options), "scale_max": q.scale_max} for q in s.questions]} for s in t.sections]}


def template_from_dict(d: Mapping[str, Any]) -> InterviewTemplate:
    """A template from JSON data; malformed data is refused with what is wrong."""
    try:
        sections = tuple(
            Section(str(s["title"]), tuple(
                Question(str(q["id"]), str(q["text"]), QuestionKind(q.get("kind", "text")),
                         bool(q.get("required", True)), tuple(str(o) for o in q.get("options", ())),
                         int(q.get("scale_max", 5))) for q in s["questions"]))
            for s in d["sections"])
        return InterviewTemplate(str(d["id"]), str(d["name"]), sections, str(d.get("description", "")))
    except ValidationError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        name = d.get("id", "?") if isinstance(d, Mapping) else "?"
        raise ValidationError(f"interview template {name!r} is malformed ({type(exc).__name__}: {exc}); it needs "
                              "id, name and sections of {title, questions: [{id, text, kind}]}") from None


def record_to_dict(rec: InterviewRecord) -> dict[str, Any]:
    """The record as JSON-safe data (dates as ISO strings), exactly reversible by `record_from_dict`."""
    return {"record_id": rec.record_id, "template_id": rec.template_id, "cycle_id": rec.cycle_id,
            "employee": rec.employee, "interviewer": rec.interviewer, "held_on": rec.held_on.isoformat(),
            "answers": dict(rec.answers),
            "agreed_actions": [{"text": a.text, "owner": a.owner, "due": a.due.isoformat()}
                               for a in rec.agreed_actions],
            "confirmations": [{"userid": u, "at": at.isoformat()} for u, at in rec.confirmations]}


def record_from_dict(d: Mapping[str, Any]) -> InterviewRecord:
    """The record back from `record_to_dict` data."""
    return InterviewRecord(
        d["record_id"], d["template_id"], d["cycle_id"], d["employee"], d["interviewer"],
        date.fromisoformat(d["held_on"]), tuple(sorted(d["answers"].items())),
        tuple(AgreedAction(a["text"], a["owner"], date.fromisoformat(a["due"])) for a in d["agreed_actions"]),
        tuple((c["userid"], datetime.fromisoformat(c["at"])) for c in d["confirmations"]))
