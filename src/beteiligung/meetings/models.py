"""Virtual citizen meetings (virtuelle Bürgerversammlungen), docs/meetings.md.

A meeting belongs to an organisation and optionally to a consultation. Staff move it through
scheduled → live → ended and through its agenda; participants ask and upvote questions, vote in
polls and ask to speak. Every count that is shown is exact: votes and ballots are rows with
unique constraints (one per participant), and the counters beside them are incremented in the
same transaction only when such a row was inserted.

A *participant* is a signed-in person or, where staff allow guests, a browser session with a
chosen display name. ``voter_key`` identifies either: ``u:<user id>`` or ``g:<keyed hash of a
random token in the server-side session>`` (no IP address is stored).
"""

from __future__ import annotations

import enum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from beteiligung.accounts.models import UserId, UserIdOrNone
from beteiligung.consultations.states import ModerationMode, Visibility
from beteiligung.db import Base, LabelledEnum, Timestamp, TimestampOrNone, str_enum
from beteiligung.organisations.models import OrganisationId


class MeetingState(LabelledEnum):
    SCHEDULED = "scheduled", "Geplant"  # announced; registration and the room's page are open
    LIVE = "live", "Läuft jetzt"  # running: questions, polls, the speaker list
    ENDED = "ended", "Beendet"  # over; the minutes are drafted and published by staff


STATE_NAMES: dict[MeetingState, str] = MeetingState.labels()


class MeetingFormat(LabelledEnum):
    ONLINE = "online", "Online"
    HYBRID = "hybrid", "Hybrid: online und vor Ort"  # online and in a hall (``place``)


FORMAT_NAMES: dict[MeetingFormat, str] = MeetingFormat.labels()


class VideoKind(LabelledEnum):
    NONE = "none", "Keine Videokonferenz"
    BIGBLUEBUTTON = "bigbluebutton", "BigBlueButton"
    JITSI = "jitsi", "Jitsi Meet"
    OPENTALK = "opentalk", "OpenTalk"
    STREAM = "stream", "Livestream"  # a live stream URL (e.g. the town's own streaming server)


VIDEO_NAMES: dict[VideoKind, str] = VideoKind.labels()


class QuestionStatus(LabelledEnum):
    OPEN = "open", "Offen"
    SPOTLIGHT = "spotlight", "Wird beantwortet"  # "wird beantwortet": the one question on screen now
    ANSWERED = "answered", "Beantwortet"


QUESTION_STATUS_NAMES: dict[QuestionStatus, str] = QuestionStatus.labels()


class PollState(enum.StrEnum):
    DRAFT = "draft"  # prepared by staff, not visible to participants
    OPEN = "open"
    CLOSED = "closed"


class PollResults(enum.StrEnum):
    LIVE = "live"  # participants see the bars grow while the poll is open
    AFTER_CLOSE = "after_close"  # results only once staff close the poll (staff always see them)


class SpeakerStatus(enum.StrEnum):
    WAITING = "waiting"
    SPEAKING = "speaking"
    DONE = "done"
    WITHDRAWN = "withdrawn"  # by the participant
    REMOVED = "removed"  # by staff


class Meeting(Base):
    __tablename__ = "meeting"
    __table_args__ = (Index("ix_meeting_org_starts", "organisation_id", "starts_at"),)

    organisation_id: Mapped[OrganisationId]
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultation.id", ondelete="SET NULL"), index=True, default=None
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown, sanitised when rendered
    starts_at: Mapped[Timestamp]
    ends_at: Mapped[Timestamp]
    format: Mapped[MeetingFormat] = mapped_column(str_enum(MeetingFormat), default=MeetingFormat.ONLINE)
    place: Mapped[str] = mapped_column(String(300), default="")  # the hall of a hybrid meeting
    video_kind: Mapped[VideoKind] = mapped_column(str_enum(VideoKind), default=VideoKind.NONE)
    video_url: Mapped[str] = mapped_column(String(500), default="")
    registration_required: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_guests: Mapped[bool] = mapped_column(Boolean, default=False)  # guests ask, vote, upvote
    question_moderation: Mapped[ModerationMode] = mapped_column(
        str_enum(ModerationMode, 10), default=ModerationMode.PRE
    )
    speaking_seconds: Mapped[int] = mapped_column(Integer, default=180)  # the countdown per speaker
    state: Mapped[MeetingState] = mapped_column(str_enum(MeetingState), default=MeetingState.SCHEDULED)
    started_at: Mapped[TimestampOrNone]
    ended_at: Mapped[TimestampOrNone]
    # No foreign keys: agenda item -> meeting -> agenda item would be a cycle.
    current_item_id: Mapped[int | None] = mapped_column(Integer, default=None)
    spotlight_question_id: Mapped[int | None] = mapped_column(Integer, default=None)
    peak_participants: Mapped[int] = mapped_column(Integer, default=0)
    minutes: Mapped[str] = mapped_column(Text, default="")  # Markdown draft, edited by staff
    minutes_published_at: Mapped[TimestampOrNone]

    agenda: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting",
        order_by="AgendaItem.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    @property
    def is_live(self) -> bool:
        return self.state == MeetingState.LIVE

    @property
    def current_item(self) -> AgendaItem | None:
        return next((i for i in self.agenda if i.id == self.current_item_id), None)


class AgendaItem(Base):
    __tablename__ = "meeting_agenda_item"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[TimestampOrNone]

    meeting: Mapped[Meeting] = relationship(back_populates="agenda")


class MeetingRegistration(Base):
    __tablename__ = "meeting_registration"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id", name="uq_meeting_registration"),)

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[UserId] = mapped_column(index=True)


class MeetingQuestion(Base):
    """A question from the audience. Passes the moderation as the meeting says (pre-moderation
    by default): only ``PUBLISHED`` questions reach the room, the presenter view and the minutes."""

    __tablename__ = "meeting_question"
    __table_args__ = (
        Index("ix_meeting_question_room", "meeting_id", "visibility", "status"),
        UniqueConstraint("meeting_id", "voter_key", "submission_key", name="uq_meeting_question_submission"),
    )

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    # Copied from the meeting for the moderation queue's consultation filter (None: organisation).
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultation.id", ondelete="SET NULL"), default=None
    )
    agenda_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting_agenda_item.id", ondelete="SET NULL"), default=None
    )
    author_id: Mapped[UserIdOrNone] = mapped_column(index=True)
    voter_key: Mapped[str] = mapped_column(String(64))  # who asked (u:… or g:…), for "Ihre Frage"
    guest_name: Mapped[str] = mapped_column(String(80), default="")  # a guest's chosen display name
    body: Mapped[str] = mapped_column(String(1000))
    submission_key: Mapped[str] = mapped_column(String(64))  # a double click creates one question
    visibility: Mapped[Visibility] = mapped_column(str_enum(Visibility), default=Visibility.PUBLISHED)
    status: Mapped[QuestionStatus] = mapped_column(str_enum(QuestionStatus), default=QuestionStatus.OPEN)
    answer_note: Mapped[str] = mapped_column(String(1000), default="")
    answered_at: Mapped[TimestampOrNone]
    vote_count: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def is_public(self) -> bool:
        return self.visibility in (None, Visibility.PUBLISHED)


class MeetingQuestionVote(Base):
    __tablename__ = "meeting_question_vote"
    __table_args__ = (UniqueConstraint("question_id", "voter_key", name="uq_meeting_question_vote"),)

    question_id: Mapped[int] = mapped_column(ForeignKey("meeting_question.id", ondelete="CASCADE"))
    voter_key: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[UserIdOrNone] = mapped_column(index=True)


class MeetingPoll(Base):
    __tablename__ = "meeting_poll"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    agenda_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting_agenda_item.id", ondelete="SET NULL"), default=None
    )
    question: Mapped[str] = mapped_column(String(300))
    multiple: Mapped[bool] = mapped_column(Boolean, default=False)  # multiple choice
    state: Mapped[PollState] = mapped_column(str_enum(PollState), default=PollState.DRAFT)
    results: Mapped[PollResults] = mapped_column(str_enum(PollResults), default=PollResults.LIVE)
    opened_at: Mapped[TimestampOrNone]
    closed_at: Mapped[TimestampOrNone]
    ballot_count: Mapped[int] = mapped_column(Integer, default=0)  # participants who voted

    options: Mapped[list[MeetingPollOption]] = relationship(
        order_by="MeetingPollOption.position", cascade="all, delete-orphan", lazy="selectin"
    )


class MeetingPollOption(Base):
    __tablename__ = "meeting_poll_option"

    poll_id: Mapped[int] = mapped_column(ForeignKey("meeting_poll.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(200))
    vote_count: Mapped[int] = mapped_column(Integer, default=0)


class MeetingPollBallot(Base):
    """One per participant and poll; the chosen option ids are the choices beside it."""

    __tablename__ = "meeting_poll_ballot"
    __table_args__ = (UniqueConstraint("poll_id", "voter_key", name="uq_meeting_poll_ballot"),)

    poll_id: Mapped[int] = mapped_column(ForeignKey("meeting_poll.id", ondelete="CASCADE"))
    voter_key: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[UserIdOrNone] = mapped_column(index=True)


class MeetingPollChoice(Base):
    __tablename__ = "meeting_poll_choice"
    __table_args__ = (UniqueConstraint("ballot_id", "option_id", name="uq_meeting_poll_choice"),)

    ballot_id: Mapped[int] = mapped_column(ForeignKey("meeting_poll_ballot.id", ondelete="CASCADE"))
    option_id: Mapped[int] = mapped_column(
        ForeignKey("meeting_poll_option.id", ondelete="CASCADE"), index=True
    )


class MeetingSpeaker(Base):
    """A request to speak (Wortmeldung) on the speaker list (Redeliste)."""

    __tablename__ = "meeting_speaker"
    __table_args__ = (Index("ix_meeting_speaker_list", "meeting_id", "status", "position"),)

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    agenda_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting_agenda_item.id", ondelete="SET NULL"), default=None
    )
    user_id: Mapped[UserIdOrNone] = mapped_column(index=True)
    voter_key: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(80))
    point_of_order: Mapped[bool] = mapped_column(Boolean, default=False)  # zur Geschäftsordnung
    position: Mapped[int] = mapped_column(Integer)  # order on the list; staff reorder
    status: Mapped[SpeakerStatus] = mapped_column(str_enum(SpeakerStatus), default=SpeakerStatus.WAITING)
    called_at: Mapped[TimestampOrNone]
    finished_at: Mapped[TimestampOrNone]
