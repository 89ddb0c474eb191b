"""Comments on consultations and proposals, threaded up to three levels, with up/down votes.

A comment deleted by its author stays as a placeholder (``deleted_at`` set, body emptied), so
replies keep their context. Vote tallies are kept by database triggers (migration 0002).
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from beteiligung.accounts.models import User, UserId, UserIdOrNone
from beteiligung.consultations.models import ConsultationId, PublishedByDefault
from beteiligung.consultations.states import Visibility
from beteiligung.db import Base, TimestampOrNone

MAX_DEPTH = 3  # a comment, a reply, a reply to the reply


class Comment(Base):
    __tablename__ = "comment"
    __table_args__ = (
        UniqueConstraint("author_id", "submission_key"),
        CheckConstraint("depth BETWEEN 1 AND 3", name="depth_range"),
        Index("ix_comment_target", "consultation_id", "proposal_id", "created_at"),
    )

    consultation_id: Mapped[ConsultationId]
    # NULL: a comment on the consultation itself.
    proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposal.id", ondelete="CASCADE"), default=None, index=True
    )
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comment.id", ondelete="CASCADE"), default=None, index=True
    )
    depth: Mapped[int] = mapped_column(SmallInteger, default=1)
    author_id: Mapped[UserIdOrNone] = mapped_column(index=True)
    body: Mapped[str] = mapped_column(Text)
    edited_at: Mapped[TimestampOrNone]
    deleted_at: Mapped[TimestampOrNone]
    submission_key: Mapped[str | None] = mapped_column(String(64), default=None)
    upvotes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    downvotes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Only published contributions reach public surfaces (docs/moderation.md).
    visibility: Mapped[PublishedByDefault]

    author: Mapped[User | None] = relationship(lazy="noload")

    @property
    def score(self) -> int:
        return self.upvotes - self.downvotes

    @property
    def is_public(self) -> bool:
        return self.visibility in (None, Visibility.PUBLISHED)  # None: not flushed yet, the default

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class CommentVote(Base):
    __tablename__ = "comment_vote"
    __table_args__ = (
        UniqueConstraint("comment_id", "user_id"),
        CheckConstraint("value IN (-1, 1)", name="value_sign"),
    )

    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"))
    user_id: Mapped[UserId] = mapped_column(index=True)
    value: Mapped[int] = mapped_column(SmallInteger)
