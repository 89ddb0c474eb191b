"""Reads of the meeting's Q&A: the questions as one viewer sees them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.elements import ColumnElement

from beteiligung.accounts.models import User, official_role
from beteiligung.consultations.states import Visibility
from beteiligung.meetings.models import (
    QUESTION_STATUS_NAMES,
    Meeting,
    MeetingQuestion,
    MeetingQuestionVote,
    QuestionStatus,
)
from beteiligung.meetings.questions.forms import DEFAULT_SORT, SORTS, QuestionForm, answer_form, parse_sort
from beteiligung.meetings.views import Viewer
from beteiligung.moderation.explain import HeldExplanation, explain_hold
from beteiligung.moderation.models import Review


@dataclass
class QuestionItem:
    """One question as this viewer sees it."""

    question: MeetingQuestion
    name: str  # the asker's display name ("" for a deleted account)
    guest: bool
    badge: str  # "staff", "moderator" or "": the asker speaks for the town
    agenda_title: str
    own: bool  # asked by this viewer (same voter key)
    voted: bool  # this viewer upvoted it
    moderation: str = ""  # "" (public), "held" (the viewer's own, waiting), "hidden" (placeholder)
    rule: int | None = None  # the Netiquette rule of a hidden question
    held_why: HeldExplanation | None = None  # "held": why it waits (moderation/explain.py)

    @property
    def id(self) -> int:
        return self.question.id


@dataclass
class QuestionsView:
    sort: str
    open: list[QuestionItem] = field(default_factory=list)  # open and in the spotlight
    answered: list[QuestionItem] = field(default_factory=list)
    spotlight: QuestionItem | None = None
    open_count: int = 0  # public questions only
    answered_count: int = 0
    held_count: int = 0  # waiting in the moderation queue (shown to moderators only)

    @property
    def total(self) -> int:
        return self.open_count + self.answered_count


def _badge(user: User | None, org_id: int) -> str:
    """The badge beside a question: whom the asker speaks for ("staff", "moderator" or "")."""
    role = official_role(user, org_id)
    return role.value if role else ""


async def load_questions(
    db: AsyncSession,
    meeting: Meeting,
    *,
    voter_key: str | None,
    sort: str = DEFAULT_SORT,
    moderator: bool = False,
) -> QuestionsView:
    """The meeting's public questions, the viewer's own held ones and the placeholders of hidden
    ones, with askers, badges and the viewer's votes (a fixed number of queries)."""
    visible: list[ColumnElement[bool]] = [
        MeetingQuestion.visibility.in_((Visibility.PUBLISHED, Visibility.HIDDEN))
    ]
    if voter_key:
        visible.append(MeetingQuestion.voter_key == voter_key)
    rows = list(
        (
            await db.scalars(
                select(MeetingQuestion)
                .where(MeetingQuestion.meeting_id == meeting.id, or_(*visible))
                .order_by(MeetingQuestion.created_at, MeetingQuestion.id)
                .execution_options(populate_existing=True)  # counters change by UPDATE statements
            )
        ).all()
    )
    author_ids = {q.author_id for q in rows if q.author_id is not None}
    users = (
        {
            u.id: u
            for u in await db.scalars(
                select(User).where(User.id.in_(author_ids)).options(selectinload(User.memberships))
            )
        }
        if author_ids
        else {}
    )
    ids = [q.id for q in rows if q.is_public]
    voted: set[int] = set()
    if voter_key and ids:
        voted = set(
            (
                await db.scalars(
                    select(MeetingQuestionVote.question_id).where(
                        MeetingQuestionVote.voter_key == voter_key, MeetingQuestionVote.question_id.in_(ids)
                    )
                )
            ).all()
        )
    hidden_ids = [q.id for q in rows if q.visibility != Visibility.PUBLISHED]  # hidden, and own held
    reviews: dict[int, Review] = {}
    if hidden_ids:
        found = await db.scalars(select(Review).where(Review.meeting_question_id.in_(hidden_ids)))
        reviews = {r.meeting_question_id: r for r in found if r.meeting_question_id is not None}
    titles = {item.id: item.title for item in meeting.agenda}

    view = QuestionsView(sort=sort)
    for q in rows:
        user = users.get(q.author_id) if q.author_id is not None else None
        item = QuestionItem(
            question=q,
            name=q.guest_name
            if q.author_id is None and q.guest_name
            else (user.display_name if user else ""),
            guest=q.author_id is None and bool(q.guest_name),
            badge=_badge(user, meeting.organisation_id),
            agenda_title=titles.get(q.agenda_item_id or 0, ""),
            own=bool(voter_key) and q.voter_key == voter_key,
            voted=q.id in voted,
        )
        review = reviews.get(q.id)
        if q.visibility == Visibility.HIDDEN:
            item.moderation, item.rule = "hidden", review.rule if review else None
        elif q.visibility == Visibility.HELD:
            item.moderation = "held"
            item.held_why = explain_hold(
                review.trigger if review else None,
                review.auto_codes if review else (),
                meeting=True,
                guest=q.author_id is None,
            )
        if q.status == QuestionStatus.ANSWERED and q.is_public:
            view.answered.append(item)
            view.answered_count += 1
        else:
            view.open.append(item)
            view.open_count += int(q.is_public)
        if q.is_public and q.id == meeting.spotlight_question_id and q.status == QuestionStatus.SPOTLIGHT:
            view.spotlight = item
    if sort == "neu":
        view.open.sort(key=lambda i: (i.question.created_at, i.id), reverse=True)
    else:  # most votes first; of equal votes the earlier question first
        view.open.sort(key=lambda i: (-i.question.vote_count, i.question.created_at, i.id))
    view.open.sort(key=lambda i: i.moderation != "held")  # the asker's own waiting ones on top
    view.answered.sort(key=lambda i: (i.question.answered_at or i.question.created_at, i.id), reverse=True)
    if moderator:
        view.held_count = int(
            await db.scalar(
                select(func.count())
                .select_from(MeetingQuestion)
                .where(
                    MeetingQuestion.meeting_id == meeting.id, MeetingQuestion.visibility == Visibility.HELD
                )
            )
            or 0
        )
    return view


async def room_context(db: AsyncSession, meeting: Meeting, viewer: Viewer) -> dict[str, Any]:
    """What the room's questions and spotlight blocks need for this viewer."""
    sort = parse_sort(viewer.params.get("fragen"))
    voter_key = viewer.participant.voter_key if viewer.participant else None
    questions = await load_questions(db, meeting, voter_key=voter_key, sort=sort, moderator=viewer.moderator)
    return {
        "qa": questions,
        "question_form": QuestionForm(meeting=meeting),
        "question_sorts": SORTS,
        "question_status_names": QUESTION_STATUS_NAMES,
        "QuestionStatus": QuestionStatus,
        "new_answer_form": answer_form,
        "answer_forms": {},
        "ask_denied": viewer.why_not("ask", meeting),
        "upvote_denied": viewer.why_not("upvote", meeting),
    }
