"""Who may do what in a meeting: pure predicates (no I/O), the clock and the participant passed in.

Each returns ``None`` or a :class:`Denied` with status and a German message; routes raise it with
``enforce``, templates ask the same functions through ``MeetingRules``. Staff controls need
``org:consultations:manage`` (the role table, tests/http/test_security.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from beteiligung.accounts.permissions import Actor, Perm, can
from beteiligung.consultations.permissions import Denied
from beteiligung.meetings.models import Meeting, MeetingState


@dataclass(frozen=True)
class Participant:
    """A signed-in person or a guest (a browser session with a chosen display name)."""

    voter_key: str  # u:<user id> or g:<keyed hash of the session's guest token>
    display_name: str
    user_id: int | None = None

    @property
    def is_guest(self) -> bool:
        return self.user_id is None


def is_staff(actor: Actor) -> bool:
    return can(actor, Perm.CONSULTATION_MANAGE)


def why_not_manage(actor: Actor) -> Denied | None:
    if not actor.is_authenticated:
        return Denied(401, "Bitte melden Sie sich an.")
    if not is_staff(actor):
        return Denied(403, "Nur die Verwaltung kann die Veranstaltung steuern.")
    return None


def why_not_take_part(
    actor: Actor, meeting: Meeting, participant: Participant | None, *, registered: bool, now: datetime
) -> Denied | None:
    """Asking, upvoting, voting and asking to speak: who counts as a participant."""
    if meeting.state == MeetingState.ENDED:
        return Denied(409, "Die Veranstaltung ist beendet.")
    if actor.is_authenticated:
        if not actor.email_verified:
            return Denied(403, "Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse.")
        if not actor.roles:
            return Denied(403, "Ihr Konto gehört nicht zu dieser Kommune.")
        if actor.blocked_until is not None and actor.blocked_until > now:
            return Denied(
                403,
                "Ihr Konto ist von der Moderation bis %(date)s für Beiträge gesperrt.",
                {"date": actor.blocked_until},
            )
        if meeting.registration_required and not registered and not is_staff(actor):
            return Denied(403, "Bitte melden Sie sich zuerst für die Veranstaltung an.")
        return None
    if not meeting.allow_guests:
        return Denied(401, "Bitte melden Sie sich an, um teilzunehmen.")
    if meeting.registration_required:
        # Registration needs an account: where it is required, guests can watch but not take part.
        return Denied(
            401, "Für diese Veranstaltung ist eine Anmeldung erforderlich. Bitte melden Sie sich an."
        )
    if participant is None:
        return Denied(401, "Bitte geben Sie zuerst einen Anzeigenamen an, um als Gast teilzunehmen.")
    return None


def why_not_ask(
    actor: Actor, meeting: Meeting, participant: Participant | None, *, registered: bool, now: datetime
) -> Denied | None:
    """Questions are taken before (scheduled) and during the meeting."""
    return why_not_take_part(actor, meeting, participant, registered=registered, now=now)


def why_not_upvote(
    actor: Actor, meeting: Meeting, participant: Participant | None, *, registered: bool, now: datetime
) -> Denied | None:
    return why_not_take_part(actor, meeting, participant, registered=registered, now=now)


def why_not_speak(
    actor: Actor, meeting: Meeting, participant: Participant | None, *, registered: bool, now: datetime
) -> Denied | None:
    """The speaker list is open while the meeting is live."""
    denied = why_not_take_part(actor, meeting, participant, registered=registered, now=now)
    if denied is not None:
        return denied
    if meeting.state != MeetingState.LIVE:
        return Denied(409, "Wortmeldungen sind möglich, sobald die Veranstaltung läuft.")
    return None


def why_not_register(actor: Actor, meeting: Meeting) -> Denied | None:
    if not actor.is_authenticated:
        return Denied(401, "Bitte melden Sie sich an, um sich für die Veranstaltung anzumelden.")
    if meeting.state == MeetingState.ENDED:
        return Denied(409, "Die Veranstaltung ist beendet.")
    return None


def why_not_set_guest_name(actor: Actor, meeting: Meeting) -> Denied | None:
    if actor.is_authenticated:
        return Denied(409, "Sie sind angemeldet und nehmen mit Ihrem Konto teil.")
    if not meeting.allow_guests:
        return Denied(403, "Diese Veranstaltung ist nur für angemeldete Personen offen.")
    if meeting.state == MeetingState.ENDED:
        return Denied(409, "Die Veranstaltung ist beendet.")
    return None


STATE_TRANSITIONS: dict[MeetingState, frozenset[MeetingState]] = {
    MeetingState.SCHEDULED: frozenset({MeetingState.LIVE}),
    MeetingState.LIVE: frozenset({MeetingState.ENDED}),
    MeetingState.ENDED: frozenset({MeetingState.LIVE}),  # reopened after ending by mistake
}


def why_not_change_state(actor: Actor, meeting: Meeting, target: MeetingState) -> Denied | None:
    denied = why_not_manage(actor)
    if denied is not None:
        return denied
    if target not in STATE_TRANSITIONS[meeting.state]:
        return Denied(409, "Dieser Statuswechsel ist nicht möglich.")
    if meeting.minutes_published_at is not None and target == MeetingState.LIVE:
        return Denied(409, "Das Protokoll ist bereits veröffentlicht; die Veranstaltung bleibt beendet.")
    return None
