"""Consultations (Beteiligungsverfahren), their phases and topics.

A consultation belongs to an organisation and runs through a timeline of phases. Each phase has
a *kind* that declares which actions it allows (see :mod:`beteiligung.consultations.phases`);
what a visitor may do is read from the phase that is active at the moment of the request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from sqlalchemy import Column, Enum, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from beteiligung.consultations.phases import PhaseKind
from beteiligung.consultations.states import ModerationMode, Visibility
from beteiligung.db import Base, LabelledEnum, Timestamp, TimestampOrNone, metadata, str_enum
from beteiligung.organisations.models import OrganisationId

# A row of a consultation (``Mapped[ConsultationId]``): it goes when the consultation goes.
ConsultationId = Annotated[int, mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))]
# A contribution's visibility (comments, proposals): only published ones reach public surfaces
# (docs/moderation.md); new rows are published unless the moderation holds them.
PublishedByDefault = Annotated[
    Visibility,
    mapped_column(
        str_enum(Visibility, 10), default=Visibility.PUBLISHED, server_default=Visibility.PUBLISHED.value
    ),
]


class ConsultationStatus(LabelledEnum):
    DRAFT = "draft", "Entwurf"  # only staff see it
    PUBLISHED = "published", "Laufend"  # public; actions follow the phases
    CLOSED = "closed", "Abgeschlossen"  # public, read-only: closed early or finished by staff


STATUS_NAMES: dict[ConsultationStatus, str] = ConsultationStatus.labels()


consultation_topic = Table(
    "consultation_topic",
    metadata,
    Column("consultation_id", ForeignKey("consultation.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topic.id", ondelete="CASCADE"), primary_key=True),
)


class Topic(Base):
    """A subject heading of the organisation (e.g. "Wirtschaft", "Digitalisierung")."""

    __tablename__ = "topic"
    __table_args__ = (UniqueConstraint("organisation_id", "slug"),)

    organisation_id: Mapped[OrganisationId]
    slug: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(80))


class Consultation(Base):
    __tablename__ = "consultation"
    __table_args__ = (
        UniqueConstraint("organisation_id", "slug"),
        Index("ix_consultation_org_status", "organisation_id", "status"),
    )

    organisation_id: Mapped[OrganisationId]
    slug: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(600), default="")
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown, sanitised when rendered
    subject: Mapped[str] = mapped_column(Text, default="")  # Gegenstand der Beteiligung
    scope_of_decision: Mapped[str] = mapped_column(Text, default="")  # Gestaltungsspielraum
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_details: Mapped[str] = mapped_column(Text, default="")  # office, phone, address
    status: Mapped[ConsultationStatus] = mapped_column(
        Enum(ConsultationStatus, native_enum=False, length=20, validate_strings=True),
        default=ConsultationStatus.DRAFT,
    )
    published_at: Mapped[TimestampOrNone]
    moderation_mode: Mapped[ModerationMode] = mapped_column(
        str_enum(ModerationMode, 10), default=ModerationMode.POST, server_default=ModerationMode.POST.value
    )
    proposal_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # kept by triggers

    phases: Mapped[list[Phase]] = relationship(
        back_populates="consultation",
        order_by="Phase.starts_at",
        lazy="selectin",
        cascade="all, delete-orphan",
    )
    topics: Mapped[list[Topic]] = relationship(
        secondary=consultation_topic, lazy="selectin", order_by="Topic.name"
    )

    @property
    def is_public(self) -> bool:
        return self.status != ConsultationStatus.DRAFT

    def active_phase(self, now: datetime) -> Phase | None:
        """The phase running at ``now`` (start inclusive, end exclusive)."""
        if self.status != ConsultationStatus.PUBLISHED:
            return None
        for phase in self.phases:
            if phase.starts_at <= now < phase.ends_at:
                return phase
        return None

    def next_phase(self, now: datetime) -> Phase | None:
        upcoming = [p for p in self.phases if p.starts_at > now]
        return upcoming[0] if upcoming else None


class Phase(Base):
    __tablename__ = "phase"

    consultation_id: Mapped[ConsultationId] = mapped_column(index=True)
    kind: Mapped[PhaseKind] = mapped_column(
        Enum(PhaseKind, native_enum=False, length=20, validate_strings=True)
    )
    title: Mapped[str] = mapped_column(String(120), default="")  # empty: the kind's name
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[Timestamp]
    ends_at: Mapped[Timestamp]

    consultation: Mapped[Consultation] = relationship(back_populates="phases", lazy="noload")

    def is_active(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at
