"""What the meetings feature shows on other pages (``registry.Section``): the start page's
running and upcoming meetings, a consultation's meetings with their minutes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.consultations.models import Consultation
from beteiligung.meetings.minutes.queries import consultation_meetings
from beteiligung.meetings.models import FORMAT_NAMES, STATE_NAMES, Meeting, MeetingState
from beteiligung.registry import Section

MAX_MEETINGS = 3  # upcoming meetings on the start page (running ones are all shown)


async def _not_ended(request: Any, db: AsyncSession) -> list[Meeting]:
    """One query for both start page sections (running first, upcoming last), kept on the request."""
    cached: list[Meeting] | None = getattr(request.state, "home_meetings", None)
    if cached is None:
        cached = list(
            (
                await db.scalars(
                    select(Meeting)
                    .where(
                        Meeting.organisation_id == request.state.org.id, Meeting.state != MeetingState.ENDED
                    )
                    .order_by(Meeting.starts_at, Meeting.id)
                )
            ).all()
        )
        request.state.home_meetings = cached
    return cached


async def live_meetings(request: Any, db: AsyncSession, now: datetime) -> dict[str, Any] | None:
    meetings = [m for m in await _not_ended(request, db) if m.state == MeetingState.LIVE]
    return (
        {"meetings": meetings, "meeting_states": STATE_NAMES, "meeting_formats": FORMAT_NAMES}
        if meetings
        else None
    )


async def upcoming_meetings(request: Any, db: AsyncSession, now: datetime) -> dict[str, Any]:
    meetings = [
        m for m in await _not_ended(request, db) if m.state == MeetingState.SCHEDULED and m.ends_at > now
    ]
    return {"meetings": meetings[:MAX_MEETINGS], "meeting_formats": FORMAT_NAMES}


HOME_SECTIONS = (
    Section(name="meetings_live", template="meetings/_home_live.html", load=live_meetings, order=10),
    Section(
        name="meetings_upcoming", template="meetings/_home_upcoming.html", load=upcoming_meetings, order=40
    ),
)


async def meetings_of_consultation(
    request: Any, db: AsyncSession, consultation: Consultation
) -> dict[str, Any] | None:
    """The consultation page's meetings (live, upcoming, then past) with their published minutes."""
    links = await consultation_meetings(db, consultation)
    return {"meetings": links} if links else None


CONSULTATION_SECTIONS = (
    Section(
        name="meetings",
        template="meetings/_consultation.html",
        load=meetings_of_consultation,
        order=20,
        slot="before_text",
    ),
)
