"""Reads for surveys: lookups scoped to the organisation, the results (counted from the answer
rows of sent responses, in a fixed number of statements), the export rows, staff lists."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from litestar.exceptions import NotFoundException
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from beteiligung.accounts.permissions import Actor
from beteiligung.consultations.models import Consultation
from beteiligung.consultations.permissions import enforce
from beteiligung.surveys.models import (
    CHOICE_KINDS,
    TEXT_KINDS,
    QuestionKind,
    Review,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
    SurveyStatus,
)
from beteiligung.surveys.permissions import why_not_view_survey


async def get_survey(db: AsyncSession, org_id: int, survey_id: int) -> Survey | None:
    """The survey with its consultation, if it belongs to the organisation."""
    row = (
        await db.execute(
            select(Survey, Consultation)
            .join(Consultation, Consultation.id == Survey.consultation_id)
            .where(Survey.id == survey_id, Consultation.organisation_id == org_id)
        )
    ).first()
    if row is None:
        return None
    survey, consultation = row
    set_committed_value(survey, "consultation", consultation)
    return survey  # type: ignore[no-any-return]


async def access_survey(db: AsyncSession, actor: Actor, org_id: int, survey_id: int) -> Survey:
    survey = await get_survey(db, org_id, survey_id)
    if survey is None:
        raise NotFoundException()
    enforce(why_not_view_survey(actor, survey, survey.consultation))
    return survey


async def consultation_surveys(db: AsyncSession, consultation: Consultation, *, drafts: bool) -> list[Survey]:
    stmt = select(Survey).where(Survey.consultation_id == consultation.id).order_by(Survey.id)
    if not drafts:
        stmt = stmt.where(Survey.status != SurveyStatus.DRAFT)
    surveys = list((await db.scalars(stmt)).all())
    for survey in surveys:
        set_committed_value(survey, "consultation", consultation)
    return surveys


@dataclass
class StaffRow:
    survey: Survey
    consultation: Consultation
    submitted: int


async def staff_list_surveys(db: AsyncSession, org_id: int) -> list[StaffRow]:
    sent = (
        select(SurveyResponse.survey_id, func.count().label("n"))
        .where(SurveyResponse.submitted_at.is_not(None))
        .group_by(SurveyResponse.survey_id)
        .subquery()
    )
    rows = (
        await db.execute(
            select(Survey, Consultation, func.coalesce(sent.c.n, 0))
            .join(Consultation, Consultation.id == Survey.consultation_id)
            .outerjoin(sent, sent.c.survey_id == Survey.id)
            .where(Consultation.organisation_id == org_id)
            .order_by(Survey.created_at.desc(), Survey.id.desc())
        )
    ).all()
    return [StaffRow(s, c, int(n)) for s, c, n in rows]


async def count_submitted(db: AsyncSession, survey_id: int) -> int:
    stmt = select(func.count()).where(
        SurveyResponse.survey_id == survey_id, SurveyResponse.submitted_at.is_not(None)
    )
    return int(await db.scalar(stmt) or 0)


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------
@dataclass
class Bar:
    label: str
    count: int
    percent: float  # of the respondents who answered the question
    value: float | None = None  # ranking: the average place
    translate: bool = False  # a msgid ("Ja", "Nein", "Sonstiges"), not staff's text


@dataclass
class TextAnswer:
    id: int
    text: str
    review: Review


@dataclass
class QuestionResult:
    question: SurveyQuestion
    answered: int = 0
    bars: list[Bar] = field(default_factory=list)
    mean: float | None = None  # scale
    texts: list[TextAnswer] = field(default_factory=list)  # shown free texts (and "Sonstiges")
    withheld: int = 0  # free texts not (yet) released

    @property
    def kind(self) -> QuestionKind:
        return self.question.kind


@dataclass
class Results:
    survey: Survey
    total: int
    questions: list[QuestionResult]


def _pct(count: float, base: int) -> float:
    return round(100.0 * count / base, 1) if base else 0.0


def text_public(survey: Survey, review: Review) -> bool:
    return review == Review.RELEASED if survey.free_text_reviewed else review != Review.REJECTED


async def survey_results(db: AsyncSession, survey: Survey, *, staff: bool = False) -> Results:
    """Counts and percentages per question from the sent responses (four statements)."""
    sent = select(SurveyResponse.id).where(
        SurveyResponse.survey_id == survey.id, SurveyResponse.submitted_at.is_not(None)
    )
    total = await count_submitted(db, survey.id)
    counts = (
        await db.execute(
            select(SurveyAnswer.question_id, SurveyAnswer.option_id, SurveyAnswer.number, func.count())
            .where(SurveyAnswer.response_id.in_(sent))
            .group_by(SurveyAnswer.question_id, SurveyAnswer.option_id, SurveyAnswer.number)
        )
    ).all()
    answered = dict(
        (
            await db.execute(
                select(SurveyAnswer.question_id, func.count(func.distinct(SurveyAnswer.response_id)))
                .where(SurveyAnswer.response_id.in_(sent))
                .group_by(SurveyAnswer.question_id)
            )
        ).all()
    )
    texts = (
        await db.execute(
            select(SurveyAnswer.id, SurveyAnswer.question_id, SurveyAnswer.text, SurveyAnswer.review)
            .where(SurveyAnswer.response_id.in_(sent), SurveyAnswer.text != "")
            .order_by(SurveyAnswer.id)
        )
    ).all()
    by_question: dict[int, list[tuple[int | None, int | None, int]]] = defaultdict(list)
    for question_id, option_id, number, n in counts:
        by_question[question_id].append((option_id, number, int(n)))
    texts_of: dict[int, list[TextAnswer]] = defaultdict(list)
    for answer_id, question_id, text, review in texts:
        texts_of[question_id].append(TextAnswer(answer_id, text, Review(review)))

    results = []
    for question in survey.ordered_questions():
        base = int(answered.get(question.id, 0))
        result = QuestionResult(question=question, answered=base)
        rows = by_question.get(question.id, [])
        if question.kind in CHOICE_KINDS:
            per_option = {o: n for o, _num, n in rows if o is not None}
            for option in question.options:
                count = per_option.get(option.id, 0)
                yes_no = question.kind == QuestionKind.YES_NO
                result.bars.append(Bar(option.label, count, _pct(count, base), translate=yes_no))
            other = sum(n for o, _num, n in rows if o is None)
            if question.allow_other:
                result.bars.append(Bar("Sonstiges", other, _pct(other, base), translate=True))
        elif question.kind == QuestionKind.SCALE:
            per_value = {num: n for _o, num, n in rows if num is not None}
            low, high = question.scale_min or 1, question.scale_max or 5
            for value in range(low, high + 1):
                count = per_value.get(value, 0)
                result.bars.append(Bar(str(value), count, _pct(count, base)))
            if base:
                result.mean = round(sum(v * n for v, n in per_value.items()) / sum(per_value.values()), 2)
        elif question.kind == QuestionKind.RANKING:
            places = len(question.options)
            for option in question.options:
                ranks = [(num or 0, n) for o, num, n in rows if o == option.id]
                count = sum(n for _r, n in ranks)
                average = sum(r * n for r, n in ranks) / count if count else None
                # The bar shows the score: 100 % for an option everyone put first.
                score = _pct(places - average, places - 1) if average is not None and places > 1 else 0.0
                result.bars.append(Bar(option.label, count, score, round(average, 2) if average else None))
            result.bars.sort(key=lambda b: (b.value is None, b.value or 0.0))
        for answer in texts_of.get(question.id, []):
            if question.kind in TEXT_KINDS or question.kind in CHOICE_KINDS:
                if staff or text_public(survey, answer.review):
                    result.texts.append(answer)
                else:
                    result.withheld += 1
        results.append(result)
    return Results(survey=survey, total=total, questions=results)


async def pending_texts(db: AsyncSession, survey: Survey) -> list[tuple[TextAnswer, SurveyQuestion]]:
    """Free texts of sent responses waiting for staff's review."""
    questions = {q.id: q for q in survey.questions}
    rows = (
        await db.execute(
            select(SurveyAnswer.id, SurveyAnswer.question_id, SurveyAnswer.text, SurveyAnswer.review)
            .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
            .where(
                SurveyResponse.survey_id == survey.id,
                SurveyResponse.submitted_at.is_not(None),
                SurveyAnswer.text != "",
                SurveyAnswer.review == Review.PENDING.value,
            )
            .order_by(SurveyAnswer.id)
            .limit(200)
        )
    ).all()
    return [(TextAnswer(a, t, Review(r)), questions[q]) for a, q, t, r in rows if q in questions]


async def export_rows(db: AsyncSession, survey: Survey) -> list[tuple[int, datetime, list[tuple[Any, ...]]]]:
    """Sent responses as (running number, sent at, answer rows): no ids of people or responses."""
    responses = (
        await db.execute(
            select(SurveyResponse.id, SurveyResponse.submitted_at)
            .where(SurveyResponse.survey_id == survey.id, SurveyResponse.submitted_at.is_not(None))
            .order_by(SurveyResponse.submitted_at, SurveyResponse.id)
        )
    ).all()
    rows = (
        await db.execute(
            select(
                SurveyAnswer.response_id,
                SurveyAnswer.question_id,
                SurveyAnswer.option_id,
                SurveyAnswer.number,
                SurveyAnswer.text,
                SurveyAnswer.review,
            )
            .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
            .where(SurveyResponse.survey_id == survey.id, SurveyResponse.submitted_at.is_not(None))
            .order_by(SurveyAnswer.id)
        )
    ).all()
    grouped: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for response_id, *rest in rows:
        grouped[response_id].append(tuple(rest))
    return [(i + 1, sent_at, grouped.get(rid, [])) for i, (rid, sent_at) in enumerate(responses) if sent_at]
