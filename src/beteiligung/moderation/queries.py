"""Reads of the moderation: the queue with each item's context, in a fixed number of queries."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from beteiligung.accounts.models import User
from beteiligung.comments.models import Comment
from beteiligung.consultations.models import Consultation
from beteiligung.meetings.models import AgendaItem, Meeting, MeetingQuestion
from beteiligung.moderation.claims import Claim
from beteiligung.moderation.models import Flag, Review, ReviewStatus, Trigger
from beteiligung.proposals.models import Proposal

QUEUE_LIMIT = 100  # per page view; a spam wave beyond that is handled in rounds of bulk actions


@dataclass
class QueueItem:
    review: Review
    consultation: Consultation | None  # None: a question in a meeting of the organisation itself
    comment: Comment | None = None
    proposal: Proposal | None = None
    question: MeetingQuestion | None = None
    parent: Comment | None = None  # the comment this one replies to
    on_proposal: Proposal | None = None  # the proposal a comment is about
    meeting: Meeting | None = None  # the meeting a question was asked in
    agenda_item: AgendaItem | None = None  # the agenda item a question is about
    author: User | None = None
    flags: list[Flag] = field(default_factory=list)
    author_record: dict[str, int] = field(default_factory=dict)  # earlier outcomes by status
    claim: Claim | None = None

    @property
    def kind(self) -> str:
        if self.question is not None:
            return "question"
        return "comment" if self.comment is not None else "proposal"

    @property
    def is_guest(self) -> bool:
        """A question asked by a guest (no account: nothing to block or notify)."""
        return self.question is not None and self.question.author_id is None

    @property
    def author_name(self) -> str:
        """The name the contribution appears under ("" for a deleted account)."""
        if self.is_guest:
            assert self.question is not None
            return self.question.guest_name
        return self.author.display_name if self.author else ""

    @property
    def text(self) -> str:
        if self.comment is not None:
            return self.comment.body
        if self.question is not None:
            return self.question.body
        assert self.proposal is not None
        return self.proposal.body

    @property
    def flag_reasons(self) -> Counter[str]:
        return Counter(f.reason for f in self.flags)


@dataclass
class Queue:
    items: list[QueueItem]
    total: int
    consultations: list[Consultation]  # for the filter


async def load_queue(
    db: AsyncSession,
    org_id: int,
    *,
    consultation_id: int | None = None,
    without_consultation: bool = False,
    trigger: Trigger | None = None,
    review_ids: list[int] | None = None,
) -> Queue:
    """Open items, oldest first, with context: the consultation, the text, the comment replied
    to, the meeting and agenda item of a question, the flags with reasons and the author's
    earlier outcomes (display names only, never e-mail addresses, DS-17).
    ``without_consultation``: only items outside every consultation (questions in the
    organisation's own meetings)."""
    where = [Review.organisation_id == org_id, Review.status == ReviewStatus.OPEN]
    if consultation_id is not None:
        where.append(Review.consultation_id == consultation_id)
    elif without_consultation:
        where.append(Review.consultation_id.is_(None))
    if trigger is not None:
        where.append(Review.trigger == trigger)
    if review_ids is not None:
        where.append(Review.id.in_(review_ids))
    # An item its author deleted meanwhile needs no decision.
    where.append(
        or_(
            Review.comment_id.is_(None),
            ~select(Comment.id)
            .where(Comment.id == Review.comment_id, Comment.deleted_at.is_not(None))
            .exists(),
        )
    )
    total = int(await db.scalar(select(func.count()).select_from(Review).where(*where)) or 0)
    reviews = list(
        (
            await db.scalars(
                select(Review).where(*where).order_by(Review.opened_at, Review.id).limit(QUEUE_LIMIT)
            )
        ).all()
    )
    consultations = {
        c.id: c
        for c in await db.scalars(
            select(Consultation).where(Consultation.organisation_id == org_id).order_by(Consultation.title)
        )
    }
    comment_ids = [r.comment_id for r in reviews if r.comment_id is not None]
    proposal_ids = [r.proposal_id for r in reviews if r.proposal_id is not None]
    question_ids = [r.meeting_question_id for r in reviews if r.meeting_question_id is not None]
    questions = (
        {
            q.id: q
            for q in await db.scalars(select(MeetingQuestion).where(MeetingQuestion.id.in_(question_ids)))
        }
        if question_ids
        else {}
    )
    meeting_ids = {q.meeting_id for q in questions.values()}
    meetings = (
        {m.id: m for m in await db.scalars(select(Meeting).where(Meeting.id.in_(meeting_ids)))}
        if meeting_ids
        else {}
    )
    comments = (
        {
            c.id: c
            for c in await db.scalars(
                select(Comment).where(Comment.id.in_(comment_ids)).options(joinedload(Comment.author))
            )
        }
        if comment_ids
        else {}
    )
    parent_ids = [c.parent_id for c in comments.values() if c.parent_id]
    parents = (
        {
            c.id: c
            for c in await db.scalars(
                select(Comment).where(Comment.id.in_(parent_ids)).options(joinedload(Comment.author))
            )
        }
        if parent_ids
        else {}
    )
    about_ids = {c.proposal_id for c in comments.values() if c.proposal_id} | set(proposal_ids)
    proposals = (
        {
            p.id: p
            for p in await db.scalars(
                select(Proposal).where(Proposal.id.in_(about_ids)).options(joinedload(Proposal.author))
            )
        }
        if about_ids
        else {}
    )
    flags: dict[tuple[str, int], list[Flag]] = defaultdict(list)
    if comment_ids or proposal_ids:
        rows = await db.scalars(
            select(Flag)
            .where(
                Flag.resolved_at.is_(None),
                or_(Flag.comment_id.in_(comment_ids), Flag.proposal_id.in_(proposal_ids)),
            )
            .order_by(Flag.created_at)
        )
        for f in rows:
            key = ("comment", f.comment_id) if f.comment_id is not None else ("proposal", f.proposal_id)
            flags[key].append(f)  # type: ignore[index]
    author_ids = {r.author_id for r in reviews if r.author_id is not None}
    asker_ids = {q.author_id for q in questions.values() if q.author_id is not None}
    askers = (
        {u.id: u for u in await db.scalars(select(User).where(User.id.in_(asker_ids)))} if asker_ids else {}
    )
    record: dict[int, dict[str, int]] = defaultdict(dict)
    if author_ids:
        rows2 = await db.execute(
            select(Review.author_id, Review.status, func.count())
            .where(
                Review.organisation_id == org_id,
                Review.author_id.in_(author_ids),
                Review.status != ReviewStatus.OPEN,
            )
            .group_by(Review.author_id, Review.status)
        )
        for author_id, status, count in rows2.all():
            if author_id is not None:
                record[author_id][str(status)] = int(count)
    items = []
    for r in reviews:
        consultation = consultations.get(r.consultation_id) if r.consultation_id is not None else None
        item = QueueItem(review=r, consultation=consultation)
        if r.meeting_question_id is not None:
            q = questions.get(r.meeting_question_id)
            if q is None:
                continue
            item.question, item.meeting = q, meetings.get(q.meeting_id)
            item.author = askers.get(q.author_id) if q.author_id is not None else None
            if item.meeting is not None and q.agenda_item_id is not None:
                item.agenda_item = next((a for a in item.meeting.agenda if a.id == q.agenda_item_id), None)
        elif r.comment_id is not None:
            c = comments.get(r.comment_id)
            if c is None:
                continue
            item.comment, item.author = c, c.author
            item.parent = parents.get(c.parent_id) if c.parent_id else None
            item.on_proposal = proposals.get(c.proposal_id) if c.proposal_id else None
            item.flags = flags.get(("comment", c.id), [])
        else:
            p = proposals.get(r.proposal_id or 0)
            if p is None:
                continue
            item.proposal, item.author = p, p.author
            item.flags = flags.get(("proposal", p.id), [])
        item.author_record = record.get(r.author_id or 0, {})
        items.append(item)
    return Queue(items=items, total=total, consultations=list(consultations.values()))


async def get_review(db: AsyncSession, org_id: int, review_id: int) -> Review | None:
    review = await db.get(Review, review_id)
    if review is None or review.organisation_id != org_id:
        return None
    return review


STATUS_LABELS: dict[str, str] = {
    ReviewStatus.APPROVED: "freigegeben",
    ReviewStatus.HIDDEN: "ausgeblendet",
    ReviewStatus.EDIT_REQUESTED: "zur Überarbeitung",
    ReviewStatus.DISMISSED: "Meldungen verworfen",
}
