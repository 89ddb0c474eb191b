"""Who may answer a survey and see its results, and why not: pure predicates with the clock as a
parameter, in the style of :mod:`beteiligung.consultations.permissions`
(tests/unit/test_surveys_rules.py is the table).

* A survey is answered while it is published and the consultation's running phase allows
  surveys (``Feature.SURVEY``: the kinds Diskussion, Vorschläge sammeln, Umfrage), so it opens
  and closes with its phase; staff can also close it early. A quick poll is open while it and
  its consultation are published, in any phase.
* Signed-in residents answer once each; visitors only when staff allowed anonymous answers
  (one response per browser session). Staff and moderators do not take part.
* Results: staff always; everyone else while the survey runs (``DURING``) or once it is over.
"""

from __future__ import annotations

import enum
from datetime import datetime

from beteiligung.accounts.models import Role
from beteiligung.accounts.permissions import Actor, Perm, can
from beteiligung.consultations.models import Consultation, ConsultationStatus
from beteiligung.consultations.permissions import Denied, _participant, feature_open
from beteiligung.consultations.phases import PHASE_FEATURES, Feature
from beteiligung.surveys.models import ResultsVisibility, Survey, SurveyResponse, SurveyStatus


class SurveyState(enum.StrEnum):
    DRAFT = "draft"
    UPCOMING = "upcoming"  # published, its phase has not started yet
    OPEN = "open"
    OVER = "over"  # closed by staff, consultation closed, or no survey phase left


def survey_state(survey: Survey, consultation: Consultation, now: datetime) -> SurveyState:
    if survey.status == SurveyStatus.DRAFT or consultation.status == ConsultationStatus.DRAFT:
        return SurveyState.DRAFT
    if survey.status == SurveyStatus.CLOSED or consultation.status == ConsultationStatus.CLOSED:
        return SurveyState.OVER
    if survey.is_poll:
        return SurveyState.OPEN
    if feature_open(consultation, Feature.SURVEY, now) is None:
        return SurveyState.OPEN
    if any(Feature.SURVEY in PHASE_FEATURES[p.kind] and p.starts_at > now for p in consultation.phases):
        return SurveyState.UPCOMING
    return SurveyState.OVER


def survey_ends_at(survey: Survey, consultation: Consultation, now: datetime) -> datetime | None:
    """When the running survey closes by itself (the end of its phase); None for quick polls."""
    if survey.is_poll:
        return None
    phase = consultation.active_phase(now)
    return phase.ends_at if phase is not None else None


def why_not_view_survey(actor: Actor, survey: Survey, consultation: Consultation) -> Denied | None:
    draft = survey.status == SurveyStatus.DRAFT or consultation.status == ConsultationStatus.DRAFT
    if draft and not can(actor, Perm.CONSULTATION_MANAGE):
        return Denied(404, "Diese Umfrage ist nicht veröffentlicht.")
    return None


def why_not_answer_survey(
    actor: Actor,
    survey: Survey,
    consultation: Consultation,
    now: datetime,
    response: SurveyResponse | None = None,
) -> Denied | None:
    state = survey_state(survey, consultation, now)
    if state == SurveyState.DRAFT:
        return Denied(404, "Diese Umfrage ist nicht veröffentlicht.")
    if state == SurveyState.OVER:
        if survey.status == SurveyStatus.CLOSED or consultation.status == ConsultationStatus.CLOSED:
            return Denied(409, "Diese Umfrage ist beendet. Antworten sind nicht mehr möglich.")
        return feature_open(consultation, Feature.SURVEY, now)
    if state == SurveyState.UPCOMING:
        return feature_open(consultation, Feature.SURVEY, now)
    if actor.is_authenticated:
        denied = _participant(actor, now)
        if denied:
            return denied
        if Role.RESIDENT not in actor.roles:
            return Denied(
                403,
                "Umfragen beantworten Einwohner:innen; Konten der Verwaltung und Moderation nehmen nicht teil.",
            )
    elif not survey.allow_anonymous:
        return Denied(401, "Bitte melden Sie sich an, um an der Umfrage teilzunehmen.")
    if response is not None and response.submitted_at is not None:
        return Denied(
            409,
            "Sie haben an dieser Umfrage bereits teilgenommen. Ihre Antworten können nicht mehr geändert werden.",
        )
    return None


def why_not_see_results(
    actor: Actor, survey: Survey, consultation: Consultation, now: datetime
) -> Denied | None:
    denied = why_not_view_survey(actor, survey, consultation)
    if denied:
        return denied
    if can(actor, Perm.CONSULTATION_MANAGE):
        return None
    state = survey_state(survey, consultation, now)
    if state == SurveyState.DRAFT:
        return Denied(404, "Diese Umfrage ist nicht veröffentlicht.")
    if survey.results_visibility == ResultsVisibility.DURING or state == SurveyState.OVER:
        return None
    return Denied(409, "Die Ergebnisse werden veröffentlicht, sobald die Umfrage beendet ist.")


def why_not_manage_surveys(actor: Actor) -> Denied | None:
    if not actor.is_authenticated:
        return Denied(401, "Bitte melden Sie sich an, um sich zu beteiligen.")
    if not can(actor, Perm.CONSULTATION_MANAGE):
        return Denied(403, "Sie haben keine Berechtigung für diese Seite oder Aktion.")
    return None
