"""Factories for survey tests: a survey with every question kind, and a quick poll, built with
the real actions (the same path staff take in the builder)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from beteiligung.consultations.models import Consultation
from beteiligung.settings import Settings
from beteiligung.surveys import actions
from beteiligung.surveys.models import QuestionKind, ResultsVisibility, Survey, SurveyKind, SurveyStatus
from tests.participation_factories import run_sql


@dataclass
class Built:
    """Ids of a built survey: ``q["single"]`` is a question id, ``o["Online"]`` an option id."""

    id: int
    sections: list[int]
    q: dict[str, int]
    o: dict[str, int]


def _q(kind: QuestionKind, text: str, **fields: Any) -> dict[str, Any]:
    base = {
        "kind": kind,
        "text": text,
        "help": "",
        "required": False,
        "max_choices": None,
        "scale_min": None,
        "scale_max": None,
        "scale_min_label": "",
        "scale_max_label": "",
        "allow_other": False,
        "condition_option_id": None,
        "options": [],
    }
    return base | fields


async def make_survey(
    settings: Settings,
    consultation_id: int,
    *,
    title: str = "Digitales Rathaus und Beteiligungsservice",
    allow_anonymous: bool = False,
    results_visibility: ResultsVisibility = ResultsVisibility.DURING,
    free_text_reviewed: bool = False,
    publish: bool = True,
) -> Built:
    """Three sections: choices (single with "Sonstiges", multiple with a maximum, yes/no), then
    a scale and a long text shown only after "Ja", then a ranking and a short text."""

    async def build(db: Any) -> Built:
        consultation = await db.get(Consultation, consultation_id)
        survey = await actions.create_survey(
            db,
            consultation=consultation,
            kind=SurveyKind.SURVEY,
            title=title,
            intro="Wie nutzen Sie die Online-Dienste der Hansestadt?",
            allow_anonymous=allow_anonymous,
            results_visibility=results_visibility,
            free_text_reviewed=free_text_reviewed,
        )
        first = survey.sections[0]
        await actions.update_section(db, survey, first, title="Digitales Rathaus", description="")
        await actions.add_question(
            db,
            survey,
            first,
            **_q(
                QuestionKind.SINGLE,
                "Wie erledigen Sie Behördengänge am liebsten?",
                required=True,
                allow_other=True,
                options=["Online", "Im Bürgeramt", "Per Telefon"],
            ),
        )
        await actions.add_question(
            db,
            survey,
            first,
            **_q(
                QuestionKind.MULTIPLE,
                "Welche Dienste möchten Sie online nutzen?",
                max_choices=2,
                options=["Anträge stellen", "Termine buchen", "Gebühren bezahlen"],
            ),
        )
        await actions.add_question(
            db,
            survey,
            first,
            **_q(QuestionKind.YES_NO, "Haben Sie schon einen Antrag online gestellt?", required=True),
        )
        survey = await actions.reload(db, survey.id)
        yes = next(
            o.id
            for q in survey.questions
            if q.kind == QuestionKind.YES_NO
            for o in q.options
            if o.label == "Ja"
        )
        second = await actions.add_section(db, survey, title="Ihre Erfahrungen", description="")
        survey = await actions.reload(db, survey.id)
        second = survey.sections[1]
        await actions.add_question(
            db,
            survey,
            second,
            **_q(
                QuestionKind.SCALE,
                "Wie zufrieden waren Sie?",
                required=True,
                scale_min=1,
                scale_max=5,
                scale_min_label="gar nicht",
                scale_max_label="sehr",
                condition_option_id=yes,
            ),
        )
        await actions.add_question(
            db, survey, second, **_q(QuestionKind.LONG_TEXT, "Was hat Sie gestört?", condition_option_id=yes)
        )
        await actions.add_section(db, survey, title="Beteiligungsservice", description="")
        survey = await actions.reload(db, survey.id)
        third = survey.sections[2]
        await actions.add_question(
            db,
            survey,
            third,
            **_q(
                QuestionKind.RANKING,
                "Welche Formate sind Ihnen am wichtigsten?",
                options=["Online-Umfragen", "Diskussionsforen", "Virtuelle Bürgerversammlungen"],
            ),
        )
        await actions.add_question(
            db, survey, third, **_q(QuestionKind.SHORT_TEXT, "In welchem Stadtteil wohnen Sie?")
        )
        survey = await actions.reload(db, survey.id)
        if publish:
            await actions.publish_survey(db, survey, survey.created_at)
        return _built(survey)

    return await run_sql(settings, build)  # type: ignore[no-any-return]


def _built(survey: Survey) -> Built:
    names = {
        QuestionKind.SINGLE: "single",
        QuestionKind.MULTIPLE: "multiple",
        QuestionKind.YES_NO: "yes_no",
        QuestionKind.SCALE: "scale",
        QuestionKind.LONG_TEXT: "long_text",
        QuestionKind.RANKING: "ranking",
        QuestionKind.SHORT_TEXT: "short_text",
    }
    return Built(
        id=survey.id,
        sections=[s.id for s in survey.sections],
        q={names[q.kind]: q.id for q in survey.questions},
        o={o.label: o.id for q in survey.questions for o in q.options},
    )


async def make_poll(
    settings: Settings,
    consultation_id: int,
    *,
    allow_anonymous: bool = False,
    kind: QuestionKind = QuestionKind.SINGLE,
    status: SurveyStatus = SurveyStatus.PUBLISHED,
) -> Built:
    async def build(db: Any) -> Built:
        consultation = await db.get(Consultation, consultation_id)
        survey = await actions.create_survey(
            db,
            consultation=consultation,
            kind=SurveyKind.POLL,
            title="Glasfaser bis 2027",
            intro="",
            allow_anonymous=allow_anonymous,
            results_visibility=ResultsVisibility.DURING,
            free_text_reviewed=False,
        )
        await actions.add_question(
            db,
            survey,
            survey.sections[0],
            **_q(
                kind, "Was ist Ihnen beim Ausbau am wichtigsten?", options=["Schulen", "Gewerbe", "Haushalte"]
            ),
        )
        survey = await actions.reload(db, survey.id)
        if status != SurveyStatus.DRAFT:
            await actions.publish_survey(db, survey, survey.created_at)
        return _built(survey)

    return await run_sql(settings, build)  # type: ignore[no-any-return]
