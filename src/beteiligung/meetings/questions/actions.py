"""Writes of the meeting's Q&A (the caller checked the permission and commits; each queues its
live event for the commit to publish)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.db import insert_ignoring_duplicates
from beteiligung.live.events import MeetingQuestionsChanged
from beteiligung.live.publish import queue_coalesced, queue_event
from beteiligung.meetings.models import (
    Meeting,
    MeetingQuestion,
    MeetingQuestionVote,
    QuestionStatus,
)
from beteiligung.meetings.permissions import Participant
from beteiligung.meetings.queries import lock_meeting
from beteiligung.moderation.actions import Screening, open_review, remember_post


async def ask_question(
    db: AsyncSession,
    *,
    meeting: Meeting,
    participant: Participant,
    body: str,
    agenda_item_id: int | None,
    submission_key: str,
    screening: Screening,
    org_id: int,
    now: datetime,
) -> tuple[MeetingQuestion, bool]:
    """Store the question (the same form sent twice gives the first one's question). A held one
    goes to the moderation queue and publishes nothing in the room; a public one tells the room.
    Returns the question and whether it is new."""
    created = await insert_ignoring_duplicates(
        db,
        MeetingQuestion.__table__,
        {
            "meeting_id": meeting.id,
            "consultation_id": meeting.consultation_id,
            "agenda_item_id": agenda_item_id,
            "author_id": participant.user_id,
            "voter_key": participant.voter_key,
            "guest_name": participant.display_name if participant.is_guest else "",
            "body": body,
            "submission_key": submission_key,
            "visibility": screening.visibility.value,
            "status": QuestionStatus.OPEN.value,
            "answer_note": "",
            "answered_at": None,
            "vote_count": 0,
        },
    )
    question = (
        await db.scalars(
            select(MeetingQuestion).where(
                MeetingQuestion.meeting_id == meeting.id,
                MeetingQuestion.voter_key == participant.voter_key,
                MeetingQuestion.submission_key == submission_key,
            )
        )
    ).one()
    if created:
        if screening.held and screening.trigger is not None:
            await open_review(
                db,
                org_id=org_id,
                target=question,
                trigger=screening.trigger,
                reasons=screening.reasons,
                now=now,
            )
        else:
            queue_event(db, MeetingQuestionsChanged(meeting_id=meeting.id))
        await remember_post(db, screening, now)
    return question, created


async def upvote_question(
    db: AsyncSession, *, question: MeetingQuestion, participant: Participant, take_back: bool = False
) -> bool:
    """One vote per participant (a second one changes nothing); ``take_back`` removes it. The
    counter moves only with the row. Returns whether anything changed."""
    if take_back:
        result = await db.execute(
            delete(MeetingQuestionVote).where(
                MeetingQuestionVote.question_id == question.id,
                MeetingQuestionVote.voter_key == participant.voter_key,
            )
        )
        changed = bool(result.rowcount)  # type: ignore[attr-defined]
        step = -1
    else:
        changed = await insert_ignoring_duplicates(
            db,
            MeetingQuestionVote.__table__,
            {"question_id": question.id, "voter_key": participant.voter_key, "user_id": participant.user_id},
        )
        step = 1
    if changed:
        await db.execute(
            update(MeetingQuestion)
            .where(MeetingQuestion.id == question.id)
            .values(vote_count=MeetingQuestion.vote_count + step)
            .execution_options(synchronize_session=False)
        )
        # Upvotes come in bursts: one refresh per window for every screen, not one per vote.
        queue_coalesced(db, MeetingQuestionsChanged(meeting_id=question.meeting_id))
    await db.refresh(question)
    return changed


async def spotlight(db: AsyncSession, *, meeting: Meeting, question: MeetingQuestion) -> None:
    """Put the question on screen ("wird beantwortet"); the previous one goes back to the open
    questions (an answered one stays answered)."""
    await lock_meeting(db, meeting)
    await db.execute(
        update(MeetingQuestion)
        .where(
            MeetingQuestion.meeting_id == meeting.id,
            MeetingQuestion.status == QuestionStatus.SPOTLIGHT,
            MeetingQuestion.id != question.id,
        )
        .values(status=QuestionStatus.OPEN)
        .execution_options(synchronize_session=False)
    )
    question.status = QuestionStatus.SPOTLIGHT
    meeting.spotlight_question_id = question.id
    queue_event(db, MeetingQuestionsChanged(meeting_id=meeting.id))


async def mark_answered(
    db: AsyncSession, *, meeting: Meeting, question: MeetingQuestion, note: str, now: datetime
) -> None:
    """Answered, with the note; leaves the spotlight if it was there."""
    await lock_meeting(db, meeting)
    question.status = QuestionStatus.ANSWERED
    question.answer_note = note
    question.answered_at = now
    if meeting.spotlight_question_id == question.id:
        meeting.spotlight_question_id = None
    queue_event(db, MeetingQuestionsChanged(meeting_id=meeting.id))


async def reopen(db: AsyncSession, *, meeting: Meeting, question: MeetingQuestion) -> None:
    """Back to the open questions (out of the spotlight, or answered by mistake). The note stays
    for a later answer."""
    await lock_meeting(db, meeting)
    question.status = QuestionStatus.OPEN
    question.answered_at = None
    if meeting.spotlight_question_id == question.id:
        meeting.spotlight_question_id = None
    queue_event(db, MeetingQuestionsChanged(meeting_id=meeting.id))
