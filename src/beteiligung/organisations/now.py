"""What is happening now, for the start page: running and upcoming meetings, open surveys and
consultations in an active phase, each with its dates. Only what every visitor may see."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from beteiligung.consultations.listing import Timing, list_consultations
from beteiligung.consultations.models import Consultation, ConsultationStatus
from beteiligung.meetings.models import Meeting, MeetingState
from beteiligung.surveys.models import Survey, SurveyStatus
from beteiligung.surveys.permissions import SurveyState, survey_ends_at, survey_state

MAX_MEETINGS = 3  # upcoming meetings on the start page (running ones are all shown)
MAX_SURVEYS = 4
MAX_CONSULTATIONS = 4


@dataclass(frozen=True)
class OpenSurvey:
    survey: Survey
    consultation: Consultation
    ends_at: datetime | None  # None: a quick poll, open while its consultation is


@dataclass
class Now:
    live_meetings: list[Meeting] = field(default_factory=list)
    upcoming_meetings: list[Meeting] = field(default_factory=list)
    surveys: list[OpenSurvey] = field(default_factory=list)
    consultations: list[Consultation] = field(default_factory=list)
    more_consultations: bool = False

    @property
    def anything(self) -> bool:
        return bool(self.live_meetings or self.upcoming_meetings or self.surveys or self.consultations)


async def happening_now(db: AsyncSession, org_id: int, now: datetime) -> Now:
    result = Now()
    meetings = (
        await db.scalars(
            select(Meeting)
            .where(Meeting.organisation_id == org_id, Meeting.state != MeetingState.ENDED)
            .order_by(Meeting.starts_at, Meeting.id)
        )
    ).all()
    result.live_meetings = [m for m in meetings if m.state == MeetingState.LIVE]
    result.upcoming_meetings = [m for m in meetings if m.state == MeetingState.SCHEDULED and m.ends_at > now][
        :MAX_MEETINGS
    ]

    rows: list[Any] = list(
        (
            await db.execute(
                select(Survey, Consultation)
                .join(Consultation, Consultation.id == Survey.consultation_id)
                .where(
                    Consultation.organisation_id == org_id,
                    Consultation.status == ConsultationStatus.PUBLISHED,
                    Survey.status == SurveyStatus.PUBLISHED,
                )
                .order_by(Survey.published_at.desc(), Survey.id.desc())
            )
        ).all()
    )
    for survey, consultation in rows:
        set_committed_value(survey, "consultation", consultation)
        if survey_state(survey, consultation, now) == SurveyState.OPEN:
            result.surveys.append(OpenSurvey(survey, consultation, survey_ends_at(survey, consultation, now)))
    result.surveys = result.surveys[:MAX_SURVEYS]

    running = await list_consultations(db, org_id, now=now, timing=Timing.RUNNING, per_page=MAX_CONSULTATIONS)
    result.consultations = list(running.items)
    result.more_consultations = running.total > len(running.items)
    return result
