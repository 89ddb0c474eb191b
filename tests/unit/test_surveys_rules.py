"""Who may answer a survey and see its results: a table of role × phase × state, the clock as a
parameter (surveys/permissions.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from beteiligung.accounts.models import Role
from beteiligung.accounts.permissions import ANONYMOUS, Actor
from beteiligung.consultations.models import Consultation, ConsultationStatus, Phase
from beteiligung.consultations.phases import PhaseKind
from beteiligung.surveys.models import ResultsVisibility, Survey, SurveyKind, SurveyResponse, SurveyStatus
from beteiligung.surveys.permissions import (
    SurveyState,
    survey_state,
    why_not_answer_survey,
    why_not_see_results,
    why_not_view_survey,
)

T0 = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
# information [0, 10), survey [10, 20), evaluation [20, 30)
MOMENTS = {"before": T0 + 5 * DAY, "during": T0 + 15 * DAY, "after": T0 + 25 * DAY}

RESIDENT = Actor(user_id=1, display_name="Heide", roles=frozenset({Role.RESIDENT}), email_verified=True)
UNVERIFIED = Actor(user_id=2, display_name="Neu", roles=frozenset({Role.RESIDENT}), email_verified=False)
STAFF = Actor(user_id=3, display_name="Verwaltung", roles=frozenset({Role.STAFF}), email_verified=True)
MODERATOR = Actor(
    user_id=4, display_name="Moderation", roles=frozenset({Role.MODERATOR}), email_verified=True
)
BLOCKED = Actor(
    user_id=5,
    display_name="Gesperrt",
    roles=frozenset({Role.RESIDENT}),
    email_verified=True,
    blocked_until=T0 + 100 * DAY,
)


def consultation(status: ConsultationStatus = ConsultationStatus.PUBLISHED) -> Consultation:
    c = Consultation(id=1, organisation_id=1, slug="digital", title="Digital", status=status)
    c.phases = [
        Phase(kind=kind, starts_at=T0 + start * DAY, ends_at=T0 + end * DAY)
        for kind, start, end in [
            (PhaseKind.INFORMATION, 0, 10),
            (PhaseKind.SURVEY, 10, 20),
            (PhaseKind.EVALUATION, 20, 30),
        ]
    ]
    return c


def survey(**fields: object) -> Survey:
    values = {
        "id": 1,
        "consultation_id": 1,
        "kind": SurveyKind.SURVEY,
        "title": "Digitales Rathaus",
        "status": SurveyStatus.PUBLISHED,
        "allow_anonymous": False,
        "results_visibility": ResultsVisibility.AFTER,
    } | fields
    return Survey(**values)


# (actor, moment, survey fields, consultation status, expected status or None)
ANSWER_TABLE = [
    (RESIDENT, "during", {}, ConsultationStatus.PUBLISHED, None),
    (RESIDENT, "before", {}, ConsultationStatus.PUBLISHED, 409),
    (RESIDENT, "after", {}, ConsultationStatus.PUBLISHED, 409),
    (RESIDENT, "during", {"status": SurveyStatus.CLOSED}, ConsultationStatus.PUBLISHED, 409),
    (RESIDENT, "during", {"status": SurveyStatus.DRAFT}, ConsultationStatus.PUBLISHED, 404),
    (RESIDENT, "during", {}, ConsultationStatus.CLOSED, 409),
    (RESIDENT, "during", {}, ConsultationStatus.DRAFT, 404),
    (ANONYMOUS, "during", {}, ConsultationStatus.PUBLISHED, 401),
    (ANONYMOUS, "during", {"allow_anonymous": True}, ConsultationStatus.PUBLISHED, None),
    (ANONYMOUS, "after", {"allow_anonymous": True}, ConsultationStatus.PUBLISHED, 409),
    (UNVERIFIED, "during", {}, ConsultationStatus.PUBLISHED, 403),
    (STAFF, "during", {}, ConsultationStatus.PUBLISHED, 403),
    (MODERATOR, "during", {"allow_anonymous": True}, ConsultationStatus.PUBLISHED, 403),
    (BLOCKED, "during", {}, ConsultationStatus.PUBLISHED, 403),
    # A quick poll is open in any phase while it and its consultation are published.
    (RESIDENT, "before", {"kind": SurveyKind.POLL}, ConsultationStatus.PUBLISHED, None),
    (RESIDENT, "after", {"kind": SurveyKind.POLL}, ConsultationStatus.PUBLISHED, None),
    (
        RESIDENT,
        "after",
        {"kind": SurveyKind.POLL, "status": SurveyStatus.CLOSED},
        ConsultationStatus.PUBLISHED,
        409,
    ),
    (ANONYMOUS, "after", {"kind": SurveyKind.POLL}, ConsultationStatus.PUBLISHED, 401),
]


@pytest.mark.parametrize(("actor", "moment", "fields", "cstatus", "expected"), ANSWER_TABLE)
def test_who_may_answer(actor, moment, fields, cstatus, expected):
    denied = why_not_answer_survey(actor, survey(**fields), consultation(cstatus), MOMENTS[moment])
    assert (denied.status if denied else None) == expected, denied


def test_the_phase_says_since_when_or_from_when():
    before = why_not_answer_survey(RESIDENT, survey(), consultation(), MOMENTS["before"])
    after = why_not_answer_survey(RESIDENT, survey(), consultation(), MOMENTS["after"])
    assert before is not None and before.params["date"] == T0 + 10 * DAY and "erst ab" in before.message
    assert after is not None and after.params["date"] == T0 + 20 * DAY and "abgelaufen" in after.message


def test_a_sent_response_cannot_be_changed():
    sent = SurveyResponse(survey_id=1, user_id=1, submitted_at=MOMENTS["during"])
    draft = SurveyResponse(survey_id=1, user_id=1, submitted_at=None)
    assert why_not_answer_survey(RESIDENT, survey(), consultation(), MOMENTS["during"], draft) is None
    denied = why_not_answer_survey(RESIDENT, survey(), consultation(), MOMENTS["during"], sent)
    assert denied is not None and denied.status == 409 and "bereits teilgenommen" in denied.message


@pytest.mark.parametrize(
    ("moment", "fields", "expected"),
    [
        ("before", {}, SurveyState.UPCOMING),
        ("during", {}, SurveyState.OPEN),
        ("after", {}, SurveyState.OVER),
        ("during", {"status": SurveyStatus.CLOSED}, SurveyState.OVER),
        ("during", {"status": SurveyStatus.DRAFT}, SurveyState.DRAFT),
        ("after", {"kind": SurveyKind.POLL}, SurveyState.OPEN),
    ],
)
def test_state_follows_the_phases(moment, fields, expected):
    assert survey_state(survey(**fields), consultation(), MOMENTS[moment]) == expected


@pytest.mark.parametrize(
    ("actor", "moment", "fields", "expected"),
    [
        (ANONYMOUS, "during", {}, 409),  # only after the end
        (RESIDENT, "during", {}, 409),
        (STAFF, "during", {}, None),  # staff always
        (ANONYMOUS, "after", {}, None),
        (ANONYMOUS, "during", {"status": SurveyStatus.CLOSED}, None),
        (ANONYMOUS, "during", {"results_visibility": ResultsVisibility.DURING}, None),
        (ANONYMOUS, "during", {"status": SurveyStatus.DRAFT}, 404),
        (STAFF, "during", {"status": SurveyStatus.DRAFT}, None),
    ],
)
def test_who_sees_results(actor, moment, fields, expected):
    denied = why_not_see_results(actor, survey(**fields), consultation(), MOMENTS[moment])
    assert (denied.status if denied else None) == expected


def test_drafts_are_seen_by_staff_only():
    draft = survey(status=SurveyStatus.DRAFT)
    assert why_not_view_survey(STAFF, draft, consultation()) is None
    for actor in (ANONYMOUS, RESIDENT, MODERATOR):
        denied = why_not_view_survey(actor, draft, consultation())
        assert denied is not None and denied.status == 404
