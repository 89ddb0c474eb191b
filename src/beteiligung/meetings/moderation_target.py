"""The questions asked in a meeting as a kind of contribution the moderation reviews
(moderation.targets.ModerationTarget, registered in meetings/feature.py). They are never flagged
(the room's moderation sees them before or as they go out) and never sent back for revision (the
asker cannot edit a question)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.accounts.models import User
from beteiligung.accounts.permissions import Actor
from beteiligung.consultations.states import Visibility
from beteiligung.live.events import MeetingQuestionsChanged
from beteiligung.live.publish import queue_event
from beteiligung.meetings.models import Meeting, MeetingQuestion
from beteiligung.web.urls import url


def _url(meeting_id: int, question_id: int) -> str:
    return url("meetings.room", meeting_id=meeting_id, anchor=f"frage-{question_id}")


class MeetingQuestionTarget:
    kind = "meeting_question"
    queue_kind = "question"
    model = MeetingQuestion
    review_column = "meeting_question_id"
    flag_column: str | None = None
    editable = False

    def excerpt(self, obj: Any) -> str:
        return " ".join(obj.body.split())

    async def link(self, db: AsyncSession, obj: Any) -> str:
        return _url(obj.meeting_id, obj.id)

    async def links(self, db: AsyncSession, ids: set[int]) -> dict[int, str]:
        rows = await db.execute(
            select(MeetingQuestion.id, MeetingQuestion.meeting_id).where(MeetingQuestion.id.in_(ids))
        )
        return {qid: _url(meeting_id, qid) for qid, meeting_id in rows.all()}

    def visibility_changed(self, db: AsyncSession, obj: Any, was_public: bool) -> None:
        # Approved: the question appears in the room. Hidden: its placeholder does. A question
        # going from held to held (an edit request) changes nothing the room shows.
        now_public = obj.visibility == Visibility.PUBLISHED
        if now_public != was_public or obj.visibility == Visibility.HIDDEN:
            queue_event(db, MeetingQuestionsChanged(meeting_id=obj.meeting_id))

    def queue_filter(self) -> ColumnElement[bool] | None:
        return None

    async def queue_context(self, db: AsyncSession, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """The questions, their meetings (with the agenda) and the askers with an account."""
        questions = {
            q.id: q for q in await db.scalars(select(MeetingQuestion).where(MeetingQuestion.id.in_(ids)))
        }
        meeting_ids = {q.meeting_id for q in questions.values()}
        meetings = (
            {m.id: m for m in await db.scalars(select(Meeting).where(Meeting.id.in_(meeting_ids)))}
            if meeting_ids
            else {}
        )
        asker_ids = {q.author_id for q in questions.values() if q.author_id is not None}
        askers = (
            {u.id: u for u in await db.scalars(select(User).where(User.id.in_(asker_ids)))}
            if asker_ids
            else {}
        )
        context: dict[int, dict[str, Any]] = {}
        for q in questions.values():
            meeting = meetings.get(q.meeting_id)
            agenda_item = None
            if meeting is not None and q.agenda_item_id is not None:
                agenda_item = next((a for a in meeting.agenda if a.id == q.agenda_item_id), None)
            context[q.id] = {
                "target": q,
                "question": q,
                "meeting": meeting,
                "agenda_item": agenda_item,
                "author": askers.get(q.author_id) if q.author_id is not None else None,
                "guest_name": q.guest_name if q.author_id is None else None,
            }
        return context

    async def flag_access(self, db: AsyncSession, actor: Actor, org_id: int, obj_id: int) -> tuple[Any, str]:
        raise LookupError("meeting questions are not flagged")


TARGET = MeetingQuestionTarget()
