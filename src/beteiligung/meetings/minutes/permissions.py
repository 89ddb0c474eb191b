"""When the minutes may be edited: a pure predicate (no I/O)."""

from __future__ import annotations

from beteiligung.consultations.permissions import Denied
from beteiligung.meetings.models import Meeting, MeetingState


def why_not_edit_minutes(meeting: Meeting) -> Denied | None:
    """Minutes exist once the meeting has ended (the caller's guard checked the permission)."""
    if meeting.state != MeetingState.ENDED:
        return Denied(409, "Das Protokoll gibt es erst, wenn die Veranstaltung beendet ist.")
    return None
