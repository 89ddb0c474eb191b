"""Comments as a kind of contribution the moderation reviews (moderation.targets.ModerationTarget,
registered in comments/feature.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from beteiligung.accounts.permissions import Actor
from beteiligung.comments.models import Comment
from beteiligung.comments.queries import access_comment
from beteiligung.consultations.models import Consultation
from beteiligung.consultations.states import Visibility
from beteiligung.live.events import CommentChanged, CommentPosted
from beteiligung.live.publish import queue_event
from beteiligung.moderation.models import Review
from beteiligung.proposals.models import Proposal
from beteiligung.web.urls import url


def _url(comment_id: int, proposal_id: int | None, slug: str) -> str:
    anchor = f"comment-{comment_id}"
    if proposal_id:
        return url("proposals.page", proposal_id=proposal_id, anchor=anchor)
    return url("consultations.page", slug=slug, anchor=anchor)


class CommentTarget:
    kind = "comment"
    queue_kind = "comment"
    model = Comment
    review_column = "comment_id"
    flag_column: str | None = "comment_id"
    editable = True

    def excerpt(self, obj: Any) -> str:
        return " ".join(obj.body.split())

    async def link(self, db: AsyncSession, obj: Any) -> str:
        if obj.proposal_id:
            return _url(obj.id, obj.proposal_id, "")
        consultation = await db.get(Consultation, obj.consultation_id)
        return _url(obj.id, None, consultation.slug if consultation else "")

    async def links(self, db: AsyncSession, ids: set[int]) -> dict[int, str]:
        rows = await db.execute(
            select(Comment.id, Comment.proposal_id, Consultation.slug)
            .join(Consultation, Consultation.id == Comment.consultation_id)
            .where(Comment.id.in_(ids))
        )
        return {cid: _url(cid, proposal_id, slug) for cid, proposal_id, slug in rows.all()}

    def visibility_changed(self, db: AsyncSession, obj: Any, was_public: bool) -> None:
        ids = {"consultation_id": obj.consultation_id, "proposal_id": obj.proposal_id, "comment_id": obj.id}
        if obj.visibility == Visibility.PUBLISHED and not was_public:
            queue_event(db, CommentPosted(**ids))
        elif was_public or obj.visibility == Visibility.HIDDEN:
            queue_event(db, CommentChanged(**ids))

    def queue_filter(self) -> ColumnElement[bool] | None:
        # An item its author deleted meanwhile needs no decision.
        return or_(
            Review.comment_id.is_(None),
            ~select(Comment.id)
            .where(Comment.id == Review.comment_id, Comment.deleted_at.is_not(None))
            .exists(),
        )

    async def queue_context(self, db: AsyncSession, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """The comments, the comments they reply to and the proposals they are about."""
        comments = {
            c.id: c
            for c in await db.scalars(
                select(Comment).where(Comment.id.in_(ids)).options(joinedload(Comment.author))
            )
        }
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
        about_ids = {c.proposal_id for c in comments.values() if c.proposal_id}
        proposals = (
            {p.id: p for p in await db.scalars(select(Proposal).where(Proposal.id.in_(about_ids)))}
            if about_ids
            else {}
        )
        return {
            c.id: {
                "target": c,
                "comment": c,
                "author": c.author,
                "parent": parents.get(c.parent_id) if c.parent_id else None,
                "on_proposal": proposals.get(c.proposal_id) if c.proposal_id else None,
            }
            for c in comments.values()
        }

    async def flag_access(self, db: AsyncSession, actor: Actor, org_id: int, obj_id: int) -> tuple[Any, str]:
        comment, consultation = await access_comment(db, actor, org_id, obj_id)
        return comment, _url(comment.id, comment.proposal_id, consultation.slug)


TARGET = CommentTarget()
