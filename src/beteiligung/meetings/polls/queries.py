"""Reads of the meeting's polls: results, the polls as one viewer sees them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.exceptions import NotFoundException
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.meetings.models import (
    Meeting,
    MeetingPoll,
    MeetingPollBallot,
    PollResults,
    PollState,
)
from beteiligung.meetings.permissions import Participant
from beteiligung.meetings.polls.forms import PollForm
from beteiligung.meetings.polls.permissions import results_visible, why_not_vote
from beteiligung.meetings.views import Viewer, denied_text


def percent(part: int, whole: int) -> int:
    """Whole percent, rounded half up (0 when nobody voted)."""
    if whole <= 0:
        return 0
    return (part * 200 + whole) // (whole * 2)


@dataclass(frozen=True)
class OptionResult:
    id: int
    label: str
    votes: int
    percent: int  # of the ballots (multiple choice: the shares add up to more than 100)

    @property
    def bar(self) -> int:
        """The bar's width class in steps of 5 (``poll-bar__fill--0`` … ``--100``)."""
        return min(100, max(0, 5 * round(self.percent / 5)))


def poll_results(poll: MeetingPoll) -> list[OptionResult]:
    """Each option with its votes and share of the ballots, in the options' order."""
    return [
        OptionResult(
            id=o.id, label=o.label, votes=o.vote_count, percent=percent(o.vote_count, poll.ballot_count)
        )
        for o in poll.options
    ]


@dataclass(frozen=True)
class PollCard:
    """One poll as this viewer sees it."""

    poll: MeetingPoll
    agenda_title: str | None
    results: list[OptionResult] | None  # None: not (yet) for this viewer


async def list_polls(db: AsyncSession, meeting: Meeting) -> list[MeetingPoll]:
    """All polls of the meeting, oldest first, with fresh counts (a vote in this session's
    transaction updated them in SQL, not in the loaded objects)."""
    stmt = (
        select(MeetingPoll)
        .where(MeetingPoll.meeting_id == meeting.id)
        .order_by(MeetingPoll.id)
        .execution_options(populate_existing=True)
    )
    return list((await db.scalars(stmt)).all())


async def has_voted(db: AsyncSession, poll: MeetingPoll, participant: Participant | None) -> bool:
    if participant is None:
        return False
    found = await db.scalar(
        select(MeetingPollBallot.id).where(
            MeetingPollBallot.poll_id == poll.id, MeetingPollBallot.voter_key == participant.voter_key
        )
    )
    return found is not None


async def get_poll(db: AsyncSession, meeting: Meeting, poll_id: int) -> MeetingPoll:
    """The meeting's poll (another meeting's id is 404)."""
    poll = await db.get(MeetingPoll, poll_id, populate_existing=True)
    if poll is None or poll.meeting_id != meeting.id:
        raise NotFoundException()
    return poll


async def room_context(db: AsyncSession, meeting: Meeting, viewer: Viewer) -> dict[str, Any]:
    """What the room's polls block needs for this viewer: the open poll (with the vote form or,
    after voting, the results as set), the closed polls with their final results, and for staff
    the drafts and the form to prepare one."""
    polls = await list_polls(db, meeting)
    titles = {item.id: item.title for item in meeting.agenda}
    open_poll = next((p for p in polls if p.state == PollState.OPEN), None)
    voted = await has_voted(db, open_poll, viewer.participant) if open_poll else False
    denied = why_not_vote(viewer, meeting, open_poll) if open_poll and not voted else None
    may_vote = open_poll is not None and not voted and denied is None

    def card(poll: MeetingPoll, show: bool) -> PollCard:
        return PollCard(
            poll=poll,
            agenda_title=titles.get(poll.agenda_item_id) if poll.agenda_item_id else None,
            results=poll_results(poll) if show else None,
        )

    return {
        "poll_open": card(open_poll, results_visible(viewer, meeting, open_poll, voted=voted))
        if open_poll
        else None,
        "poll_voted": voted,
        "poll_may_vote": may_vote,
        "poll_denied": denied,
        "poll_denied_text": denied_text(denied) if denied else "",
        "poll_closed": [card(p, True) for p in reversed(polls) if p.state == PollState.CLOSED],
        "poll_drafts": [card(p, True) for p in polls if p.state == PollState.DRAFT] if viewer.staff else [],
        "poll_form": PollForm(agenda=meeting.agenda, current_item_id=meeting.current_item_id)
        if viewer.staff
        else None,
        "poll_vote_error": None,
        "PollResults": PollResults,
    }
