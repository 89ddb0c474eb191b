"""Meetings in the account's data export and at erasure (docs/meetings.md, DS-08/09).

* Export: the schema-driven export (accounts/privacy.py) already holds every meeting row with the
  person's ``user_id``/``author_id``: registrations, questions, question votes, poll ballots and
  speaker entries. :func:`add_meeting_details` makes them readable: the meeting's title beside
  each row, the question a vote was for, and which options a ballot chose (the choices hang off
  the ballot, without a user column of their own; how someone voted is their own data).
* Erasure (:func:`forget_meeting_entries`, before the account row goes): registrations go (the
  foreign key cascades) and so do speaker requests still waiting or being heard. What became part
  of a meeting stays, anonymised, because it counts in results and minutes that others read:
  questions (text, votes; ``author_id`` is set to NULL by the foreign key), question votes and
  ballots (their counts stay exact), and finished speaker entries, whose display name becomes
  "Gelöschtes Konto" (also in those meetings' minutes). The voter key ``u:<id>`` that linked all
  of these to the account is replaced by ``d:<row id>``: unique per row, so the unique
  constraints hold, and pointing at nobody (an id that a new account might get again on SQLite
  must not inherit the old votes).
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from sqlalchemy import String, cast, delete, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.accounts.models import User
from beteiligung.accounts.privacy import PrivacyHooks, Tables
from beteiligung.live.events import MeetingSpeakersChanged, MeetingStateChanged
from beteiligung.live.publish import queue_event
from beteiligung.meetings.minutes.document import md_text
from beteiligung.meetings.models import (
    Meeting,
    MeetingPoll,
    MeetingPollBallot,
    MeetingPollChoice,
    MeetingPollOption,
    MeetingQuestion,
    MeetingQuestionVote,
    MeetingSpeaker,
    SpeakerStatus,
)

ERASED_NAME = "Gelöschtes Konto"
OPEN_SPEAKER = (SpeakerStatus.WAITING, SpeakerStatus.SPEAKING)


async def add_meeting_details(db: AsyncSession, user_id: int, tables: Tables) -> None:
    """Add readable columns to the exported meeting rows (in place)."""
    meeting_ids: set[int] = set()
    for name in ("meeting_registration", "meeting_question", "meeting_speaker"):
        meeting_ids |= {row["meeting_id"] for row in tables.get(name, [])}

    votes = tables.get("meeting_question_vote", [])
    question_ids = {row["question_id"] for row in votes}
    questions: dict[int, tuple[int, str]] = {}
    if question_ids:
        result = await db.execute(
            select(MeetingQuestion.id, MeetingQuestion.meeting_id, MeetingQuestion.body).where(
                MeetingQuestion.id.in_(question_ids)
            )
        )
        questions = {qid: (mid, body) for qid, mid, body in result.all()}
        meeting_ids |= {mid for mid, _body in questions.values()}

    ballots = tables.get("meeting_poll_ballot", [])
    polls: dict[int, tuple[int, str]] = {}
    chosen: dict[int, list[str]] = defaultdict(list)
    if ballots:
        poll_ids = {row["poll_id"] for row in ballots}
        result = await db.execute(
            select(MeetingPoll.id, MeetingPoll.meeting_id, MeetingPoll.question).where(
                MeetingPoll.id.in_(poll_ids)
            )
        )
        polls = {pid: (mid, question) for pid, mid, question in result.all()}
        meeting_ids |= {mid for mid, _question in polls.values()}
        choices = await db.execute(
            select(MeetingPollChoice.ballot_id, MeetingPollOption.label)
            .join(MeetingPollOption, MeetingPollOption.id == MeetingPollChoice.option_id)
            .where(MeetingPollChoice.ballot_id.in_([row["id"] for row in ballots]))
            .order_by(MeetingPollChoice.ballot_id, MeetingPollOption.position)
        )
        for ballot_id, label in choices.all():
            chosen[ballot_id].append(label)

    titles: dict[int, str] = {}
    if meeting_ids:
        names = await db.execute(select(Meeting.id, Meeting.title).where(Meeting.id.in_(meeting_ids)))
        titles = {mid: title for mid, title in names.all()}

    for name in ("meeting_registration", "meeting_question", "meeting_speaker"):
        for row in tables.get(name, []):
            row["meeting"] = titles.get(row["meeting_id"], "")
    for row in votes:
        mid, body = questions.get(row["question_id"], (0, ""))
        row["meeting"], row["question"] = titles.get(mid, ""), body
    for row in ballots:
        mid, question = polls.get(row["poll_id"], (0, ""))
        row["meeting"], row["poll"] = titles.get(mid, ""), question
        row["chosen_options"] = "; ".join(chosen.get(row["id"], []))


def _anonymous_key(column: Any) -> Any:
    """``d:<row id>``: unique per row, linked to nobody."""
    return literal("d:").concat(cast(column, String))


def _name_pattern(names: set[str]) -> re.Pattern[str] | None:
    variants = {v for name in names if name.strip() for v in (name, md_text(name))}
    if not variants:
        return None
    alternatives = "|".join(re.escape(v) for v in sorted(variants, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


async def forget_meeting_entries(db: AsyncSession, user_id: int, display_name: str) -> None:
    """Erase the person from the meetings (inside the caller's transaction, before the account
    row is deleted; the caller commits, which publishes the speaker lists' changes)."""
    # Speaker requests still open go; the rooms' lists change.
    open_rows = (
        await db.execute(
            select(MeetingSpeaker.meeting_id).where(
                MeetingSpeaker.user_id == user_id, MeetingSpeaker.status.in_(OPEN_SPEAKER)
            )
        )
    ).all()
    if open_rows:
        await db.execute(
            delete(MeetingSpeaker)
            .where(MeetingSpeaker.user_id == user_id, MeetingSpeaker.status.in_(OPEN_SPEAKER))
            .execution_options(synchronize_session=False)
        )
        for meeting_id in sorted({row[0] for row in open_rows}):
            queue_event(db, MeetingSpeakersChanged(meeting_id=meeting_id))

    # Finished speaker entries stay in the order of the meeting, without the name.
    spoken = (
        await db.execute(
            select(MeetingSpeaker.meeting_id, MeetingSpeaker.display_name).where(
                MeetingSpeaker.user_id == user_id
            )
        )
    ).all()
    if spoken:
        await db.execute(
            update(MeetingSpeaker)
            .where(MeetingSpeaker.user_id == user_id)
            .values(display_name=ERASED_NAME, voter_key=_anonymous_key(MeetingSpeaker.id))
            .execution_options(synchronize_session=False)
        )
        pattern = _name_pattern({display_name, *(name for _mid, name in spoken)})
        meetings = (
            await db.scalars(select(Meeting).where(Meeting.id.in_({mid for mid, _name in spoken})))
        ).all()
        for meeting in meetings:
            if pattern is None or not meeting.minutes:
                continue
            scrubbed = pattern.sub(ERASED_NAME, meeting.minutes)
            if scrubbed != meeting.minutes:
                meeting.minutes = scrubbed
                if meeting.minutes_published_at is not None:
                    queue_event(db, MeetingStateChanged(meeting_id=meeting.id))

    # Questions, votes and ballots stay (they count), linked to nobody.
    for model, owner in (
        (MeetingQuestion, MeetingQuestion.author_id),
        (MeetingQuestionVote, MeetingQuestionVote.user_id),
        (MeetingPollBallot, MeetingPollBallot.user_id),
    ):
        await db.execute(
            update(model)
            .where(owner == user_id)
            .values(voter_key=_anonymous_key(model.id))
            .execution_options(synchronize_session=False)
        )


async def _erase(db: AsyncSession, user: User) -> None:
    await forget_meeting_entries(db, user.id, user.display_name)  # questions and votes stay, anonymised


HOOKS = PrivacyHooks(name="meetings", export=add_meeting_details, erase=_erase, order=20)
