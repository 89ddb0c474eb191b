"""The minutes (Protokoll) of a meeting: drafted when it ends, edited and published by staff."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.meetings.models import Meeting


async def on_meeting_ended(db: AsyncSession, meeting: Meeting, now: datetime) -> None:
    """Hook called (inside the caller's transaction) when a meeting ends."""
    return None


ROUTES: list[Any] = []
