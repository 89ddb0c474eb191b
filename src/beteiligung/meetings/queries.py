"""Reads of the meetings: lookups scoped to the organisation, the participant of a request, and
the room's parts for one viewer."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from litestar import Request
from litestar.exceptions import NotFoundException
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.accounts.permissions import Actor
from beteiligung.consultations.models import Consultation
from beteiligung.meetings.models import Meeting, MeetingRegistration, MeetingState
from beteiligung.meetings.permissions import Participant

Req = Request[Any, Any, Any]
GUEST_TOKEN_KEY = "meeting_guest"  # noqa: S105 - a random token in the server-side session, never stored elsewhere
GUEST_NAMES_KEY = "meeting_guest_names"  # meeting id -> the guest's chosen display name


async def get_meeting(db: AsyncSession, org_id: int, meeting_id: int) -> Meeting | None:
    meeting = await db.get(Meeting, meeting_id)
    if meeting is None or meeting.organisation_id != org_id:
        return None
    return meeting


async def lock_meeting(db: AsyncSession, meeting: Meeting) -> None:
    """Changes of one meeting's questions, polls or speaker list one at a time: the meeting's row
    lock (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite serialises writers anyway), held until
    the route's commit."""
    await db.execute(select(Meeting.id).where(Meeting.id == meeting.id).with_for_update())


async def access_meeting(db: AsyncSession, org_id: int, meeting_id: int) -> Meeting:
    """The organisation's meeting (another organisation's id is 404). Meetings are public."""
    meeting = await get_meeting(db, org_id, meeting_id)
    if meeting is None:
        raise NotFoundException()
    return meeting


async def list_meetings(
    db: AsyncSession, org_id: int, *, consultation_id: int | None = None
) -> list[Meeting]:
    """Live first, then upcoming (soonest first), then past ones (newest first)."""
    stmt = select(Meeting).where(Meeting.organisation_id == org_id)
    if consultation_id is not None:
        stmt = stmt.where(Meeting.consultation_id == consultation_id)
    meetings = list((await db.scalars(stmt.order_by(Meeting.starts_at))).all())
    order = {MeetingState.LIVE: 0, MeetingState.SCHEDULED: 1, MeetingState.ENDED: 2}
    upcoming = [m for m in meetings if m.state != MeetingState.ENDED]
    past = sorted(
        (m for m in meetings if m.state == MeetingState.ENDED), key=lambda m: m.starts_at, reverse=True
    )
    return sorted(upcoming, key=lambda m: order[m.state]) + past


async def consultation_of(db: AsyncSession, meeting: Meeting) -> Consultation | None:
    if meeting.consultation_id is None:
        return None
    return await db.get(Consultation, meeting.consultation_id)


async def is_registered(db: AsyncSession, meeting: Meeting, actor: Actor) -> bool:
    if actor.user_id is None:
        return False
    found = await db.scalar(
        select(MeetingRegistration.id).where(
            MeetingRegistration.meeting_id == meeting.id, MeetingRegistration.user_id == actor.user_id
        )
    )
    return found is not None


async def registration_count(db: AsyncSession, meeting: Meeting) -> int:
    return int(await db.scalar(select(func.count()).where(MeetingRegistration.meeting_id == meeting.id)) or 0)


def _guest_key(request: Req, token: str) -> str:
    secret = request.app.state["settings"].secret_key.encode()
    return "g:" + hmac.new(secret, f"meeting-guest:{token}".encode(), hashlib.sha256).hexdigest()[:48]


def guest_name(request: Req, meeting: Meeting) -> str:
    session = request.scope.get("session")
    if not isinstance(session, dict):
        return ""
    return str((session.get(GUEST_NAMES_KEY) or {}).get(str(meeting.id), ""))


def set_guest_name(request: Req, meeting: Meeting, name: str) -> None:
    """Remember the guest's display name for this meeting (and create the guest token)."""
    session = request.scope.get("session")
    data = dict(session) if isinstance(session, dict) else {}
    if not data.get(GUEST_TOKEN_KEY):
        data[GUEST_TOKEN_KEY] = secrets.token_urlsafe(24)
    names = dict(data.get(GUEST_NAMES_KEY) or {})
    names[str(meeting.id)] = name
    data[GUEST_NAMES_KEY] = names
    request.set_session(data)


def participant_of(request: Req, meeting: Meeting) -> Participant | None:
    """The signed-in person, or the guest of this browser session once they chose a name (and
    the meeting allows guests); None for everyone else."""
    actor: Actor = request.state.actor
    if actor.is_authenticated:
        return Participant(
            voter_key=f"u:{actor.user_id}", display_name=actor.display_name or "", user_id=actor.user_id
        )
    if not meeting.allow_guests:
        return None
    session = request.scope.get("session")
    token = session.get(GUEST_TOKEN_KEY) if isinstance(session, dict) else None
    name = guest_name(request, meeting)
    if not token or not name:
        return None
    return Participant(voter_key=_guest_key(request, token), display_name=name)
