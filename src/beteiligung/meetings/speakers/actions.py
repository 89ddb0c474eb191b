"""Writes of the speaker list (the caller checked the permission and commits). Every change locks
the meeting's row first and queues ``MeetingSpeakersChanged`` for the commit to publish."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.live.events import MeetingSpeakersChanged
from beteiligung.live.publish import queue_event
from beteiligung.meetings.models import Meeting, MeetingSpeaker, SpeakerStatus
from beteiligung.meetings.permissions import Participant
from beteiligung.meetings.queries import lock_meeting
from beteiligung.meetings.speakers.queries import speaker_list


def _changed(db: AsyncSession, meeting: Meeting) -> None:
    queue_event(db, MeetingSpeakersChanged(meeting_id=meeting.id))


async def request_to_speak(
    db: AsyncSession, meeting: Meeting, participant: Participant, *, point_of_order: bool
) -> tuple[MeetingSpeaker, bool]:
    """Put the participant on the list; (their entry, False) if they are waiting already."""
    await lock_meeting(db, meeting)
    listing = await speaker_list(db, meeting.id)
    existing = next((s for s in listing.waiting if s.voter_key == participant.voter_key), None)
    if existing is not None:
        return existing, False
    last = await db.scalar(
        select(func.max(MeetingSpeaker.position)).where(MeetingSpeaker.meeting_id == meeting.id)
    )
    position = int(last or 0) + 1
    first_normal = next((s for s in listing.waiting if not s.point_of_order), None)
    if point_of_order and first_normal is not None:
        position = first_normal.position
        await db.execute(
            update(MeetingSpeaker)
            .where(
                MeetingSpeaker.meeting_id == meeting.id,
                MeetingSpeaker.status == SpeakerStatus.WAITING,
                MeetingSpeaker.position >= position,
            )
            .values(position=MeetingSpeaker.position + 1)
            .execution_options(synchronize_session=False)
        )
    entry = MeetingSpeaker(
        meeting_id=meeting.id,
        agenda_item_id=meeting.current_item_id,
        user_id=participant.user_id,
        voter_key=participant.voter_key,
        display_name=participant.display_name[:80],
        point_of_order=point_of_order,
        position=position,
        status=SpeakerStatus.WAITING,
    )
    db.add(entry)
    _changed(db, meeting)
    return entry, True


async def _take_off(
    db: AsyncSession,
    meeting: Meeting,
    status: SpeakerStatus,
    *,
    voter_key: str | None = None,
    speaker_id: int | None = None,
) -> MeetingSpeaker | None:
    """A waiting entry (the participant's, or the given one) leaves the list with ``status``;
    None when there is no such entry."""
    await lock_meeting(db, meeting)
    waiting = (await speaker_list(db, meeting.id)).waiting
    entry = next((s for s in waiting if s.voter_key == voter_key or s.id == speaker_id), None)
    if entry is None:
        return None
    entry.status = status
    _changed(db, meeting)
    return entry


async def withdraw(db: AsyncSession, meeting: Meeting, participant: Participant) -> bool:
    """The participant takes back their waiting request; False if there was none."""
    entry = await _take_off(db, meeting, SpeakerStatus.WITHDRAWN, voter_key=participant.voter_key)
    return entry is not None


async def call_speaker(
    db: AsyncSession, meeting: Meeting, speaker_id: int | None, now: datetime
) -> MeetingSpeaker | None:
    """Give the floor to a waiting entry (``None``: the first one); the current speaker is done.
    None when that entry is not waiting (or nobody is)."""
    await lock_meeting(db, meeting)
    listing = await speaker_list(db, meeting.id)
    if speaker_id is None:
        entry = listing.waiting[0] if listing.waiting else None
    else:
        entry = next((s for s in listing.waiting if s.id == speaker_id), None)
    if entry is None:
        return None
    if listing.current is not None:
        listing.current.status = SpeakerStatus.DONE
        listing.current.finished_at = now
    entry.status = SpeakerStatus.SPEAKING
    entry.called_at = now
    entry.agenda_item_id = meeting.current_item_id or entry.agenda_item_id  # where they spoke
    _changed(db, meeting)
    return entry


async def finish_speaker(
    db: AsyncSession, meeting: Meeting, speaker_id: int | None, now: datetime
) -> MeetingSpeaker | None:
    """End the current contribution (``speaker_id`` must be the current speaker if given)."""
    await lock_meeting(db, meeting)
    current = (await speaker_list(db, meeting.id)).current
    if current is None or (speaker_id is not None and current.id != speaker_id):
        return None
    current.status = SpeakerStatus.DONE
    current.finished_at = now
    _changed(db, meeting)
    return current


async def move_speaker(db: AsyncSession, meeting: Meeting, speaker_id: int, step: int) -> int | None:
    """Swap a waiting entry with its neighbour above (-1) or below (+1): its new place (1-based),
    None when it is not waiting or already at that end of the list."""
    await lock_meeting(db, meeting)
    waiting = (await speaker_list(db, meeting.id)).waiting
    index = next((n for n, s in enumerate(waiting) if s.id == speaker_id), None)
    if index is None or not 0 <= index + step < len(waiting):
        return None
    if len({s.position for s in waiting}) < len(waiting):  # never expected; keep the order total
        base = waiting[0].position
        for n, s in enumerate(waiting):
            s.position = base + n
    entry, other = waiting[index], waiting[index + step]
    entry.position, other.position = other.position, entry.position
    _changed(db, meeting)
    return index + step + 1


async def remove_speaker(db: AsyncSession, meeting: Meeting, speaker_id: int) -> MeetingSpeaker | None:
    """Staff take a waiting entry off the list."""
    return await _take_off(db, meeting, SpeakerStatus.REMOVED, speaker_id=speaker_id)


async def close_list(db: AsyncSession, meeting: Meeting, now: datetime) -> None:
    """When the meeting ends: the current speaker is done (inside the caller's transaction;
    the caller commits and publishes its own event)."""
    await db.execute(
        update(MeetingSpeaker)
        .where(MeetingSpeaker.meeting_id == meeting.id, MeetingSpeaker.status == SpeakerStatus.SPEAKING)
        .values(status=SpeakerStatus.DONE, finished_at=now)
        .execution_options(synchronize_session=False)
    )
