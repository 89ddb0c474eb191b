"""What the pages need about a survey for one viewer: who is answering (a person or an anonymous
browser session), what they may do, and the quick polls and surveys on a consultation page."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.consultations.models import Consultation
from beteiligung.consultations.permissions import Denied
from beteiligung.i18n import format_datetime
from beteiligung.i18n import gettext as _
from beteiligung.surveys.actions import Respondent, find_response
from beteiligung.surveys.answers import Answer, Values, visible_questions
from beteiligung.surveys.models import Survey, SurveyResponse, SurveySection
from beteiligung.surveys.permissions import (
    SurveyState,
    survey_state,
    why_not_answer_survey,
    why_not_see_results,
)
from beteiligung.surveys.queries import Results, consultation_surveys, survey_results
from beteiligung.web.urls import url

Req = Request[Any, Any, Any]
ANON_SESSION_KEY = "survey_anon"  # a random token in the server-side session, never stored elsewhere


def respondent_of(request: Req, *, create: bool = False) -> Respondent | None:
    """The signed-in person, or the anonymous browser session (its token created on demand: the
    session cookie is only set once someone starts answering anonymously)."""
    actor = request.state.actor
    if actor.is_authenticated:
        return Respondent(user_id=actor.user_id)
    session = request.scope.get("session")
    token = session.get(ANON_SESSION_KEY) if isinstance(session, dict) else None
    if not token:
        if not create:
            return None
        token = secrets.token_urlsafe(24)
        data = dict(session) if isinstance(session, dict) else {}
        data[ANON_SESSION_KEY] = token
        request.set_session(data)
    secret = request.app.state["settings"].secret_key.encode()
    key = hmac.new(secret, f"survey:{token}".encode(), hashlib.sha256).hexdigest()[:48]
    return Respondent(anon_key=key)


@dataclass(frozen=True)
class SurveyParts:
    """The parts ("Teile") a respondent goes through: the sections with at least one question they
    see with the answers given so far, in order. The start page's "hat 2 Teile" and each page's
    "Teil 1 von 2" both come from here, so they always agree."""

    pages: list[SurveySection]
    more_possible: bool  # a section hidden now may appear after some answers (conditions)

    @property
    def count(self) -> int:
        return len(self.pages)

    def step(self, section: SurveySection) -> int:
        return self.pages.index(section) + 1 if section in self.pages else 1


def survey_parts(survey: Survey, answers: dict[int, Answer]) -> SurveyParts:
    shown = visible_questions(survey.ordered_questions(), answers)
    pages: list[SurveySection] = []
    more = False
    for section in survey.sections:
        questions = survey.questions_of(section.id)
        if any(q.id in shown for q in questions):
            pages.append(section)
        elif any(q.condition_option_id is not None for q in questions):
            more = True
    return SurveyParts(pages=pages, more_possible=more)


def denial_text(denied: Denied) -> str:
    params = {k: format_datetime(v) if isinstance(v, datetime) else v for k, v in denied.params.items()}
    return _(denied.message, **params)


@dataclass
class SurveyCard:
    survey: Survey
    state: SurveyState
    can_answer: bool
    signed_in: bool
    response: SurveyResponse | None = None
    reason: str | None = None
    login_url: str | None = None
    results: Results | None = None
    results_reason: str | None = None
    values: Values = field(default_factory=Values)
    focus: bool = False

    @property
    def voted(self) -> bool:
        return self.response is not None and self.response.submitted_at is not None

    @property
    def started(self) -> bool:
        return self.response is not None and self.response.submitted_at is None


async def survey_card(
    db: AsyncSession, request: Req, survey: Survey, now: datetime, *, next_url: str = ""
) -> SurveyCard:
    actor = request.state.actor
    consultation = survey.consultation
    response = await find_response(db, survey.id, respondent_of(request))
    denied = why_not_answer_survey(actor, survey, consultation, now, response)
    card = SurveyCard(
        survey=survey,
        state=survey_state(survey, consultation, now),
        can_answer=denied is None,
        signed_in=actor.is_authenticated,
        response=response,
    )
    if denied is not None:
        if denied.status == 401:
            card.login_url = url(
                "login", query={"next": next_url or url("surveys.page", survey_id=survey.id)}
            )
        elif not card.voted:
            card.reason = denial_text(denied)
    results_denied = why_not_see_results(actor, survey, consultation, now)
    if results_denied is None:
        # A quick poll shows its result to those who voted or cannot vote (never before voting).
        if survey.is_poll and not card.can_answer:
            card.results = await survey_results(db, survey, staff=False)
    elif survey.is_poll:
        card.results_reason = denial_text(results_denied)
    return card


async def consultation_cards(
    db: AsyncSession, request: Req, consultation: Consultation, now: datetime
) -> list[SurveyCard]:
    """The published surveys and quick polls of a consultation page, for this viewer."""
    surveys = await consultation_surveys(db, consultation, drafts=False)
    next_url = url("consultations.page", slug=consultation.slug)
    return [await survey_card(db, request, s, now, next_url=next_url) for s in surveys]
