"""Meeting room part: speakers (see docs/meetings.md)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.meetings.models import Meeting
from beteiligung.meetings.views import Viewer


async def room_context(db: AsyncSession, meeting: Meeting, viewer: Viewer) -> dict[str, Any]:
    """What the room's speakers block needs for this viewer."""
    return {}


ROUTES: list[Any] = []
