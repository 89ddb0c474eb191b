"""Writes of the minutes (inside the caller's transaction; the route commits)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.meetings.minutes.document import draft_minutes
from beteiligung.meetings.models import Meeting


async def on_meeting_ended(db: AsyncSession, meeting: Meeting, now: datetime) -> None:
    """Called by ``actions.change_state`` inside its transaction (its route commits, which
    publishes), after it closed the open poll and finished the current speaker. Writes the
    draft, unless there is text already (a meeting reopened and ended again keeps the staff's
    edits; "Entwurf neu erzeugen" replaces it)."""
    if not (meeting.minutes or "").strip():
        meeting.minutes = await draft_minutes(db, meeting)
