"""Reads for comments: a whole thread in a fixed number of queries, and ``access_comment``.

A thread is all comments of one target (a consultation, or one proposal) with their authors,
the authors' roles in the organisation (for the "Verwaltung" badge) and the viewer's votes:
three statements, whatever the number of comments.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from litestar.exceptions import NotFoundException
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from beteiligung.accounts.models import Role, User, official_role
from beteiligung.accounts.permissions import Actor
from beteiligung.comments.models import Comment, CommentVote
from beteiligung.consultations.models import Consultation
from beteiligung.consultations.permissions import enforce, why_not_view
from beteiligung.consultations.states import Visibility
from beteiligung.db import LabelledEnum
from beteiligung.moderation.explain import HeldExplanation, explain_hold
from beteiligung.moderation.models import Review, ReviewStatus


class CommentSort(LabelledEnum):
    NEWEST = "neueste", "Neueste zuerst"
    OLDEST = "aelteste", "Älteste zuerst"
    HELPFUL = "hilfreich", "Hilfreichste zuerst"


COMMENT_SORT_NAMES: dict[CommentSort, str] = CommentSort.labels()


@dataclass
class Node:
    comment: Comment
    replies: list[Node] = field(default_factory=list)
    badge: str = ""  # "Verwaltung" or "Moderation": the author speaks for the town
    # Moderation, as this viewer may see it (docs/moderation.md): "" (public), "hidden"
    # (placeholder with the Netiquette rule), "held" (the author's own, waiting for approval),
    # "edit" (the author's own, revision requested), "pending" (someone else's held comment
    # that has public replies: a placeholder keeps the replies in context).
    moderation: str = ""
    rule: int | None = None
    reason: str = ""
    held_why: HeldExplanation | None = None  # "held": why it waits, for its author (moderation/explain.py)


@dataclass
class Thread:
    roots: list[Node]
    count: int  # comments not deleted
    votes: dict[int, int]  # the viewer's vote per comment id
    sort: CommentSort


# The badge beside a comment whose author speaks for the town (accounts.models.official_role).
BADGES: dict[Role | None, str] = {Role.STAFF: "Verwaltung", Role.MODERATOR: "Moderation"}


def _badge(author: User | None, org_id: int) -> str:
    return BADGES.get(official_role(author, org_id), "")


async def load_thread(
    db: AsyncSession,
    *,
    org_id: int,
    consultation_id: int,
    proposal_id: int | None,
    sort: CommentSort,
    viewer_id: int | None,
) -> Thread:
    target = Comment.proposal_id == proposal_id if proposal_id is not None else Comment.proposal_id.is_(None)
    stmt = (
        select(Comment)
        .where(Comment.consultation_id == consultation_id, target)
        .options(joinedload(Comment.author).selectinload(User.memberships))
        .order_by(Comment.created_at, Comment.id)
        .execution_options(populate_existing=True)
    )
    comments = list((await db.scalars(stmt)).unique().all())
    reviews = await _reviews_of(db, [c.id for c in comments if not c.is_public])
    nodes = {c.id: _node(c, org_id, viewer_id, reviews.get(c.id)) for c in comments}
    roots: list[Node] = []
    for c in comments:  # oldest first, so replies read as a conversation
        parent = nodes.get(c.parent_id) if c.parent_id else None
        (parent.replies if parent else roots).append(nodes[c.id])
    roots = _prune(roots)
    if sort == CommentSort.NEWEST:
        roots.reverse()
    elif sort == CommentSort.HELPFUL:
        roots.sort(key=lambda n: (-n.comment.score, n.comment.created_at))
    votes = await my_votes(db, viewer_id, [c.id for c in comments])
    count = sum(1 for c in comments if c.deleted_at is None and c.is_public)
    return Thread(roots=roots, count=count, votes=votes, sort=sort)


async def _reviews_of(db: AsyncSession, comment_ids: list[int]) -> dict[int, Review]:
    if not comment_ids:
        return {}
    rows = await db.scalars(select(Review).where(Review.comment_id.in_(comment_ids)))
    return {r.comment_id: r for r in rows if r.comment_id is not None}


def _node(comment: Comment, org_id: int, viewer_id: int | None, review: Review | None) -> Node:
    node = Node(comment, badge=_badge(comment.author, org_id))
    if comment.visibility == Visibility.HIDDEN:
        node.moderation, node.rule = "hidden", review.rule if review else None
    elif comment.visibility == Visibility.HELD:
        own = viewer_id is not None and comment.author_id == viewer_id
        edit = review is not None and review.status == ReviewStatus.EDIT_REQUESTED
        node.moderation = ("edit" if edit else "held") if own else "pending"
        if own and edit and review is not None:
            node.rule, node.reason = review.rule, review.reason_text
        elif own:
            node.held_why = explain_hold(
                review.trigger if review else None, review.auto_codes if review else ()
            )
    return node


def _prune(nodes: list[Node]) -> list[Node]:
    """Drop held comments of others, unless public replies hang on them (then a placeholder)."""
    kept = []
    for node in nodes:
        node.replies = _prune(node.replies)
        if node.moderation != "pending" or node.replies:
            kept.append(node)
    return kept


async def my_votes(db: AsyncSession, viewer_id: int | None, comment_ids: list[int]) -> dict[int, int]:
    """The viewer's vote per comment (one query)."""
    if viewer_id is None or not comment_ids:
        return {}
    rows = await db.execute(
        select(CommentVote.comment_id, CommentVote.value).where(
            CommentVote.user_id == viewer_id, CommentVote.comment_id.in_(comment_ids)
        )
    )
    return {cid: value for cid, value in rows.all()}


async def access_comment(
    db: AsyncSession, actor: Actor, org_id: int, comment_id: int
) -> tuple[Comment, Consultation]:
    """The comment and its consultation, if both belong to the organisation and are visible."""
    comment = await db.get(Comment, comment_id)
    consultation = await db.get(Consultation, comment.consultation_id) if comment else None
    if comment is None or consultation is None or consultation.organisation_id != org_id:
        raise NotFoundException()
    enforce(why_not_view(actor, consultation))
    if comment.visibility == Visibility.HELD and comment.author_id != actor.user_id:
        raise NotFoundException()  # not public: as if it did not exist
    return comment, consultation
