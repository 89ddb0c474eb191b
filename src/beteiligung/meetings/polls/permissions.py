"""Who may do what with a meeting's polls: pure predicates (no I/O; the caller loads the poll
and the meeting's open poll)."""

from __future__ import annotations

from beteiligung.consultations.permissions import Denied
from beteiligung.meetings.models import (
    Meeting,
    MeetingPoll,
    MeetingState,
    PollResults,
    PollState,
)
from beteiligung.meetings.views import Viewer


def why_not_prepare(meeting: Meeting) -> Denied | None:
    if meeting.state == MeetingState.ENDED:
        return Denied(409, "Die Veranstaltung ist beendet.")
    return None


def why_not_open(meeting: Meeting, poll: MeetingPoll, open_poll: MeetingPoll | None) -> Denied | None:
    """One poll is open at a time; opening another never closes the running one silently."""
    if poll.state != PollState.DRAFT:
        return Denied(409, "Diese Abstimmung wurde bereits geöffnet.")
    if meeting.state != MeetingState.LIVE:
        return Denied(409, "Abstimmungen lassen sich öffnen, sobald die Veranstaltung läuft.")
    if open_poll is not None:
        return Denied(
            409,
            "Es läuft bereits eine Abstimmung („%(question)s“). Bitte schließen Sie sie zuerst.",
            {"question": open_poll.question},
        )
    return None


def why_not_close(poll: MeetingPoll) -> Denied | None:
    if poll.state != PollState.OPEN:
        return Denied(409, "Diese Abstimmung ist nicht geöffnet.")
    return None


def why_not_delete(poll: MeetingPoll) -> Denied | None:
    if poll.state != PollState.DRAFT:
        return Denied(
            409,
            "Nur Entwürfe lassen sich löschen. Geöffnete und abgeschlossene Abstimmungen bleiben für das Protokoll erhalten.",
        )
    return None


def why_not_vote(viewer: Viewer, meeting: Meeting, poll: MeetingPoll) -> Denied | None:
    denied = viewer.why_not("take_part", meeting)
    if denied is not None:
        return denied
    if poll.state == PollState.CLOSED:
        return Denied(409, "Die Abstimmung ist geschlossen.")
    if poll.state != PollState.OPEN:
        return Denied(409, "Diese Abstimmung ist nicht geöffnet.")
    return None


def results_visible(viewer: Viewer, meeting: Meeting, poll: MeetingPoll, *, voted: bool) -> bool:
    """Staff always; everyone once the poll is closed; while it is open and its results are live,
    those who voted and those who cannot vote (visitors watching). Participants who may still
    vote see the standings only after their own vote."""
    if viewer.staff or poll.state == PollState.CLOSED:
        return True
    if poll.state != PollState.OPEN or poll.results != PollResults.LIVE:
        return False
    return voted or viewer.why_not("take_part", meeting) is not None
