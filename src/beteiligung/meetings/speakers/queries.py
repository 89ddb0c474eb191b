"""Reads of the speaker list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.meetings.models import Meeting, MeetingSpeaker, MeetingState, SpeakerStatus
from beteiligung.meetings.speakers.forms import SpeakForm
from beteiligung.meetings.views import Viewer, denied_text

ON_LIST = (SpeakerStatus.WAITING, SpeakerStatus.SPEAKING)


@dataclass(frozen=True)
class SpeakerList:
    current: MeetingSpeaker | None
    waiting: list[MeetingSpeaker]

    def place_of(self, voter_key: str) -> int | None:
        """1-based place of the participant's waiting request, None when they are not waiting."""
        return next((n for n, s in enumerate(self.waiting, start=1) if s.voter_key == voter_key), None)


async def speaker_list(db: AsyncSession, meeting_id: int) -> SpeakerList:
    rows = (
        await db.scalars(
            select(MeetingSpeaker)
            .where(MeetingSpeaker.meeting_id == meeting_id, MeetingSpeaker.status.in_(ON_LIST))
            .order_by(MeetingSpeaker.position, MeetingSpeaker.id)
            .execution_options(populate_existing=True)
        )
    ).all()
    current = next((s for s in rows if s.status == SpeakerStatus.SPEAKING), None)
    return SpeakerList(current=current, waiting=[s for s in rows if s.status == SpeakerStatus.WAITING])


def speaking_until(meeting: Meeting, speaker: MeetingSpeaker | None) -> datetime | None:
    """When the current speaker's time is up (called_at + the meeting's speaking time)."""
    if speaker is None or speaker.called_at is None:
        return None
    return speaker.called_at + timedelta(seconds=meeting.speaking_seconds)


async def room_context(db: AsyncSession, meeting: Meeting, viewer: Viewer) -> dict[str, Any]:
    """What the room's speakers block needs for this viewer."""
    listing = await speaker_list(db, meeting.id)
    if meeting.state != MeetingState.LIVE:
        listing = SpeakerList(current=None, waiting=[])  # the list is shown only while live
    until = speaking_until(meeting, listing.current)
    participant = viewer.participant
    denied = viewer.why_not("speak", meeting)
    return {
        "speaker_current": listing.current,
        "speaker_waiting": listing.waiting,
        "speaker_until": until,
        "speaker_remaining": int((until - viewer.now).total_seconds()) if until else 0,
        "speaker_place": listing.place_of(participant.voter_key) if participant else None,
        "speaker_is_me": bool(
            participant and listing.current and listing.current.voter_key == participant.voter_key
        ),
        "speaker_denied": denied,
        "speaker_denied_text": denied_text(denied),
        "speak_form": SpeakForm(),
    }


async def speaker_entry(db: AsyncSession, meeting: Meeting, speaker_id: int) -> MeetingSpeaker | None:
    return await db.scalar(
        select(MeetingSpeaker)
        .where(MeetingSpeaker.id == speaker_id, MeetingSpeaker.meeting_id == meeting.id)
        .execution_options(populate_existing=True)
    )
