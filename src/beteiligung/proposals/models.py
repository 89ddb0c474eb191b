"""Proposals (Vorschläge), supports (Unterstützungen), the official answer and the edit history.

Counters (``support_count``, ``comment_count``) are maintained by database triggers
(migration 0002), so they stay exact under concurrent requests and when rows go by cascade
(an erased account takes its supports with it).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from beteiligung.accounts.models import User, UserId, UserIdOrNone
from beteiligung.consultations.models import Consultation, ConsultationId, PublishedByDefault, Topic
from beteiligung.consultations.states import Visibility
from beteiligung.db import Base, LabelledEnum, Timestamp, TimestampOrNone


class AnswerState(LabelledEnum):
    """The town's official answer; ``NONE`` until staff give one."""

    NONE = "none", "Eingereicht"
    IN_REVIEW = "in_review", "In Prüfung"
    ACCEPTED = "accepted", "Angenommen"
    PARTIALLY_ACCEPTED = "partially_accepted", "Teilweise angenommen"
    REJECTED = "rejected", "Abgelehnt"
    IMPLEMENTED = "implemented", "Umgesetzt"


ANSWER_NAMES: dict[AnswerState, str] = AnswerState.labels()


class Source(LabelledEnum):
    """Where a contribution came from: online, or entered by staff from paper or an event."""

    ONLINE = "online", "Online eingereicht"
    PAPER = "paper", "Auf Papier eingereicht, von der Verwaltung erfasst"
    EVENT = "event", "Bei einer Veranstaltung eingereicht, von der Verwaltung erfasst"


SOURCE_NAMES: dict[Source, str] = Source.labels()


class Proposal(Base):
    __tablename__ = "proposal"
    __table_args__ = (
        # One submission per form (double clicks create one record).
        UniqueConstraint("author_id", "submission_key"),
        Index("ix_proposal_list_new", "consultation_id", "created_at"),
        Index("ix_proposal_list_supports", "consultation_id", "support_count", "id"),
        Index("ix_proposal_list_comments", "consultation_id", "comment_count", "id"),
    )

    consultation_id: Mapped[ConsultationId]
    # NULL after the author erased the account, or for contributions entered by staff.
    author_id: Mapped[UserIdOrNone] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(String(150))
    body: Mapped[str] = mapped_column(Text)
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topic.id", ondelete="SET NULL"), default=None)
    place: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[Source] = mapped_column(
        Enum(Source, native_enum=False, length=20, validate_strings=True), default=Source.ONLINE
    )
    source_note: Mapped[str] = mapped_column(String(200), default="")  # e.g. "Bürgerforum am 12. März"
    recorded_by_id: Mapped[UserIdOrNone]
    submission_key: Mapped[str | None] = mapped_column(String(64), default=None)
    # Only published contributions reach public surfaces (docs/moderation.md).
    visibility: Mapped[PublishedByDefault]

    support_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    comment_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    answer_state: Mapped[AnswerState] = mapped_column(
        Enum(AnswerState, native_enum=False, length=20, validate_strings=True),
        default=AnswerState.NONE,
        index=True,
    )
    answer_text: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[TimestampOrNone]
    answered_by_id: Mapped[UserIdOrNone]
    # The author's own changes (docs/participation.md, "Eigene Vorschläge bearbeiten"): when the
    # text was last changed (the earlier texts are ProposalVersion rows), and when the author
    # withdrew the proposal (it stays public, marked as withdrawn; its supports are frozen).
    edited_at: Mapped[TimestampOrNone]
    withdrawn_at: Mapped[TimestampOrNone]

    author: Mapped[User | None] = relationship(foreign_keys=[author_id], lazy="noload")
    topic: Mapped[Topic | None] = relationship(lazy="noload")
    consultation: Mapped[Consultation] = relationship(lazy="noload")

    @property
    def is_public(self) -> bool:
        return self.visibility in (None, Visibility.PUBLISHED)  # None: not flushed yet, the default

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class ProposalVersion(Base):
    """An earlier text of a proposal, kept when its author changed it. ``written_at`` is when
    this text went out (submitted or last edited). ``public``: the text was public when it was
    replaced; only such versions are shown (a text the moderation held or asked to revise never
    reaches the public through the history)."""

    __tablename__ = "proposal_version"
    __table_args__ = (Index("ix_proposal_version_proposal", "proposal_id", "written_at"),)

    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"))
    # The author of the text (for the privacy export); NULL after the account was erased.
    author_id: Mapped[UserIdOrNone] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(String(150))
    body: Mapped[str] = mapped_column(Text)
    place: Mapped[str] = mapped_column(String(200), default="")
    written_at: Mapped[Timestamp]
    public: Mapped[bool] = mapped_column(Boolean, default=True)


class Support(Base):
    __tablename__ = "support"
    __table_args__ = (UniqueConstraint("proposal_id", "user_id"),)

    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"))
    user_id: Mapped[UserId] = mapped_column(index=True)
