"""The meetings' permissions as tables: role × meeting state × action → allowed (or the refusal's
status). Pure predicates: no database, the clock and the participant passed in (issue 12)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from beteiligung.accounts.models import Role
from beteiligung.accounts.permissions import ANONYMOUS, Actor
from beteiligung.consultations.states import Visibility
from beteiligung.meetings import permissions as p
from beteiligung.meetings.minutes.permissions import why_not_edit_minutes
from beteiligung.meetings.models import (
    Meeting,
    MeetingPoll,
    MeetingQuestion,
    MeetingState,
    PollResults,
    PollState,
    QuestionStatus,
)
from beteiligung.meetings.polls.permissions import (
    results_visible,
    why_not_close,
    why_not_delete,
    why_not_open,
    why_not_prepare,
    why_not_vote,
)
from beteiligung.meetings.questions.permissions import why_not_handle_question, why_not_upvote_question
from beteiligung.meetings.views import Viewer

NOW = datetime(2027, 3, 1, 18, 0, tzinfo=UTC)
S, L, E = MeetingState.SCHEDULED, MeetingState.LIVE, MeetingState.ENDED


def actor(user_id: int, *roles: Role, verified: bool = True, blocked: bool = False) -> Actor:
    return Actor(
        user_id=user_id,
        display_name=f"P{user_id}",
        roles=frozenset(roles),
        email_verified=verified,
        blocked_until=NOW + timedelta(days=1) if blocked else None,
    )


GUEST_KEY = "g:abc"
ACTORS: dict[str, tuple[Actor, p.Participant | None]] = {
    "visitor": (ANONYMOUS, None),  # no guest name chosen yet
    "guest": (ANONYMOUS, p.Participant(voter_key=GUEST_KEY, display_name="Gast")),
    "resident": (actor(1, Role.RESIDENT), p.Participant(voter_key="u:1", display_name="P1", user_id=1)),
    "unverified": (actor(2, Role.RESIDENT, verified=False), p.Participant("u:2", "P2", 2)),
    "blocked": (actor(3, Role.RESIDENT, blocked=True), p.Participant("u:3", "P3", 3)),
    "other_town": (actor(4), p.Participant("u:4", "P4", 4)),  # an account without a role here
    "moderator": (actor(5, Role.MODERATOR), p.Participant("u:5", "P5", 5)),
    "staff": (actor(6, Role.STAFF), p.Participant("u:6", "P6", 6)),
}


def meeting(
    state: MeetingState = L,
    *,
    guests: bool = True,
    registration: bool = False,
    published_minutes: bool = False,
) -> Meeting:
    return Meeting(
        id=1,
        organisation_id=1,
        title="Bürgerversammlung",
        state=state,
        allow_guests=guests,
        registration_required=registration,
        minutes_published_at=NOW if published_minutes else None,
        speaking_seconds=180,
    )


def status(denied: p.Denied | None) -> int | None:
    return None if denied is None else denied.status


# take_part (= ask, upvote): role -> (scheduled, live, ended), in a meeting open to guests
TAKE_PART = {
    "visitor": (401, 401, 409),
    "guest": (None, None, 409),
    "resident": (None, None, 409),
    "unverified": (403, 403, 409),
    "blocked": (403, 403, 409),
    "other_town": (403, 403, 409),
    "moderator": (None, None, 409),
    "staff": (None, None, 409),
}
# speak: the list is open only while live
SPEAK = {
    "visitor": (401, 401, 409),
    "guest": (409, None, 409),
    "resident": (409, None, 409),
    "unverified": (403, 403, 409),
    "blocked": (403, 403, 409),
    "other_town": (403, 403, 409),
    "moderator": (409, None, 409),
    "staff": (409, None, 409),
}
REGISTER = {
    "visitor": (401, 401, 401),
    "guest": (401, 401, 401),
    "resident": (None, None, 409),
    "staff": (None, None, 409),
}
SET_GUEST_NAME = {
    "visitor": (None, None, 409),
    "resident": (409, 409, 409),
    "staff": (409, 409, 409),
}
MANAGE = {"visitor": 401, "guest": 401, "resident": 403, "moderator": 403, "staff": None}


def _cells(table: dict[str, tuple[int | None, ...]]) -> list[tuple[str, MeetingState, int | None]]:
    return [(role, state, row[n]) for role, row in table.items() for n, state in enumerate((S, L, E))]


@pytest.mark.parametrize(("role", "state", "expected"), _cells(TAKE_PART))
@pytest.mark.parametrize("check", [p.why_not_take_part, p.why_not_ask, p.why_not_upvote])
def test_take_part(check, role: str, state: MeetingState, expected: int | None) -> None:
    who, participant = ACTORS[role]
    assert status(check(who, meeting(state), participant, registered=False, now=NOW)) == expected


@pytest.mark.parametrize(("role", "state", "expected"), _cells(SPEAK))
def test_speak(role: str, state: MeetingState, expected: int | None) -> None:
    who, participant = ACTORS[role]
    assert status(p.why_not_speak(who, meeting(state), participant, registered=False, now=NOW)) == expected


@pytest.mark.parametrize(
    ("role", "guests", "registration", "registered", "expected"),
    [
        ("guest", False, False, False, 401),  # members only
        ("guest", True, True, False, 401),  # registration needs an account
        ("resident", True, True, False, 403),  # must register first
        ("resident", True, True, True, None),
        ("staff", True, True, False, None),  # staff need no registration
        ("resident", False, False, False, None),
    ],
)
def test_take_part_by_meeting_settings(
    role: str, guests: bool, registration: bool, registered: bool, expected: int | None
) -> None:
    who, participant = ACTORS[role]
    m = meeting(L, guests=guests, registration=registration)
    assert status(p.why_not_take_part(who, m, participant, registered=registered, now=NOW)) == expected


@pytest.mark.parametrize(("role", "state", "expected"), _cells(REGISTER))
def test_register(role: str, state: MeetingState, expected: int | None) -> None:
    assert status(p.why_not_register(ACTORS[role][0], meeting(state))) == expected


@pytest.mark.parametrize(("role", "state", "expected"), _cells(SET_GUEST_NAME))
def test_set_guest_name(role: str, state: MeetingState, expected: int | None) -> None:
    assert status(p.why_not_set_guest_name(ACTORS[role][0], meeting(state))) == expected


def test_set_guest_name_in_a_members_only_meeting() -> None:
    assert status(p.why_not_set_guest_name(ANONYMOUS, meeting(L, guests=False))) == 403


@pytest.mark.parametrize(("role", "expected"), MANAGE.items())
def test_manage(role: str, expected: int | None) -> None:
    assert status(p.why_not_manage(ACTORS[role][0])) == expected


# change_state by staff: from -> to -> allowed (None) or 409
TRANSITIONS = {
    (S, L): None,
    (S, E): 409,
    (L, E): None,
    (L, S): 409,
    (E, L): None,  # reopened after ending by mistake
    (E, S): 409,
}


@pytest.mark.parametrize(("transition", "expected"), TRANSITIONS.items())
def test_change_state(transition: tuple[MeetingState, MeetingState], expected: int | None) -> None:
    source, target = transition
    staff = ACTORS["staff"][0]
    assert status(p.why_not_change_state(staff, meeting(source), target)) == expected
    assert status(p.why_not_change_state(ACTORS["resident"][0], meeting(source), target)) == 403


def test_published_minutes_keep_the_meeting_ended() -> None:
    staff = ACTORS["staff"][0]
    assert status(p.why_not_change_state(staff, meeting(E, published_minutes=True), L)) == 409


# ----------------------------------------------------------------------------------------------
# Questions
# ----------------------------------------------------------------------------------------------
def question(status_: QuestionStatus = QuestionStatus.OPEN, *, public: bool = True) -> MeetingQuestion:
    return MeetingQuestion(
        id=7,
        meeting_id=1,
        voter_key="u:1",
        status=status_,
        visibility=Visibility.PUBLISHED if public else Visibility.HELD,
    )


@pytest.mark.parametrize(
    ("voter", "status_", "expected"),
    [
        ("u:1", QuestionStatus.OPEN, 403),  # one's own question
        ("u:2", QuestionStatus.OPEN, None),
        ("u:2", QuestionStatus.SPOTLIGHT, None),
        ("u:2", QuestionStatus.ANSWERED, 409),
    ],
)
def test_upvote_question(voter: str, status_: QuestionStatus, expected: int | None) -> None:
    participant = p.Participant(voter_key=voter, display_name="X")
    assert status(why_not_upvote_question(question(status_), participant)) == expected


# (meeting state, question status, public, minutes published) × staff action -> status
HANDLE = [
    (L, QuestionStatus.OPEN, True, False, {"fokus": None, "beantwortet": None, "offen": None}),
    (S, QuestionStatus.OPEN, True, False, {"fokus": 409, "beantwortet": None, "offen": None}),
    (E, QuestionStatus.OPEN, True, False, {"fokus": 409, "beantwortet": None, "offen": None}),
    (L, QuestionStatus.ANSWERED, True, False, {"fokus": 409, "beantwortet": None, "offen": None}),
    (L, QuestionStatus.OPEN, False, False, {"fokus": 409, "beantwortet": 409, "offen": 409}),
    (E, QuestionStatus.OPEN, True, True, {"fokus": 409, "beantwortet": 409, "offen": 409}),
]


@pytest.mark.parametrize(("state", "status_", "public", "published", "expected"), HANDLE)
def test_handle_question(
    state: MeetingState,
    status_: QuestionStatus,
    public: bool,
    published: bool,
    expected: dict[str, int | None],
) -> None:
    m = meeting(state, published_minutes=published)
    q = question(status_, public=public)
    assert {a: status(why_not_handle_question(m, q, a)) for a in expected} == expected


# ----------------------------------------------------------------------------------------------
# Polls
# ----------------------------------------------------------------------------------------------
def poll(state: PollState, results: PollResults = PollResults.LIVE, poll_id: int = 3) -> MeetingPoll:
    return MeetingPoll(id=poll_id, meeting_id=1, question="Q?", state=state, results=results, multiple=False)


@pytest.mark.parametrize(("state", "expected"), [(S, None), (L, None), (E, 409)])
def test_prepare_poll(state: MeetingState, expected: int | None) -> None:
    assert status(why_not_prepare(meeting(state))) == expected


# (meeting state, poll state, another poll open) -> open / close / delete
POLL_ACTIONS = [
    (L, PollState.DRAFT, False, (None, 409, None)),
    (L, PollState.DRAFT, True, (409, 409, None)),  # one poll open at a time
    (S, PollState.DRAFT, False, (409, 409, None)),  # opened only while live
    (L, PollState.OPEN, False, (409, None, 409)),
    (L, PollState.CLOSED, False, (409, 409, 409)),
]


@pytest.mark.parametrize(("state", "poll_state", "other_open", "expected"), POLL_ACTIONS)
def test_poll_actions(
    state: MeetingState, poll_state: PollState, other_open: bool, expected: tuple[int | None, ...]
) -> None:
    the_poll = poll(poll_state)
    running = poll(PollState.OPEN, poll_id=4) if other_open else None
    got = (
        status(why_not_open(meeting(state), the_poll, running)),
        status(why_not_close(the_poll)),
        status(why_not_delete(the_poll)),
    )
    assert got == expected


def viewer(role: str, *, staff: bool = False) -> Viewer:
    who, participant = ACTORS[role]
    return Viewer(actor=who, participant=participant, registered=False, staff=staff, now=NOW)


@pytest.mark.parametrize(
    ("role", "poll_state", "expected"),
    [
        ("resident", PollState.OPEN, None),
        ("guest", PollState.OPEN, None),
        ("visitor", PollState.OPEN, 401),
        ("resident", PollState.CLOSED, 409),
        ("resident", PollState.DRAFT, 409),
    ],
)
def test_vote(role: str, poll_state: PollState, expected: int | None) -> None:
    assert status(why_not_vote(viewer(role), meeting(L), poll(poll_state))) == expected


# who sees the results: (role, staff, poll state, results setting, voted) -> visible
RESULTS = [
    ("staff", True, PollState.OPEN, PollResults.AFTER_CLOSE, False, True),
    ("resident", False, PollState.CLOSED, PollResults.AFTER_CLOSE, False, True),
    ("resident", False, PollState.OPEN, PollResults.LIVE, False, False),  # vote first
    ("resident", False, PollState.OPEN, PollResults.LIVE, True, True),
    ("resident", False, PollState.OPEN, PollResults.AFTER_CLOSE, True, False),
    ("visitor", False, PollState.OPEN, PollResults.LIVE, False, True),  # watching, cannot vote
    ("resident", False, PollState.DRAFT, PollResults.LIVE, False, False),
]


@pytest.mark.parametrize(("role", "staff", "poll_state", "results", "voted", "expected"), RESULTS)
def test_results_visible(
    role: str, staff: bool, poll_state: PollState, results: PollResults, voted: bool, expected: bool
) -> None:
    the_poll = poll(poll_state, results)
    assert results_visible(viewer(role, staff=staff), meeting(L), the_poll, voted=voted) is expected


@pytest.mark.parametrize(("state", "expected"), [(S, 409), (L, 409), (E, None)])
def test_edit_minutes(state: MeetingState, expected: int | None) -> None:
    assert status(why_not_edit_minutes(meeting(state))) == expected
