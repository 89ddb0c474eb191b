"""Writes of the meeting's polls (permissions checked by the caller; each queues its live event;
the caller commits; a refusal rolls back what the action wrote)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.consultations.permissions import Denied, enforce
from beteiligung.db import insert_ignoring_duplicates, utcnow
from beteiligung.i18n import gettext as _
from beteiligung.live.events import MeetingPollChanged, MeetingVotesChanged
from beteiligung.live.publish import queue_coalesced, queue_event
from beteiligung.meetings.models import (
    Meeting,
    MeetingPoll,
    MeetingPollBallot,
    MeetingPollChoice,
    MeetingPollOption,
    PollState,
)
from beteiligung.meetings.permissions import Participant
from beteiligung.meetings.polls.permissions import why_not_delete, why_not_open
from beteiligung.meetings.queries import lock_meeting
from beteiligung.web.errors import Refused


async def create_poll(db: AsyncSession, meeting: Meeting, values: dict[str, Any]) -> MeetingPoll:
    poll = MeetingPoll(
        meeting_id=meeting.id,
        agenda_item_id=values["agenda_item_id"],
        question=values["question"],
        multiple=values["multiple"],
        results=values["results"],
        state=PollState.DRAFT,
    )
    poll.options = [
        MeetingPollOption(position=n, label=label) for n, label in enumerate(values["options"], start=1)
    ]
    db.add(poll)
    # Drafts are for staff only; the event carries no content and each viewer's fragment is
    # rendered for them, so it may go out on the meeting's channel.
    queue_event(db, MeetingPollChanged(meeting_id=meeting.id))
    return poll


async def _open_poll_locked(db: AsyncSession, meeting: Meeting) -> MeetingPoll | None:
    """The meeting's open poll, read while holding the meeting's row lock (PostgreSQL; SQLite
    serialises writers anyway), so two staff members can't open two polls at once."""
    await lock_meeting(db, meeting)
    return await db.scalar(
        select(MeetingPoll).where(MeetingPoll.meeting_id == meeting.id, MeetingPoll.state == PollState.OPEN)
    )


async def _move(db: AsyncSession, poll: MeetingPoll, source: PollState, refusal: str, **values: Any) -> None:
    """Change the poll only if it is still in ``source`` (checked by the UPDATE itself, so two
    requests never both succeed); otherwise nothing is kept and ``refusal`` (a German msgid)
    answers 409."""
    result = await db.execute(
        update(MeetingPoll)
        .where(MeetingPoll.id == poll.id, MeetingPoll.state == source)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        await db.rollback()
        enforce(Denied(409, refusal))
    queue_event(db, MeetingPollChanged(meeting_id=poll.meeting_id))


async def open_poll(db: AsyncSession, meeting: Meeting, poll: MeetingPoll, now: datetime) -> None:
    """Open a draft; refused (409) while another poll of the meeting is open."""
    running = await _open_poll_locked(db, meeting)
    denied = why_not_open(meeting, poll, running)
    if denied is not None:
        await db.rollback()
        enforce(denied)
    await _move(
        db,
        poll,
        PollState.DRAFT,
        "Diese Abstimmung wurde bereits geöffnet.",
        state=PollState.OPEN,
        opened_at=now,
    )


async def close_poll(db: AsyncSession, meeting: Meeting, poll: MeetingPoll, now: datetime) -> None:
    """Close the open poll. A vote still in flight either counted before this or is refused."""
    await _move(
        db,
        poll,
        PollState.OPEN,
        "Diese Abstimmung ist nicht geöffnet.",
        state=PollState.CLOSED,
        closed_at=now,
    )


async def close_open_polls(db: AsyncSession, meeting: Meeting, now: datetime) -> int:
    """Close whatever poll is open (for the end of the meeting); the caller commits."""
    result = await db.execute(
        update(MeetingPoll)
        .where(MeetingPoll.meeting_id == meeting.id, MeetingPoll.state == PollState.OPEN)
        .values(state=PollState.CLOSED, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    count = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if count:
        queue_event(db, MeetingPollChanged(meeting_id=meeting.id))
    return count


async def delete_poll(db: AsyncSession, meeting: Meeting, poll: MeetingPoll) -> None:
    """Delete a draft (an opened poll stays, for the minutes)."""
    result = await db.execute(
        delete(MeetingPoll)
        .where(MeetingPoll.id == poll.id, MeetingPoll.state == PollState.DRAFT)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        await db.rollback()
        enforce(why_not_delete(poll) or Denied(409, "Diese Abstimmung ist kein Entwurf mehr."))
    queue_event(db, MeetingPollChanged(meeting_id=meeting.id))


class AlreadyVoted(Refused):
    def __init__(self) -> None:
        super().__init__(_("Sie haben bereits abgestimmt."))


class PollClosed(Refused):
    def __init__(self) -> None:
        super().__init__(_("Die Abstimmung ist geschlossen."))


async def cast_ballot(
    db: AsyncSession, poll: MeetingPoll, participant: Participant, option_ids: Sequence[int]
) -> None:
    """Record one participant's ballot. Precondition: ``option_ids`` belong to ``poll`` and suit
    its kind. Raises :class:`AlreadyVoted` (nothing written) or :class:`PollClosed` (rolled back).

    The ballot row goes in first (``ON CONFLICT DO NOTHING`` on (poll, voter)); only when it was
    written do its choices and the counters follow, in the same transaction. Counters are taken
    in one order (options by id, then the poll) so concurrent ballots never deadlock; the poll's
    counter moves only while the poll is open, re-checked under its row lock, so a ballot racing
    the close is either counted before it or refused."""
    inserted = await insert_ignoring_duplicates(
        db,
        MeetingPollBallot.__table__,
        {"poll_id": poll.id, "voter_key": participant.voter_key, "user_id": participant.user_id},
    )
    if not inserted:
        await db.rollback()  # end the write transaction now (SQLite: the session store writes next)
        raise AlreadyVoted()
    ballot_id = await db.scalar(
        select(MeetingPollBallot.id).where(
            MeetingPollBallot.poll_id == poll.id, MeetingPollBallot.voter_key == participant.voter_key
        )
    )
    chosen = sorted(set(option_ids))
    now = utcnow()
    await db.execute(
        insert(MeetingPollChoice),
        [{"ballot_id": ballot_id, "option_id": oid, "created_at": now, "updated_at": now} for oid in chosen],
    )
    for oid in chosen:
        await db.execute(
            update(MeetingPollOption)
            .where(MeetingPollOption.id == oid, MeetingPollOption.poll_id == poll.id)
            .values(vote_count=MeetingPollOption.vote_count + 1)
            .execution_options(synchronize_session=False)
        )
    result = await db.execute(
        update(MeetingPoll)
        .where(MeetingPoll.id == poll.id, MeetingPoll.state == PollState.OPEN)
        .values(ballot_count=MeetingPoll.ballot_count + 1)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        await db.rollback()
        raise PollClosed()
    queue_coalesced(db, MeetingVotesChanged(meeting_id=poll.meeting_id))  # a burst: one refresh
