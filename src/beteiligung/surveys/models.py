"""Online surveys (Online-Umfragen) and quick polls (Schnellumfragen), docs/surveys.md.

A survey belongs to a consultation and has sections (one page each) with questions; a quick
poll is a survey with one section and one question, shown on the consultation page. Responses
are rows: one per person and survey (``UNIQUE (survey_id, user_id)``), or one per browser
session for anonymous answering (``UNIQUE (survey_id, anon_key)``, a keyed hash of a random
token kept in the session; no IP address is stored). A response is a draft until
``submitted_at`` is set; then it is read-only and counts in the results, which are counted from
the answer rows (no counters to drift).
"""

from __future__ import annotations

import enum

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from beteiligung.accounts.models import UserIdOrNone
from beteiligung.consultations.models import Consultation, ConsultationId
from beteiligung.db import Base, LabelledEnum, TimestampOrNone, str_enum
from beteiligung.i18n import lazy


class SurveyKind(enum.StrEnum):
    SURVEY = "survey"  # sections and questions, answered page by page
    POLL = "poll"  # one question on the consultation page, results right after voting


class SurveyStatus(LabelledEnum):
    DRAFT = "draft", lazy("Entwurf")  # staff build it; only staff see it
    PUBLISHED = "published", lazy("Veröffentlicht")  # open while the consultation's phase allows surveys
    CLOSED = "closed", lazy("Beendet")  # closed by staff (early or at the end): read-only, results stay


SURVEY_STATUS_NAMES: dict[SurveyStatus, str] = SurveyStatus.labels()


class ResultsVisibility(LabelledEnum):
    # everyone sees the results while the survey runs
    DURING = "during", lazy("Schon während der Umfrage für alle sichtbar")
    # only once the survey is over (staff always see them)
    AFTER = "after", lazy("Erst nach dem Ende der Umfrage sichtbar")


RESULTS_NAMES: dict[ResultsVisibility, str] = ResultsVisibility.labels()


class QuestionKind(LabelledEnum):
    SINGLE = "single", lazy("Einfachauswahl")
    MULTIPLE = "multiple", lazy("Mehrfachauswahl")
    SHORT_TEXT = "short_text", lazy("Freitext (kurz)")
    LONG_TEXT = "long_text", lazy("Freitext (lang)")
    SCALE = "scale", lazy("Skala")
    RANKING = "ranking", lazy("Rangfolge")
    YES_NO = "yes_no", lazy("Ja/Nein")


KIND_NAMES: dict[QuestionKind, str] = QuestionKind.labels()


CHOICE_KINDS = frozenset({QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.YES_NO})
TEXT_KINDS = frozenset({QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT})
OPTION_KINDS = frozenset({QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.RANKING})


class Review(enum.StrEnum):
    """Free-text answers of a survey with ``free_text_reviewed``: public once released."""

    PENDING = "pending"
    RELEASED = "released"
    REJECTED = "rejected"


YES, NO = lazy("Ja"), lazy("Nein")


class Survey(Base):
    __tablename__ = "survey"

    consultation_id: Mapped[ConsultationId] = mapped_column(index=True)
    kind: Mapped[SurveyKind] = mapped_column(str_enum(SurveyKind, 10), default=SurveyKind.SURVEY)
    title: Mapped[str] = mapped_column(String(200))
    intro: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[SurveyStatus] = mapped_column(str_enum(SurveyStatus), default=SurveyStatus.DRAFT)
    allow_anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    results_visibility: Mapped[ResultsVisibility] = mapped_column(
        str_enum(ResultsVisibility, 10), default=ResultsVisibility.AFTER
    )
    free_text_reviewed: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at: Mapped[TimestampOrNone]
    closed_at: Mapped[TimestampOrNone]

    consultation: Mapped[Consultation] = relationship(lazy="noload")
    sections: Mapped[list[SurveySection]] = relationship(
        order_by="SurveySection.position", lazy="selectin", cascade="all, delete-orphan"
    )
    questions: Mapped[list[SurveyQuestion]] = relationship(
        order_by="SurveyQuestion.position", lazy="selectin", cascade="all, delete-orphan", viewonly=False
    )

    @property
    def is_poll(self) -> bool:
        return self.kind == SurveyKind.POLL

    def ordered_questions(self) -> list[SurveyQuestion]:
        """All questions in answering order: by section, then by position in the section."""
        rank = {s.id: i for i, s in enumerate(self.sections)}
        return sorted(self.questions, key=lambda q: (rank.get(q.section_id, 0), q.position, q.id))

    def questions_of(self, section_id: int) -> list[SurveyQuestion]:
        return sorted(
            (q for q in self.questions if q.section_id == section_id), key=lambda q: (q.position, q.id)
        )


class SurveySection(Base):
    __tablename__ = "survey_section"

    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")


class SurveyQuestion(Base):
    __tablename__ = "survey_question"

    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("survey_section.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[QuestionKind] = mapped_column(str_enum(QuestionKind))
    text: Mapped[str] = mapped_column(String(500))
    help: Mapped[str] = mapped_column(Text, default="")
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    max_choices: Mapped[int | None] = mapped_column(Integer, default=None)  # multiple choice
    scale_min: Mapped[int | None] = mapped_column(Integer, default=None)
    scale_max: Mapped[int | None] = mapped_column(Integer, default=None)
    scale_min_label: Mapped[str] = mapped_column(String(80), default="")
    scale_max_label: Mapped[str] = mapped_column(String(80), default="")
    allow_other: Mapped[bool] = mapped_column(Boolean, default=False)  # "Sonstiges" with a text
    # Shown only when this option of a question in an earlier section was chosen. A plain id, not
    # a foreign key (option → question → option would be a cycle); the actions clear it when the
    # option goes.
    condition_option_id: Mapped[int | None] = mapped_column(BigInteger, default=None)

    options: Mapped[list[SurveyOption]] = relationship(
        order_by="SurveyOption.position", lazy="selectin", cascade="all, delete-orphan"
    )


class SurveyOption(Base):
    __tablename__ = "survey_option"

    question_id: Mapped[int] = mapped_column(ForeignKey("survey_question.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    label: Mapped[str] = mapped_column(String(200))


class SurveyResponse(Base):
    __tablename__ = "survey_response"
    __table_args__ = (
        # Exactly one response per person and survey, enforced by the database.
        UniqueConstraint("survey_id", "user_id", name="uq_survey_response_survey_user"),
        # One per browser session when answering anonymously.
        UniqueConstraint("survey_id", "anon_key", name="uq_survey_response_survey_anon"),
        Index("ix_survey_response_submitted", "survey_id", "submitted_at"),
    )

    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    # NULL for anonymous responses, and after the person erased the account (submitted responses
    # stay, anonymised: they count in the results).
    user_id: Mapped[UserIdOrNone] = mapped_column(index=True)
    anon_key: Mapped[str | None] = mapped_column(String(64), default=None)
    submitted_at: Mapped[TimestampOrNone]


class SurveyAnswer(Base):
    """One chosen option (choice kinds; ``option_id`` NULL with ``text``: "Sonstiges"), one
    ranked option (``number`` = rank), one scale value (``number``) or one free text."""

    __tablename__ = "survey_answer"
    __table_args__ = (Index("ix_survey_answer_question", "question_id", "option_id"),)

    response_id: Mapped[int] = mapped_column(ForeignKey("survey_response.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_question.id", ondelete="CASCADE"))
    option_id: Mapped[int | None] = mapped_column(
        ForeignKey("survey_option.id", ondelete="CASCADE"), default=None
    )
    number: Mapped[int | None] = mapped_column(Integer, default=None)
    text: Mapped[str] = mapped_column(Text, default="")
    review: Mapped[Review] = mapped_column(str_enum(Review, 10), default=Review.PENDING)
