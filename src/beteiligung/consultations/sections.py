"""What the consultations feature shows on other pages (``registry.Section``): the start page's
consultations in an active phase."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.consultations.listing import Timing, list_consultations
from beteiligung.consultations.phases import PHASE_NAMES
from beteiligung.registry import Section

MAX_CONSULTATIONS = 4  # on the start page


async def running_consultations(request: Any, db: AsyncSession, now: datetime) -> dict[str, Any]:
    """The start page's "Jetzt mitmachen": published consultations in an active phase."""
    running = await list_consultations(
        db, request.state.org.id, now=now, timing=Timing.RUNNING, per_page=MAX_CONSULTATIONS
    )
    return {"consultations": list(running.items), "phase_names": PHASE_NAMES}


HOME_SECTIONS = (
    Section(name="consultations", template="consultations/_home.html", load=running_consultations, order=20),
)
