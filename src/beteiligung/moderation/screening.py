"""Screening a new contribution of the signed-in author, for the features' routes (comments,
proposals): the request's actor, account and organisation passed to ``actions.screen``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Request

from beteiligung.consultations.models import Consultation
from beteiligung.moderation.actions import PUBLISH, Screening, screen


async def screen_contribution(
    request: Request[Any, Any, Any],
    db: Any,
    consultation: Consultation,
    text: str,
    now: datetime,
    *,
    edit: bool = False,
) -> Screening:
    """The automatic checks and the consultation's moderation mode, for the signed-in author."""
    user = request.state.user
    if user is None:
        return PUBLISH
    return await screen(
        db,
        actor=request.state.actor,
        account_created_at=user.created_at,
        org_id=request.state.org.id,
        consultation=consultation,
        text=text,
        now=now,
        edit=edit,
    )
