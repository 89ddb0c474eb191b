"""Writes of the meeting itself: create and edit (with the agenda), the state (scheduled → live →
ended), the current agenda item, registration. Questions, polls and the speaker list have their
own modules. Every change queues its live event; the caller commits (once), which publishes it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar.exceptions import NotFoundException
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.db import insert_ignoring_duplicates
from beteiligung.live.events import MeetingAgendaChanged, MeetingStateChanged
from beteiligung.live.publish import queue_event
from beteiligung.meetings.minutes.actions import on_meeting_ended
from beteiligung.meetings.models import AgendaItem, Meeting, MeetingRegistration, MeetingState
from beteiligung.meetings.polls.actions import close_open_polls
from beteiligung.meetings.speakers.actions import close_list
from beteiligung.organisations.models import Organisation

MEETING_FIELDS = (
    "consultation_id",
    "title",
    "description",
    "starts_at",
    "ends_at",
    "format",
    "place",
    "video_kind",
    "video_url",
    "registration_required",
    "allow_guests",
    "question_moderation",
    "speaking_seconds",
)


def parse_agenda(text: str) -> list[tuple[str, str]]:
    """One agenda item a line: ``Titel`` or ``Titel: Erläuterung``; empty lines are skipped."""
    items = []
    for line in text.splitlines():
        line = line.strip().lstrip("-*•").strip()
        if not line:
            continue
        title, _sep, description = line.partition(": ")
        items.append((title.strip()[:200], description.strip()))
    return items


def agenda_text(meeting: Meeting) -> str:
    return "\n".join(f"{i.title}: {i.description}" if i.description else i.title for i in meeting.agenda)


async def create_meeting(db: AsyncSession, *, org_id: int, agenda: str, values: dict[str, Any]) -> Meeting:
    meeting = Meeting(organisation_id=org_id, **{k: values[k] for k in MEETING_FIELDS})
    meeting.agenda = [
        AgendaItem(position=n, title=title, description=description)
        for n, (title, description) in enumerate(parse_agenda(agenda), start=1)
    ]
    db.add(meeting)
    await db.flush()  # the id, for the caller's redirect
    return meeting


async def update_meeting(db: AsyncSession, meeting: Meeting, *, agenda: str, values: dict[str, Any]) -> None:
    """Change the settings; the agenda keeps the items whose titles stay (their polls, questions
    and start times), in the new order, and adds or drops the others."""
    for key in MEETING_FIELDS:
        setattr(meeting, key, values[key])
    wanted = parse_agenda(agenda)
    existing = {item.title: item for item in meeting.agenda}
    kept: list[AgendaItem] = []
    for n, (title, description) in enumerate(wanted, start=1):
        item = existing.pop(title, None) or AgendaItem(title=title)
        item.position = n
        item.description = description
        kept.append(item)
    meeting.agenda = kept
    if meeting.current_item_id in {item.id for item in existing.values()}:
        meeting.current_item_id = None  # the current item was dropped from the agenda
    queue_event(db, MeetingStateChanged(meeting_id=meeting.id))


async def change_state(db: AsyncSession, meeting: Meeting, target: MeetingState, now: datetime) -> None:
    """Start, end or reopen (permissions checked by the caller). Starting moves to the first
    agenda item; ending stops the current speaker and drafts the minutes."""
    meeting.state = target
    if target == MeetingState.LIVE:
        meeting.started_at = meeting.started_at or now
        meeting.ended_at = None
        if meeting.current_item_id is None and meeting.agenda:
            first = meeting.agenda[0]
            meeting.current_item_id = first.id
            first.started_at = first.started_at or now
    elif target == MeetingState.ENDED:
        meeting.ended_at = now
        # An open poll closes (its results are final), the current speaker is done; then the
        # minutes are drafted from that final state.
        await close_open_polls(db, meeting, now)
        await close_list(db, meeting, now)
        await on_meeting_ended(db, meeting, now)
    queue_event(db, MeetingStateChanged(meeting_id=meeting.id))


async def set_current_item(db: AsyncSession, meeting: Meeting, item_id: int | None, now: datetime) -> bool:
    """Move the meeting to another agenda item (None: no item). False for an unknown item."""
    if item_id is not None:
        item = next((i for i in meeting.agenda if i.id == item_id), None)
        if item is None:
            return False
        item.started_at = item.started_at or now
    meeting.current_item_id = item_id
    queue_event(db, MeetingAgendaChanged(meeting_id=meeting.id))
    return True


def next_item_id(meeting: Meeting) -> int | None:
    """The agenda item after the current one (the first one if none is current)."""
    ids = [i.id for i in meeting.agenda]
    if not ids:
        return None
    if meeting.current_item_id not in ids:
        return ids[0]
    index = ids.index(meeting.current_item_id)
    return ids[index + 1] if index + 1 < len(ids) else None


async def register(db: AsyncSession, meeting: Meeting, user_id: int) -> bool:
    created = await insert_ignoring_duplicates(
        db, MeetingRegistration.__table__, {"meeting_id": meeting.id, "user_id": user_id}
    )
    return created


async def unregister(db: AsyncSession, meeting: Meeting, user_id: int) -> None:
    await db.execute(
        delete(MeetingRegistration).where(
            MeetingRegistration.meeting_id == meeting.id, MeetingRegistration.user_id == user_id
        )
    )


async def set_embed_origins(db: AsyncSession, org_id: int, origins: str) -> None:
    """The video origins the organisation's meetings may embed (one a line, already checked)."""
    org = await db.get(Organisation, org_id)
    if org is None:
        raise NotFoundException()
    org.embed_origins = origins
