"""Writes for comments: post (or reply), edit within the time limit, delete own, vote.

Callers authorise through :mod:`beteiligung.consultations.permissions` first. The actions never
commit: the route commits once after the action (issue 12), and the live events they queue go
out after that commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.comments.models import Comment, CommentVote
from beteiligung.db import upsert_insert, utcnow
from beteiligung.live.events import CommentChanged, CommentPosted, CommentVoteChanged
from beteiligung.live.publish import queue_event
from beteiligung.moderation.actions import PUBLISH, Screening, open_review, revised_by_author
from beteiligung.proposals.contributions import hold_or_announce, insert_once


async def post_comment(
    db: AsyncSession,
    *,
    consultation_id: int,
    proposal_id: int | None,
    parent: Comment | None,
    author_id: int,
    body: str,
    submission_key: str | None,
    org_id: int | None = None,
    screening: Screening = PUBLISH,
    now: datetime | None = None,
) -> Comment:
    """A comment, or a reply to ``parent`` (same target, one level deeper). The same form sent
    twice gives the comment of the first send, also when both arrive at once
    (:func:`~beteiligung.proposals.contributions.insert_once`). A held comment (``screening``)
    goes to the moderation queue and publishes nothing public until it is approved."""
    now = now or utcnow()
    comment, created = await insert_once(
        db,
        Comment,
        author_id=author_id,
        submission_key=submission_key,
        consultation_id=consultation_id,
        proposal_id=proposal_id,
        parent_id=parent.id if parent else None,
        depth=parent.depth + 1 if parent else 1,
        body=body,
        visibility=screening.visibility,
    )
    if not created:
        return comment
    await hold_or_announce(
        db,
        target=comment,
        screening=screening,
        org_id=org_id,
        now=now,
        event=CommentPosted(consultation_id=consultation_id, proposal_id=proposal_id, comment_id=comment.id),
    )
    return comment


async def edit_comment(
    db: AsyncSession,
    *,
    comment: Comment,
    body: str,
    now: datetime,
    org_id: int,
    screening: Screening = PUBLISH,
) -> None:
    """The author's correction. An edit that fails the automatic checks holds the comment; one
    the moderation asked for goes back to the queue."""
    if body == comment.body:
        return
    comment.body = body
    comment.edited_at = now
    if comment.is_public:
        queue_event(db, _changed(comment))
    if screening.held and screening.trigger is not None and comment.is_public:
        comment.visibility = screening.visibility
        await open_review(
            db, org_id=org_id, target=comment, trigger=screening.trigger, reasons=screening.reasons, now=now
        )
    else:
        await revised_by_author(db, org_id=org_id, target=comment, now=now)


async def delete_comment(db: AsyncSession, *, comment: Comment, now: datetime | None = None) -> None:
    """The author's own deletion: the text goes, a placeholder stays so replies keep context."""
    comment.body = ""
    comment.deleted_at = now or utcnow()
    if comment.is_public:
        queue_event(db, _changed(comment))


def _changed(comment: Comment) -> CommentChanged:
    return CommentChanged(
        consultation_id=comment.consultation_id, proposal_id=comment.proposal_id, comment_id=comment.id
    )


async def vote_comment(db: AsyncSession, *, comment: Comment, user_id: int, value: int) -> None:
    """+1 (hilfreich), -1 (nicht hilfreich) or 0 (take the vote back); one vote per person."""
    comment_id = comment.id
    queue_event(
        db,
        CommentVoteChanged(
            consultation_id=comment.consultation_id, proposal_id=comment.proposal_id, comment_id=comment_id
        ),
    )
    if value == 0:
        await db.execute(
            delete(CommentVote).where(CommentVote.comment_id == comment_id, CommentVote.user_id == user_id)
        )
        return
    now = utcnow()
    stmt = upsert_insert(db)(CommentVote).values(
        comment_id=comment_id, user_id=user_id, value=value, created_at=now, updated_at=now
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["comment_id", "user_id"],
        set_={"value": value, "updated_at": now},
        where=CommentVote.__table__.c.value != value,
    )
    await db.execute(stmt)
