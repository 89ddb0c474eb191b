"""Meetings for tests: rows arranged directly (staff forms are tested on their own)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from beteiligung.db import utcnow
from beteiligung.settings import Settings
from tests.participation_factories import run_sql


async def make_meeting(
    settings: Settings,
    *,
    title: str = "Virtuelle Bürgerversammlung ISEK 2030+",
    state: str = "scheduled",
    agenda: tuple[str, ...] = ("Begrüßung", "Stadt der Arbeit und Ideen", "Fragen aus dem Publikum"),
    allow_guests: bool = False,
    question_moderation: str = "pre",
    registration_required: bool = False,
    consultation_id: int | None = None,
    **values: Any,
) -> int:
    """A meeting of the test organisation; ``state="live"`` starts it on its first agenda item."""
    from beteiligung.consultations.states import ModerationMode
    from beteiligung.meetings.models import AgendaItem, Meeting, MeetingState
    from beteiligung.organisations.models import Organisation

    async def add(db: Any) -> int:
        org = (await db.scalars(select(Organisation))).first()
        now = utcnow()
        meeting = Meeting(
            organisation_id=org.id,
            consultation_id=consultation_id,
            title=title,
            description=values.pop("description", "Online über das Stadtentwicklungskonzept sprechen."),
            starts_at=values.pop("starts_at", now - timedelta(minutes=10)),
            ends_at=values.pop("ends_at", now + timedelta(hours=2)),
            allow_guests=allow_guests,
            question_moderation=ModerationMode(question_moderation),
            registration_required=registration_required,
            state=MeetingState(state),
            **values,
        )
        meeting.agenda = [AgendaItem(position=n, title=t) for n, t in enumerate(agenda, start=1)]
        db.add(meeting)
        await db.flush()
        if state != "scheduled":
            meeting.started_at = now
            if meeting.agenda:
                meeting.current_item_id = meeting.agenda[0].id
        if state == "ended":
            meeting.ended_at = now
        await db.commit()
        return int(meeting.id)

    return await run_sql(settings, add)  # type: ignore[no-any-return]
