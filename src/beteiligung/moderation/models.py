"""Moderation records (docs/moderation.md).

* :class:`Review`: one per contribution that needs or needed a moderator's look. It is *open*
  while waiting in the queue (held by pre-moderation or an automatic check, or flagged) and
  keeps the last decision afterwards; new flags reopen it.
* :class:`Flag`: a resident's report of a contribution, once per person and contribution.
* :class:`ModerationLog`: the append-only audit log of decisions. Ids are plain numbers, not
  foreign keys, so a row outlives what it is about; the database refuses UPDATE and DELETE on it
  (triggers in migration 0004).
* :class:`Block`: an author barred from contributing in the organisation until a moment.
* :class:`ModerationSettings`: the organisation's thresholds and blocklist for automatic checks.
* :class:`PostFingerprint`: who posted what (a hash) when, for the checks' repeat and rate rules.
"""

from __future__ import annotations

import enum

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from beteiligung.accounts.models import UserId, UserIdOrNone
from beteiligung.db import Base, LabelledEnum, Timestamp, TimestampOrNone, str_enum
from beteiligung.organisations.models import OrganisationId


class ReviewStatus(enum.StrEnum):
    OPEN = "open"  # in the queue
    APPROVED = "approved"
    HIDDEN = "hidden"
    EDIT_REQUESTED = "edit_requested"  # held until the author revises it; back in the queue then
    DISMISSED = "dismissed"  # flags dismissed, the contribution stays


class Trigger(LabelledEnum):
    """Why an item entered the queue (the queue's reason filter)."""

    PRE = "pre", "Vorab-Moderation"  # the consultation is pre-moderated
    AUTO = "auto", "Automatische Prüfung"  # an automatic check held it (reasons in ``auto_reasons``)
    FLAGS = "flags", "Meldungen"  # residents flagged it
    EDITED = "edited", "Überarbeitet"  # the author revised it after the moderation asked


TRIGGER_NAMES: dict[Trigger, str] = Trigger.labels()


class FlagReason(LabelledEnum):
    INSULT = "insult", "Beleidigend"
    SPAM = "spam", "Spam oder Werbung"
    OFF_TOPIC = "off_topic", "Nicht zum Thema"
    PERSONAL_DATA = "personal_data", "Enthält persönliche Daten"
    UNLAWFUL = "unlawful", "Rechtswidrig"
    OTHER = "other", "Anderer Grund"


FLAG_REASON_NAMES: dict[FlagReason, str] = FlagReason.labels()


class Review(Base):
    __tablename__ = "review"
    __table_args__ = (Index("ix_review_queue", "organisation_id", "status", "opened_at"),)

    organisation_id: Mapped[OrganisationId]
    # None for a question in a meeting of the organisation (not of a consultation).
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), index=True, default=None
    )
    # Exactly one of the targets is set; one review per contribution.
    comment_id: Mapped[int | None] = mapped_column(
        ForeignKey("comment.id", ondelete="CASCADE"), unique=True, default=None
    )
    proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposal.id", ondelete="CASCADE"), unique=True, default=None
    )
    meeting_question_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting_question.id", ondelete="CASCADE"), unique=True, default=None
    )
    author_id: Mapped[UserIdOrNone] = mapped_column(index=True)
    status: Mapped[ReviewStatus] = mapped_column(
        str_enum(ReviewStatus, validate_strings=False), default=ReviewStatus.OPEN
    )
    trigger: Mapped[Trigger] = mapped_column(str_enum(Trigger, validate_strings=False))
    auto_reasons: Mapped[str] = mapped_column(String(300), default="")  # check codes, comma separated
    opened_at: Mapped[Timestamp]  # queue order: oldest first
    decided_at: Mapped[TimestampOrNone]
    decided_by_id: Mapped[UserIdOrNone]
    rule: Mapped[int | None] = mapped_column(
        Integer, default=None
    )  # Netiquette rule of a hide / edit request
    reason_text: Mapped[str] = mapped_column(Text, default="")  # told to the author
    note: Mapped[str] = mapped_column(Text, default="")  # private, for moderators only

    @property
    def is_open(self) -> bool:
        return self.status == ReviewStatus.OPEN

    @property
    def auto_codes(self) -> list[str]:
        return [c for c in self.auto_reasons.split(",") if c]


class Flag(Base):
    __tablename__ = "flag"
    __table_args__ = (
        UniqueConstraint("user_id", "comment_id", name="uq_flag_user_comment"),
        UniqueConstraint("user_id", "proposal_id", name="uq_flag_user_proposal"),
    )

    comment_id: Mapped[int | None] = mapped_column(
        ForeignKey("comment.id", ondelete="CASCADE"), index=True, default=None
    )
    proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposal.id", ondelete="CASCADE"), index=True, default=None
    )
    user_id: Mapped[UserId] = mapped_column(index=True)
    reason: Mapped[FlagReason] = mapped_column(str_enum(FlagReason, validate_strings=False))
    text: Mapped[str] = mapped_column(String(500), default="")
    # Set when a decision settled the flag; open flags count towards the threshold.
    resolved_at: Mapped[TimestampOrNone]


class LogAction(LabelledEnum):
    APPROVE = "approve", "Freigegeben"
    HIDE = "hide", "Ausgeblendet"
    REQUEST_EDIT = "request_edit", "Überarbeitung erbeten"
    DISMISS = "dismiss", "Meldungen verworfen"
    BLOCK = "block", "Konto gesperrt"
    UNBLOCK = "unblock", "Sperre aufgehoben"


LOG_ACTION_NAMES: dict[LogAction, str] = LogAction.labels()


class ModerationLog(Base):
    """Append-only: who decided what, when and why. Written in the decision's transaction."""

    __tablename__ = "moderation_log"
    __table_args__ = (Index("ix_moderation_log_org", "organisation_id", "created_at"),)

    organisation_id: Mapped[int] = mapped_column(Integer)
    consultation_id: Mapped[int | None] = mapped_column(Integer, default=None)
    review_id: Mapped[int | None] = mapped_column(Integer, default=None)
    moderator_id: Mapped[int | None] = mapped_column(Integer, default=None)
    moderator_name: Mapped[str] = mapped_column(String(80))
    action: Mapped[LogAction] = mapped_column(str_enum(LogAction, validate_strings=False))
    target_kind: Mapped[str] = mapped_column(String(20))  # comment, proposal, user
    target_id: Mapped[int] = mapped_column(Integer)
    rule: Mapped[int | None] = mapped_column(Integer, default=None)
    reason_text: Mapped[str] = mapped_column(Text, default="")


class Block(Base):
    __tablename__ = "user_block"
    __table_args__ = (Index("ix_user_block_active", "organisation_id", "user_id", "until"),)

    organisation_id: Mapped[OrganisationId]
    user_id: Mapped[UserId]
    until: Mapped[Timestamp]
    rule: Mapped[int | None] = mapped_column(Integer, default=None)
    created_by_id: Mapped[UserIdOrNone]


class ModerationSettings(Base):
    """Per organisation; defaults apply until an admin saves the form (docs/moderation.md)."""

    __tablename__ = "moderation_settings"

    organisation_id: Mapped[OrganisationId] = mapped_column(unique=True)
    flag_threshold: Mapped[int] = mapped_column(Integer, default=3)
    max_links: Mapped[int] = mapped_column(Integer, default=2)
    new_account_hours: Mapped[int] = mapped_column(Integer, default=24)
    new_account_posts_per_hour: Mapped[int] = mapped_column(Integer, default=3)
    posts_per_ten_minutes: Mapped[int] = mapped_column(Integer, default=10)
    blocklist: Mapped[str] = mapped_column(Text, default="")  # one term per line


class PostFingerprint(Base):
    """What the automatic checks remember of a new contribution, for 24 hours: who wrote it (the
    account, or a meeting guest's voter key), when, and a SHA-256 of its normalised text. The
    "repeat" check is one index lookup and the rate checks read a few timestamps, whatever the
    author wrote before (moderation/checks.py). Rows older than 24 hours are deleted as new ones
    arrive; an account's rows go with the account."""

    __tablename__ = "post_fingerprint"
    __table_args__ = (
        Index("ix_post_fingerprint_author_time", "author_key", "created_at"),
        Index("ix_post_fingerprint_author_text", "author_key", "text_hash"),
        Index("ix_post_fingerprint_created", "created_at"),
    )

    author_key: Mapped[str] = mapped_column(String(64))  # u:<user id> or a guest's g:<voter key>
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), default=None, index=True
    )
    text_hash: Mapped[str] = mapped_column(String(64))
