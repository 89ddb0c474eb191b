"""Live events: one class per event, past tense, strict (unknown fields are rejected).

An event says *what changed*, never *how it looks*: it names the channels that hear it and the
live keys (stable DOM ids) whose fragments are now stale. Each browser re-fetches those
fragments with its own permissions, so nothing rendered for one audience reaches another.

Channels (the names are made in live/streams.py; each stream route subscribes its page's):

* ``consultation:<id>``: the consultation's page and its proposal list;
* ``consultation-state:<id>``: the consultation's proposal pages (it was published, closed,
  edited: :class:`ConsultationChanged` is heard on both);
* ``proposal:<id>``: the proposal's page;
* ``meeting:<id>``: the meeting's room and its presenter view;
* ``moderation:<organisation id>``: the organisation's review queue (moderators only).
"""

from __future__ import annotations

from typing import Any, ClassVar, Union

import msgspec


class LiveEvent(msgspec.Struct, frozen=True, forbid_unknown_fields=True, tag_field="type", kw_only=True):
    """Base class. ``kind`` groups events for the batched announcement ("3 neue Kommentare")."""

    kind: ClassVar[str] = "update"

    def channels(self) -> list[str]:
        raise NotImplementedError

    def keys(self) -> list[str]:
        raise NotImplementedError


class _ProposalEvent(LiveEvent, frozen=True):
    """Something about one proposal: heard on its page and on its consultation's (the list shows
    its supports); its ``part`` of the proposal's page is stale."""

    consultation_id: int
    proposal_id: int
    part: ClassVar[str] = ""

    def channels(self) -> list[str]:
        return [f"proposal:{self.proposal_id}", f"consultation:{self.consultation_id}"]

    def keys(self) -> list[str]:
        return [f"proposal-{self.proposal_id}-{self.part}"]


class _ProposalListEvent(_ProposalEvent, frozen=True):
    """A proposal came onto or left the consultation's list (its page has nobody to tell)."""

    def channels(self) -> list[str]:
        return [f"consultation:{self.consultation_id}"]

    def keys(self) -> list[str]:
        return [f"consultation-{self.consultation_id}-proposals"]


class ProposalSubmitted(_ProposalListEvent, tag="proposal_submitted", frozen=True):
    kind: ClassVar[str] = "proposal"


class ProposalSupportChanged(_ProposalEvent, tag="proposal_support_changed", frozen=True):
    kind: ClassVar[str] = "support"
    part: ClassVar[str] = "supports"


class ProposalAnswered(_ProposalEvent, tag="proposal_answered", frozen=True):
    kind: ClassVar[str] = "answer"
    part: ClassVar[str] = "answer"


class ProposalChanged(_ProposalEvent, tag="proposal_changed", frozen=True):
    """A public proposal's author changed its text or topic, or withdrew it (its page's text,
    its support widget and the consultation's list are stale)."""

    kind: ClassVar[str] = "proposal_changed"

    def keys(self) -> list[str]:
        return [
            f"proposal-{self.proposal_id}-text",
            f"proposal-{self.proposal_id}-supports",
            f"consultation-{self.consultation_id}-proposals",
        ]


def _thread_key(consultation_id: int, proposal_id: int | None) -> str:
    return f"proposal-{proposal_id}-comments" if proposal_id else f"consultation-{consultation_id}-comments"


def _thread_channel(consultation_id: int, proposal_id: int | None) -> str:
    return f"proposal:{proposal_id}" if proposal_id else f"consultation:{consultation_id}"


class _ThreadEvent(LiveEvent, frozen=True):
    """Something about one comment of a thread (a consultation's, or a proposal's)."""

    consultation_id: int
    proposal_id: int | None
    comment_id: int

    def channels(self) -> list[str]:
        return [_thread_channel(self.consultation_id, self.proposal_id)]

    def keys(self) -> list[str]:
        return [_thread_key(self.consultation_id, self.proposal_id)]


class CommentPosted(_ThreadEvent, tag="comment_posted", frozen=True):
    """A new comment or reply (only public ones: a held comment publishes nothing here)."""

    kind: ClassVar[str] = "comment"


class CommentChanged(_ThreadEvent, tag="comment_changed", frozen=True):
    """Edited or deleted by its author (the thread shows the new text or the placeholder)."""

    kind: ClassVar[str] = "comment_changed"


class CommentVoteChanged(_ThreadEvent, tag="comment_vote_changed", frozen=True):
    kind: ClassVar[str] = "vote"

    def keys(self) -> list[str]:
        return [f"comment-{self.comment_id}-votes"]


class ConsultationChanged(LiveEvent, tag="consultation_changed", frozen=True):
    """Published, closed, reopened, texts or phases edited: every live part may be stale."""

    kind: ClassVar[str] = "consultation"
    consultation_id: int

    def channels(self) -> list[str]:
        # consultation-state: heard by the consultation's proposal pages too.
        return [f"consultation:{self.consultation_id}", f"consultation-state:{self.consultation_id}"]

    def keys(self) -> list[str]:
        return ["*"]


class ProposalRemoved(_ProposalListEvent, tag="proposal_removed", frozen=True):
    """A published proposal left the public (hidden or held by the moderation)."""

    kind: ClassVar[str] = "proposal_removed"


class ReviewQueueChanged(LiveEvent, tag="review_queue_changed", frozen=True):
    """An item entered the moderation queue, was claimed, released or decided. Heard only on the
    organisation's moderation channel, whose stream requires the moderator role."""

    kind: ClassVar[str] = "review"
    organisation_id: int
    review_id: int

    def channels(self) -> list[str]:
        return [f"moderation:{self.organisation_id}"]

    def keys(self) -> list[str]:
        return ["moderation-queue"]


class _MeetingEvent(LiveEvent, frozen=True):
    """Something in a meeting's room; heard on ``meeting:<id>`` (the room, the presenter view)."""

    meeting_id: int
    part: ClassVar[str] = ""

    def channels(self) -> list[str]:
        return [f"meeting:{self.meeting_id}"]

    def keys(self) -> list[str]:
        return [f"meeting-{self.meeting_id}-{self.part}"]


class MeetingStateChanged(_MeetingEvent, tag="meeting_state_changed", frozen=True):
    """Started, ended, settings or minutes changed: every live part of the room may be stale."""

    kind: ClassVar[str] = "meeting"

    def keys(self) -> list[str]:
        return ["*"]


class MeetingAgendaChanged(_MeetingEvent, tag="meeting_agenda_changed", frozen=True):
    """The meeting moved to another agenda item: the question form's default item moves too."""

    kind: ClassVar[str] = "agenda"
    part: ClassVar[str] = "agenda"

    def keys(self) -> list[str]:
        return [f"meeting-{self.meeting_id}-agenda", f"meeting-{self.meeting_id}-questions"]


class MeetingQuestionsChanged(_MeetingEvent, tag="meeting_questions_changed", frozen=True):
    """A public question was added, upvoted, spotlighted, answered or removed."""

    kind: ClassVar[str] = "question"
    part: ClassVar[str] = "questions"

    def keys(self) -> list[str]:
        return [f"meeting-{self.meeting_id}-questions", f"meeting-{self.meeting_id}-spotlight"]


class MeetingPollChanged(_MeetingEvent, tag="meeting_poll_changed", frozen=True):
    """A poll was opened or closed, or its results changed."""

    kind: ClassVar[str] = "poll"
    part: ClassVar[str] = "poll"


class MeetingVotesChanged(_MeetingEvent, tag="meeting_votes_changed", frozen=True):
    """Ballots were cast (results fragments refresh; no announcement for each vote)."""

    kind: ClassVar[str] = "poll_votes"
    part: ClassVar[str] = "poll"


class MeetingSpeakersChanged(_MeetingEvent, tag="meeting_speakers_changed", frozen=True):
    kind: ClassVar[str] = "speakers"
    part: ClassVar[str] = "speakers"


class MeetingPresenceChanged(_MeetingEvent, tag="meeting_presence_changed", frozen=True):
    kind: ClassVar[str] = "presence"
    part: ClassVar[str] = "presence"


EVENT_TYPES: tuple[type[LiveEvent], ...] = (
    ProposalSubmitted,
    ProposalSupportChanged,
    ProposalAnswered,
    ProposalChanged,
    CommentPosted,
    CommentChanged,
    CommentVoteChanged,
    ConsultationChanged,
    ProposalRemoved,
    ReviewQueueChanged,
    MeetingStateChanged,
    MeetingAgendaChanged,
    MeetingQuestionsChanged,
    MeetingPollChanged,
    MeetingVotesChanged,
    MeetingSpeakersChanged,
    MeetingPresenceChanged,
)

# Every type above, as one tagged union: adding an event is adding it to EVENT_TYPES.
_decoder: msgspec.json.Decoder[LiveEvent] = msgspec.json.Decoder(Union[EVENT_TYPES])  # type: ignore[valid-type]  # noqa: UP007


def encode(event: LiveEvent) -> bytes:
    return msgspec.json.encode(event)


def decode(data: bytes | str) -> LiveEvent:
    """Raises ``msgspec.ValidationError`` for unknown types or fields."""
    return _decoder.decode(data)  # type: ignore[no-any-return]


def wire_message(event: LiveEvent) -> dict[str, Any]:
    """What the browser receives: the live keys and the kind, no content."""
    return {"type": event.__struct_config__.tag, "kind": event.kind, "keys": event.keys()}
