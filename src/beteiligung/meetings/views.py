"""Who is looking at a meeting room, and what the room needs for them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.accounts.permissions import Actor, Perm, can
from beteiligung.consultations.permissions import Denied
from beteiligung.i18n import format_datetime
from beteiligung.i18n import gettext as _
from beteiligung.meetings import permissions as p
from beteiligung.meetings.models import Meeting
from beteiligung.meetings.queries import is_registered, participant_of

Req = Request[Any, Any, Any]


@dataclass(frozen=True)
class Viewer:
    """The actor, their participant identity (None: may not take part yet), and the clock."""

    actor: Actor
    participant: p.Participant | None
    registered: bool
    staff: bool
    now: datetime
    params: dict[str, str] = field(default_factory=dict)  # the request's query (e.g. ?fragen=neu)
    moderator: bool = False

    def why_not(self, action: str, meeting: Meeting) -> Denied | None:
        check = {
            "ask": p.why_not_ask,
            "upvote": p.why_not_upvote,
            "speak": p.why_not_speak,
            "take_part": p.why_not_take_part,
        }[action]
        return check(self.actor, meeting, self.participant, registered=self.registered, now=self.now)


async def viewer_of(request: Req, db: AsyncSession, meeting: Meeting, now: datetime) -> Viewer:
    actor: Actor = request.state.actor
    return Viewer(
        actor=actor,
        participant=participant_of(request, meeting),
        registered=await is_registered(db, meeting, actor),
        staff=p.is_staff(actor),
        now=now,
        params={k: str(v) for k, v in request.query_params.items()},
        moderator=can(actor, Perm.MODERATION_QUEUE_REVIEW),
    )


def denied_text(denied: Denied | None) -> str:
    """A refusal's message in the visitor's language (dates formatted, as ``enforce`` words it)."""
    if denied is None:
        return ""
    params = {k: format_datetime(v) if isinstance(v, datetime) else v for k, v in denied.params.items()}
    return _(denied.message, **params)
