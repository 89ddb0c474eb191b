"""Reads for the consultation page: its meetings, with their published minutes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.consultations.models import Consultation
from beteiligung.meetings.models import (
    STATE_NAMES,
    Meeting,
    MeetingState,
)
from beteiligung.meetings.queries import list_meetings
from beteiligung.web.urls import url


@dataclass(frozen=True)
class MeetingLink:
    meeting: Meeting
    state_name: str  # German msgid
    badge: str  # KERN badge variant
    minutes_url: str | None  # published minutes only


BADGES = {MeetingState.LIVE: "success", MeetingState.SCHEDULED: "info", MeetingState.ENDED: "warning"}


async def consultation_meetings(db: AsyncSession, consultation: Consultation) -> list[MeetingLink]:
    """The consultation's meetings (live, upcoming, then past), with their published minutes."""
    meetings = await list_meetings(db, consultation.organisation_id, consultation_id=consultation.id)
    return [
        MeetingLink(
            meeting=m,
            state_name=STATE_NAMES[m.state],
            badge=BADGES[m.state],
            minutes_url=url("meetings.minutes", meeting_id=m.id) if m.minutes_published_at else None,
        )
        for m in meetings
    ]
