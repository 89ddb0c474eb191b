"""Writes for surveys: the respondent's draft, saved page by page, sending it, voting in a quick
poll; and staff's building, opening, closing and reviewing free texts.

Actions never commit: the route (or ``web.responses.submit_form``) commits once after the action,
and a refusal (``SurveyError``, a ``Refused``) leaves nothing the route would commit.

Integrity lives in the database: one response per person (``UNIQUE (survey_id, user_id)``) or
per anonymous session (``UNIQUE (survey_id, anon_key)``), created with ``INSERT … ON CONFLICT DO
NOTHING``; a response is sent by ``UPDATE … WHERE submitted_at IS NULL``, so of two concurrent
sends one wins and a sent response is never changed again. Results are counted from the rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.consultations.models import Consultation
from beteiligung.db import insert_ignoring_duplicates, utcnow
from beteiligung.i18n import gettext as _
from beteiligung.surveys.answers import Answer, visible_questions
from beteiligung.surveys.models import (
    CHOICE_KINDS,
    NO,
    OPTION_KINDS,
    YES,
    QuestionKind,
    ResultsVisibility,
    Review,
    Survey,
    SurveyAnswer,
    SurveyKind,
    SurveyOption,
    SurveyQuestion,
    SurveyResponse,
    SurveySection,
    SurveyStatus,
)
from beteiligung.web.errors import Refused

MAX_OPTIONS = 20


class SurveyError(Refused):
    """A survey's refusal (issue 12: the one ``Refused``, by name for its callers)."""


@dataclass(frozen=True)
class Respondent:
    """A signed-in person (``user_id``) or an anonymous browser session (``anon_key``)."""

    user_id: int | None = None
    anon_key: str | None = None

    def where(self) -> object:
        if self.user_id is not None:
            return SurveyResponse.user_id == self.user_id
        return SurveyResponse.anon_key == self.anon_key


# --------------------------------------------------------------------------------------------
# Respondents
# --------------------------------------------------------------------------------------------
async def find_response(
    db: AsyncSession, survey_id: int, respondent: Respondent | None
) -> SurveyResponse | None:
    if respondent is None:
        return None
    stmt = select(SurveyResponse).where(SurveyResponse.survey_id == survey_id, respondent.where())  # type: ignore[arg-type]
    return (await db.scalars(stmt)).first()


async def ensure_response(
    db: AsyncSession, survey: Survey, respondent: Respondent
) -> tuple[SurveyResponse, bool]:
    """The respondent's response, created as a draft when there is none (a second request at
    the same moment finds the first one's row). Returns it and whether it was created."""
    existing = await find_response(db, survey.id, respondent)
    if existing is not None:
        return existing, False
    created = await insert_ignoring_duplicates(
        db,
        SurveyResponse.__table__,
        {"survey_id": survey.id, "user_id": respondent.user_id, "anon_key": respondent.anon_key},
    )
    response = await find_response(db, survey.id, respondent)
    assert response is not None
    return response, created


def _rows(question: SurveyQuestion, answer: Answer, review: Review) -> list[dict[str, object]]:
    base = {"question_id": question.id, "review": review.value}
    if question.kind == QuestionKind.RANKING:
        return [{**base, "option_id": o, "number": i + 1, "text": ""} for i, o in enumerate(answer.options)]
    if question.kind in CHOICE_KINDS:
        rows: list[dict[str, object]] = [
            {**base, "option_id": o, "number": None, "text": ""} for o in answer.options
        ]
        if answer.other is not None:
            rows.append({**base, "option_id": None, "number": None, "text": answer.other})
        return rows
    if question.kind == QuestionKind.SCALE:
        return [{**base, "option_id": None, "number": answer.number, "text": ""}]
    return [{**base, "option_id": None, "number": None, "text": answer.text}]


async def _write_answers(
    db: AsyncSession,
    response_id: int,
    questions: Sequence[SurveyQuestion],
    answers: Mapping[int, Answer],
) -> None:
    ids = [q.id for q in questions]
    if ids:
        await db.execute(
            delete(SurveyAnswer).where(
                SurveyAnswer.response_id == response_id, SurveyAnswer.question_id.in_(ids)
            )
        )
    now = utcnow()
    rows = [
        {**row, "response_id": response_id, "created_at": now, "updated_at": now}
        for q in questions
        if q.id in answers and not answers[q.id].empty
        for row in _rows(q, answers[q.id], Review.PENDING)
    ]
    if rows:
        await db.execute(insert(SurveyAnswer), rows)


async def _lock_draft(db: AsyncSession, response_id: int) -> bool:
    """Touch the draft (taking its row lock on PostgreSQL); False once it was sent."""
    result = await db.execute(
        update(SurveyResponse)
        .where(SurveyResponse.id == response_id, SurveyResponse.submitted_at.is_(None))
        .values(updated_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def save_answers(
    db: AsyncSession,
    response: SurveyResponse,
    questions: Sequence[SurveyQuestion],
    answers: Mapping[int, Answer],
) -> None:
    """Replace the draft's answers to ``questions`` (one page); refused once it was sent."""
    if not await _lock_draft(db, response.id):
        raise SurveyError(_("Ihre Antworten sind bereits abgesendet und können nicht mehr geändert werden."))
    await _write_answers(db, response.id, questions, answers)


async def load_answers(db: AsyncSession, survey: Survey, response_id: int) -> dict[int, Answer]:
    rows = (
        await db.execute(
            select(SurveyAnswer.question_id, SurveyAnswer.option_id, SurveyAnswer.number, SurveyAnswer.text)
            .where(SurveyAnswer.response_id == response_id)
            .order_by(SurveyAnswer.id)
        )
    ).all()
    return answers_from_rows(survey, rows)


def answers_from_rows(
    survey: Survey, rows: Sequence[tuple[int, int | None, int | None, str]]
) -> dict[int, Answer]:
    kinds = {q.id: q.kind for q in survey.questions}
    grouped: dict[int, list[tuple[int | None, int | None, str]]] = {}
    for question_id, option_id, number, text in rows:
        grouped.setdefault(question_id, []).append((option_id, number, text))
    out: dict[int, Answer] = {}
    for question_id, items in grouped.items():
        kind = kinds.get(question_id)
        if kind == QuestionKind.RANKING:
            ranked = sorted((n or 0, o) for o, n, _t in items if o is not None)
            out[question_id] = Answer(options=tuple(o for _n, o in ranked))
        elif kind in CHOICE_KINDS:
            options = tuple(o for o, _n, _t in items if o is not None)
            other = next((t for o, _n, t in items if o is None), None)
            out[question_id] = Answer(options=options, other=other)
        elif kind == QuestionKind.SCALE:
            out[question_id] = Answer(number=items[0][1])
        elif kind is not None:
            out[question_id] = Answer(text=items[0][2])
    return out


async def submit_response(db: AsyncSession, survey: Survey, response: SurveyResponse, now: datetime) -> bool:
    """Send the draft: answers to questions the respondent no longer sees go, ``submitted_at``
    is set. False when it had been sent already (a double click, a second tab)."""
    if not await _lock_draft(db, response.id):
        return False  # nothing was written
    answers = await load_answers(db, survey, response.id)
    shown = visible_questions(survey.ordered_questions(), answers)
    hidden = [qid for qid in answers if qid not in shown]
    if hidden:
        await db.execute(
            delete(SurveyAnswer).where(
                SurveyAnswer.response_id == response.id, SurveyAnswer.question_id.in_(hidden)
            )
        )
    result = await db.execute(
        update(SurveyResponse)
        .where(SurveyResponse.id == response.id, SurveyResponse.submitted_at.is_(None))
        .values(submitted_at=now)
    )
    response.submitted_at = now
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def vote_poll(
    db: AsyncSession, survey: Survey, respondent: Respondent, answer: Answer, now: datetime
) -> bool:
    """A quick poll's vote: response and answer in one transaction, sent at once. False when the
    person (or session) had voted already; the unique constraint decides between concurrent votes."""
    created = await insert_ignoring_duplicates(
        db,
        SurveyResponse.__table__,
        {
            "survey_id": survey.id,
            "user_id": respondent.user_id,
            "anon_key": respondent.anon_key,
            "submitted_at": now,
        },
    )
    if not created:
        return False  # the conflicting insert wrote nothing
    response = await find_response(db, survey.id, respondent)
    assert response is not None
    await _write_answers(db, response.id, survey.questions[:1], {survey.questions[0].id: answer})
    return True


# --------------------------------------------------------------------------------------------
# Staff: building
# --------------------------------------------------------------------------------------------
def _editable(survey: Survey) -> None:
    if survey.status != SurveyStatus.DRAFT:
        raise SurveyError(
            _(
                "Eine veröffentlichte Umfrage kann nicht mehr umgebaut werden, "
                "damit alle Antworten zu denselben Fragen gehören."
            )
        )


async def reload(db: AsyncSession, survey_id: int) -> Survey:
    survey = await db.get(Survey, survey_id, populate_existing=True)
    assert survey is not None
    return survey


async def create_survey(
    db: AsyncSession,
    *,
    consultation: Consultation,
    kind: SurveyKind,
    title: str,
    intro: str,
    allow_anonymous: bool,
    results_visibility: ResultsVisibility,
    free_text_reviewed: bool,
) -> Survey:
    survey = Survey(
        consultation_id=consultation.id,
        kind=kind,
        title=title,
        intro=intro,
        allow_anonymous=allow_anonymous,
        results_visibility=results_visibility,
        free_text_reviewed=free_text_reviewed,
    )
    db.add(survey)
    await db.flush()
    db.add(
        SurveySection(
            survey_id=survey.id, position=1, title=title if kind == SurveyKind.POLL else _("Teil 1")
        )
    )
    await db.flush()
    return await reload(db, survey.id)


async def update_survey(db: AsyncSession, survey: Survey, **fields: object) -> None:
    for name, value in fields.items():
        setattr(survey, name, value)


async def add_section(db: AsyncSession, survey: Survey, *, title: str, description: str) -> SurveySection:
    _editable(survey)
    if survey.is_poll:
        raise SurveyError(_("Eine Schnellumfrage hat genau einen Teil."))
    position = max((s.position for s in survey.sections), default=0) + 1
    section = SurveySection(position=position, title=title, description=description)
    survey.sections.append(section)
    await db.flush()  # the caller links to the new section by its id
    return section


async def update_section(
    db: AsyncSession, survey: Survey, section: SurveySection, *, title: str, description: str
) -> None:
    section.title = title
    section.description = description


async def delete_section(db: AsyncSession, survey: Survey, section: SurveySection) -> None:
    _editable(survey)
    if len(survey.sections) <= 1:
        raise SurveyError(_("Eine Umfrage braucht mindestens einen Teil."))
    option_ids = [o.id for q in survey.questions if q.section_id == section.id for o in q.options]
    await _clear_conditions(db, survey.id, option_ids)
    await db.execute(delete(SurveySection).where(SurveySection.id == section.id))


async def _clear_conditions(db: AsyncSession, survey_id: int, option_ids: Sequence[int]) -> None:
    if option_ids:
        await db.execute(
            update(SurveyQuestion)
            .where(SurveyQuestion.survey_id == survey_id, SurveyQuestion.condition_option_id.in_(option_ids))
            .values(condition_option_id=None)
        )


def _section_rank(survey: Survey) -> dict[int, int]:
    return {s.id: i for i, s in enumerate(survey.sections)}


def condition_choices(survey: Survey, section_id: int) -> list[tuple[int, str, str]]:
    """Options a question of ``section_id`` may depend on: those of choice questions in earlier
    sections, as (option id, question text, option label)."""
    rank = _section_rank(survey)
    here = rank.get(section_id, 0)
    return [
        (o.id, q.text, o.label)
        for q in survey.ordered_questions()
        if q.kind in CHOICE_KINDS and rank.get(q.section_id, 0) < here
        for o in q.options
    ]


def _check_conditions(survey: Survey, ranks: Mapping[int, int]) -> None:
    """Every condition points at a choice question in an earlier section (so a page without
    JavaScript knows it when it is shown)."""
    owner = {o.id: q for q in survey.questions for o in q.options}
    for q in survey.questions:
        if q.condition_option_id is None or q.condition_option_id not in owner:
            continue
        source = owner[q.condition_option_id]
        if ranks.get(source.section_id, 0) >= ranks.get(q.section_id, 0):
            raise SurveyError(
                _(
                    "Die Frage „%(question)s“ hängt von einer Antwort ab, die dann nicht mehr vorher gefragt würde.",
                    question=q.text[:80],
                )
            )


async def move_section(db: AsyncSession, survey: Survey, section: SurveySection, step: int) -> None:
    _editable(survey)
    order = list(survey.sections)
    i = order.index(section)
    j = i + step
    if not 0 <= j < len(order):
        return
    order[i], order[j] = order[j], order[i]
    _check_conditions(survey, {s.id: k for k, s in enumerate(order)})
    for k, s in enumerate(order):
        s.position = k + 1


def _clean_options(kind: QuestionKind, labels: Sequence[str]) -> list[str]:
    if kind == QuestionKind.YES_NO:
        return [YES, NO]
    if kind not in OPTION_KINDS:
        return []
    out: list[str] = []
    for label in labels:
        label = label.strip()[:200]
        if label and label not in out:
            out.append(label)
    if len(out) < 2:
        raise SurveyError(_("Bitte geben Sie mindestens zwei Antwortmöglichkeiten an."), "options")
    if len(out) > MAX_OPTIONS:
        raise SurveyError(_("Höchstens %(max)s Antwortmöglichkeiten.", max=MAX_OPTIONS), "options")
    return out


def _check_condition(survey: Survey, section_id: int, condition: int | None) -> None:
    if condition is not None and condition not in {c[0] for c in condition_choices(survey, section_id)}:
        raise SurveyError(
            _("Bitte wählen Sie eine Antwort aus einem früheren Teil der Umfrage."), "condition"
        )


QUESTION_FIELDS = (
    "kind",
    "text",
    "help",
    "required",
    "max_choices",
    "scale_min",
    "scale_max",
    "scale_min_label",
    "scale_max_label",
    "allow_other",
    "condition_option_id",
)


def _normalise(fields: dict[str, object]) -> dict[str, object]:
    kind = QuestionKind(str(fields["kind"]))
    if kind != QuestionKind.MULTIPLE:
        fields["max_choices"] = None
    if kind != QuestionKind.SCALE:
        fields.update(scale_min=None, scale_max=None, scale_min_label="", scale_max_label="")
    else:
        fields["scale_min"] = fields.get("scale_min") if fields.get("scale_min") is not None else 1
        fields["scale_max"] = fields.get("scale_max") or 5
        if not int(fields["scale_min"]) < int(fields["scale_max"]):  # type: ignore[call-overload]
            raise SurveyError(_("Der höchste Wert muss größer sein als der niedrigste."), "scale_max")
    if kind not in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        fields["allow_other"] = False
    return fields


async def add_question(
    db: AsyncSession, survey: Survey, section: SurveySection, *, options: Sequence[str], **fields: object
) -> SurveyQuestion:
    _editable(survey)
    if survey.is_poll and survey.questions:
        raise SurveyError(_("Eine Schnellumfrage hat genau eine Frage."))
    fields = _normalise(dict(fields))
    if survey.is_poll and fields["kind"] not in CHOICE_KINDS:
        raise SurveyError(_("Eine Schnellumfrage fragt mit Auswahl oder Ja/Nein."), "kind")
    _check_condition(survey, section.id, fields.get("condition_option_id"))  # type: ignore[arg-type]
    labels = _clean_options(QuestionKind(str(fields["kind"])), options)
    position = max((q.position for q in survey.questions if q.section_id == section.id), default=0) + 1
    question = SurveyQuestion(section_id=section.id, position=position, **fields)
    question.options = [SurveyOption(position=i + 1, label=label) for i, label in enumerate(labels)]
    survey.questions.append(question)
    await db.flush()  # the caller links to the new question by its id
    return question


async def update_question(
    db: AsyncSession, survey: Survey, question: SurveyQuestion, *, options: Sequence[str], **fields: object
) -> None:
    _editable(survey)
    fields = _normalise(dict(fields))
    _check_condition(survey, question.section_id, fields.get("condition_option_id"))  # type: ignore[arg-type]
    labels = _clean_options(QuestionKind(str(fields["kind"])), options)
    for name, value in fields.items():
        setattr(question, name, value)
    # Options keep their ids where the label stays (conditions of later questions point at them).
    by_label = {o.label: o for o in question.options}
    kept = [by_label.get(label) or SurveyOption(label=label) for label in labels]
    gone = [o.id for o in question.options if o not in kept]
    await _clear_conditions(db, survey.id, gone)
    for i, option in enumerate(kept):
        option.position = i + 1
    question.options = kept


async def delete_question(db: AsyncSession, survey: Survey, question: SurveyQuestion) -> None:
    _editable(survey)
    await _clear_conditions(db, survey.id, [o.id for o in question.options])
    await db.execute(delete(SurveyQuestion).where(SurveyQuestion.id == question.id))


async def move_question(db: AsyncSession, survey: Survey, question: SurveyQuestion, step: int) -> None:
    _editable(survey)
    order = survey.questions_of(question.section_id)
    i = order.index(question)
    j = i + step
    if not 0 <= j < len(order):
        return
    order[i], order[j] = order[j], order[i]
    for k, q in enumerate(order):
        q.position = k + 1


# --------------------------------------------------------------------------------------------
# Staff: status and review
# --------------------------------------------------------------------------------------------
async def publish_survey(db: AsyncSession, survey: Survey, now: datetime) -> None:
    if survey.status != SurveyStatus.DRAFT:
        raise SurveyError(_("Die Umfrage ist bereits veröffentlicht."))
    if not survey.questions:
        raise SurveyError(_("Zum Veröffentlichen braucht die Umfrage mindestens eine Frage."))
    empty = [s.title for s in survey.sections if not survey.questions_of(s.id)]
    if empty:
        raise SurveyError(_("Der Teil „%(section)s“ hat noch keine Fragen.", section=empty[0]))
    survey.status = SurveyStatus.PUBLISHED
    survey.published_at = survey.published_at or now


def _switch(survey: Survey, was: SurveyStatus, becomes: SurveyStatus, closed_at: datetime | None) -> bool:
    """Move a survey from ``was`` to ``becomes``; False (nothing changed) from any other status."""
    if survey.status != was:
        return False
    survey.status = becomes
    survey.closed_at = closed_at
    return True


async def close_survey(db: AsyncSession, survey: Survey, now: datetime) -> None:
    if not _switch(survey, SurveyStatus.PUBLISHED, SurveyStatus.CLOSED, now):
        raise SurveyError(_("Nur eine laufende Umfrage kann beendet werden."))


async def reopen_survey(db: AsyncSession, survey: Survey, now: datetime) -> None:
    if not _switch(survey, SurveyStatus.CLOSED, SurveyStatus.PUBLISHED, None):
        raise SurveyError(_("Nur eine beendete Umfrage kann wieder geöffnet werden."))


async def review_answer(db: AsyncSession, survey: Survey, answer_id: int, review: Review) -> bool:
    """Release or reject a free-text answer of this survey (sent responses only)."""
    question_ids = [q.id for q in survey.questions]
    sent = select(SurveyResponse.id).where(
        SurveyResponse.survey_id == survey.id, SurveyResponse.submitted_at.is_not(None)
    )
    result = await db.execute(
        update(SurveyAnswer)
        .where(
            SurveyAnswer.id == answer_id,
            SurveyAnswer.question_id.in_(question_ids),
            SurveyAnswer.response_id.in_(sent),
        )
        .values(review=review.value, updated_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
