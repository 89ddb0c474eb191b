"""Who may do what with a meeting's questions: pure predicates (no I/O)."""

from __future__ import annotations

from beteiligung.consultations.permissions import Denied
from beteiligung.meetings.models import (
    Meeting,
    MeetingQuestion,
    MeetingState,
    QuestionStatus,
)
from beteiligung.meetings.permissions import Participant

STAFF_ACTIONS = ("fokus", "beantwortet", "offen")


def why_not_upvote_question(question: MeetingQuestion, participant: Participant) -> Denied | None:
    """Beyond taking part (Viewer.why_not("upvote")): the question itself."""
    if question.voter_key == participant.voter_key:
        return Denied(403, "Ihre eigene Frage können Sie nicht unterstützen.")
    if question.status == QuestionStatus.ANSWERED:
        return Denied(409, "Diese Frage ist bereits beantwortet.")
    return None


def why_not_handle_question(meeting: Meeting, question: MeetingQuestion, action: str) -> Denied | None:
    """Staff controls of a question (the route's guard checked the permission)."""
    if not question.is_public:
        return Denied(
            409, "Diese Frage ist nicht öffentlich: Sie wartet auf die Moderation oder wurde entfernt."
        )
    if meeting.minutes_published_at is not None:
        return Denied(409, "Das Protokoll ist veröffentlicht; die Fragen bleiben, wie sie sind.")
    if action == "fokus":
        if meeting.state != MeetingState.LIVE:
            return Denied(409, "Eine Frage kann nur in der laufenden Veranstaltung beantwortet werden.")
        if question.status == QuestionStatus.ANSWERED:
            return Denied(409, "Diese Frage ist bereits beantwortet.")
    return None
