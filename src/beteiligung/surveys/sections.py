"""What the surveys feature shows on other pages (``registry.Section``): the start page's open
surveys and a consultation's surveys and quick polls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from beteiligung.consultations.models import Consultation, ConsultationStatus
from beteiligung.db import utcnow
from beteiligung.registry import Section
from beteiligung.surveys.models import Survey, SurveyStatus
from beteiligung.surveys.permissions import SurveyState, survey_ends_at, survey_state
from beteiligung.surveys.views import consultation_cards

MAX_SURVEYS = 4  # on the start page


@dataclass(frozen=True)
class OpenSurvey:
    survey: Survey
    consultation: Consultation
    ends_at: datetime | None  # None: a quick poll, open while its consultation is


async def open_surveys(request: Any, db: AsyncSession, now: datetime) -> dict[str, Any] | None:
    """The start page's "Offene Umfragen": only what every visitor may see."""
    rows: list[Any] = list(
        (
            await db.execute(
                select(Survey, Consultation)
                .join(Consultation, Consultation.id == Survey.consultation_id)
                .where(
                    Consultation.organisation_id == request.state.org.id,
                    Consultation.status == ConsultationStatus.PUBLISHED,
                    Survey.status == SurveyStatus.PUBLISHED,
                )
                .order_by(Survey.published_at.desc(), Survey.id.desc())
            )
        ).all()
    )
    found: list[OpenSurvey] = []
    for survey, consultation in rows:
        set_committed_value(survey, "consultation", consultation)
        if survey_state(survey, consultation, now) == SurveyState.OPEN:
            found.append(OpenSurvey(survey, consultation, survey_ends_at(survey, consultation, now)))
    return {"surveys": found[:MAX_SURVEYS]} if found else None


HOME_SECTIONS = (Section(name="surveys", template="surveys/_home.html", load=open_surveys, order=30),)


async def consultation_surveys(
    request: Any, db: AsyncSession, consultation: Consultation
) -> dict[str, Any] | None:
    """The consultation page's published surveys and quick polls, for this viewer."""
    cards = await consultation_cards(db, request, consultation, utcnow())
    return {"surveys": cards} if cards else None


CONSULTATION_SECTIONS = (
    Section(
        name="surveys",
        template="surveys/_consultation.html",
        load=consultation_surveys,
        order=10,
        slot="before_text",
    ),
)
