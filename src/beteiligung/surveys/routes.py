"""Public survey pages: the start page, one page per section ("Zurück", "Weiter",
"Zwischenspeichern"), the summary with "Absenden", the results; the quick poll's vote.

Every form works as a plain POST (303 to the next page, 422 with the answers kept and the errors
beside the questions) and with htmx (the form's own block, or ``HX-Redirect``). A value the page
never offered (an unknown option id, a rank out of range) answers 400.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_422_UNPROCESSABLE_ENTITY

from beteiligung.accounts.permissions import Perm, can
from beteiligung.consultations.permissions import enforce
from beteiligung.db import utcnow
from beteiligung.i18n import gettext as _
from beteiligung.infra import Limit, RateLimiter
from beteiligung.surveys import actions
from beteiligung.surveys.actions import SurveyError
from beteiligung.surveys.answers import (
    Answer,
    Tampered,
    Values,
    missing_required,
    parse_section,
    visible_questions,
)
from beteiligung.surveys.models import Survey, SurveyQuestion, SurveyResponse, SurveySection
from beteiligung.surveys.permissions import (
    survey_ends_at,
    why_not_answer_survey,
    why_not_see_results,
)
from beteiligung.surveys.queries import access_survey, survey_results
from beteiligung.surveys.views import respondent_of, survey_card, survey_parts
from beteiligung.web.context import DB
from beteiligung.web.errors import ActionConflict, PublicHTTPException
from beteiligung.web.responses import flash, is_htmx, redirect_after_post, render, safe_next
from beteiligung.web.urls import url

Req = Request[Any, Any, Any]

# New anonymous responses per client address: enough for a family behind one router or a
# library's public computers, too few to stuff a survey. Keyed hash, nothing stored (DS-07).
ANON_RESPONSES_PER_IP = Limit("survey-anon", 30, 3600)


class TooManyResponses(PublicHTTPException):
    status_code = 429


class TamperedAnswer(PublicHTTPException):
    status_code = HTTP_400_BAD_REQUEST


def _tampered() -> TamperedAnswer:
    return TamperedAnswer(detail=_("Die Antwort enthält Werte, die diese Umfrage nicht anbietet."))


async def _limit_anonymous(request: Req) -> None:
    if request.state.actor.is_authenticated:
        return
    limiter: RateLimiter = request.app.state["limiter"]
    client = request.client.host if request.client else "unknown"
    result = await limiter.hit(ANON_RESPONSES_PER_IP, client)
    if not result.allowed:
        raise TooManyResponses(
            detail=_("Von diesem Anschluss kamen zu viele Antworten. Bitte versuchen Sie es später erneut.")
        )


def _pages(survey: Survey, answers: dict[int, Answer]) -> list[SurveySection]:
    """Sections with at least one question the respondent sees, in order (views.survey_parts)."""
    return survey_parts(survey, answers).pages


def _section_url(survey: Survey, section: SurveySection) -> str:
    return url("surveys.section", survey_id=survey.id, number=survey.sections.index(section) + 1)


def _next_url(survey: Survey, pages: list[SurveySection], after: int) -> str:
    """The first page after section number ``after`` (1-based; 0: from the start), else the summary."""
    later = [s for s in pages if survey.sections.index(s) + 1 > after]
    return _section_url(survey, later[0]) if later else url("surveys.summary", survey_id=survey.id)


async def _answering(
    request: Req, db: Any, survey_id: int
) -> tuple[Survey, SurveyResponse | None, dict[int, Answer]]:
    """The survey, the respondent's draft and its answers; refused unless they may answer."""
    survey = await access_survey(db, request.state.actor, request.state.org.id, survey_id)
    if survey.is_poll:
        raise NotFoundException()
    response = await actions.find_response(db, survey.id, respondent_of(request))
    enforce(why_not_answer_survey(request.state.actor, survey, survey.consultation, utcnow(), response))
    answers = await actions.load_answers(db, survey, response.id) if response else {}
    return survey, response, answers


# --------------------------------------------------------------------------------------------
# Start page (and a quick poll's own page)
# --------------------------------------------------------------------------------------------
@get("/umfragen/{survey_id:int}", name="surveys.page")
async def survey_page(request: Req, db_session: DB, survey_id: FromPath[int]) -> Template:
    survey = await access_survey(db_session, request.state.actor, request.state.org.id, survey_id)
    now = utcnow()
    card = await survey_card(db_session, request, survey, now)
    ctx: dict[str, Any] = {"survey": survey, "card": card, "consultation": survey.consultation, "now": now}
    if survey.is_poll:
        ctx["next_url"] = url("surveys.page", survey_id=survey.id)
        return render(request, "surveys/poll.html", ctx)
    answers = await actions.load_answers(db_session, survey, card.response.id) if card.response else {}
    parts = survey_parts(survey, answers)
    ctx.update(
        pages=parts.pages,
        parts=parts,
        ends_at=survey_ends_at(survey, survey.consultation, now),
        results_open=why_not_see_results(request.state.actor, survey, survey.consultation, now) is None,
    )
    return render(request, "surveys/survey.html", ctx)


# --------------------------------------------------------------------------------------------
# One section per page
# --------------------------------------------------------------------------------------------
async def _answering_section(
    request: Req, db: Any, survey_id: int, number: int
) -> tuple[Survey, SurveyResponse | None, dict[int, Answer], list[SurveySection], SurveySection]:
    """``_answering`` and section ``number`` (1-based; 404 beyond the survey's sections) with the
    pages the respondent sees."""
    survey, response, answers = await _answering(request, db, survey_id)
    if not 1 <= number <= len(survey.sections):
        raise NotFoundException()
    return survey, response, answers, _pages(survey, answers), survey.sections[number - 1]


def _section_ctx(
    survey: Survey,
    section: SurveySection,
    answers: dict[int, Answer],
    values: Values,
    errors: dict[int, str] | None = None,
) -> dict[str, Any]:
    questions = survey.ordered_questions()
    shown = visible_questions(questions, answers)
    parts = survey_parts(survey, answers)
    numbers = {q.id: i + 1 for i, q in enumerate(q for q in questions if q.id in shown)}
    return {
        "survey": survey,
        "consultation": survey.consultation,
        "section": section,
        "number": survey.sections.index(section) + 1,
        "questions": [q for q in survey.questions_of(section.id) if q.id in shown],
        "numbers": numbers,
        "step": parts.step(section),
        "steps": parts.count,
        "values": values,
        "errors": errors or {},
    }


@get("/umfragen/{survey_id:int}/teil/{number:int}", name="surveys.section")
async def survey_section_page(
    request: Req, db_session: DB, survey_id: FromPath[int], number: FromPath[int]
) -> Response[Any]:
    survey, _response, answers, pages, section = await _answering_section(
        request, db_session, survey_id, number
    )
    if section not in pages:  # nothing to answer here with the answers given so far
        return redirect_after_post(request, _next_url(survey, pages, number))
    values = Values.from_answers(survey.questions, answers)
    return render(request, "surveys/section.html", _section_ctx(survey, section, answers, values))


@post("/umfragen/{survey_id:int}/teil/{number:int}", name="surveys.section.submit")
async def survey_section_submit(
    request: Req, db_session: DB, survey_id: FromPath[int], number: FromPath[int]
) -> Response[Any]:
    survey, response, answers, pages, section = await _answering_section(
        request, db_session, survey_id, number
    )
    form = await request.form()
    values = Values.from_multidict(form)
    step = values.get("aktion") or "weiter"
    questions = survey.questions_of(section.id)
    shown = visible_questions(survey.ordered_questions(), answers)
    try:
        parsed = parse_section(questions, values, shown=shown, require=step == "weiter")
    except Tampered:
        raise _tampered() from None
    if parsed.errors:
        ctx = _section_ctx(survey, section, answers, values, parsed.errors)
        return render(
            request, "surveys/section.html", ctx, block="form", status=HTTP_422_UNPROCESSABLE_ENTITY
        )
    if response is None:
        await _limit_anonymous(request)
        respondent = respondent_of(request, create=True)
        assert respondent is not None
        response, _created = await actions.ensure_response(db_session, survey, respondent)
    try:
        await actions.save_answers(db_session, response, questions, parsed.answers)
    except SurveyError as exc:
        raise ActionConflict(detail=exc.message) from None
    await db_session.commit()
    answers = {**{k: v for k, v in answers.items() if k not in {q.id for q in questions}}, **parsed.answers}
    pages = _pages(survey, answers)
    if step == "speichern":
        if request.state.actor.is_authenticated:
            flash(
                request,
                _(
                    "Ihre Antworten sind zwischengespeichert. Sie können jederzeit hier weitermachen, solange die Umfrage läuft."
                ),
            )
        else:
            flash(
                request,
                _(
                    "Ihre Antworten sind zwischengespeichert. Sie können in diesem Browser weitermachen, solange Ihre Sitzung besteht."
                ),
            )
        return redirect_after_post(request, url("surveys.section", survey_id=survey.id, number=number))
    if step == "zurueck":
        index = survey.sections.index(section)
        earlier = [s for s in pages if survey.sections.index(s) < index]
        target = _section_url(survey, earlier[-1]) if earlier else url("surveys.page", survey_id=survey.id)
        return redirect_after_post(request, target)
    return redirect_after_post(request, _next_url(survey, pages, survey.sections.index(section) + 1))


# --------------------------------------------------------------------------------------------
# Summary and sending
# --------------------------------------------------------------------------------------------
def _summary_ctx(
    survey: Survey, answers: dict[int, Answer], missing: list[int] | None = None
) -> dict[str, Any]:
    questions = survey.ordered_questions()
    shown = visible_questions(questions, answers)
    pages = _pages(survey, answers)
    return {
        "survey": survey,
        "consultation": survey.consultation,
        "pages": [
            (survey.sections.index(s) + 1, s, [q for q in survey.questions_of(s.id) if q.id in shown])
            for s in pages
        ],
        "answers": answers,
        "missing": missing or [],
    }


@get("/umfragen/{survey_id:int}/zusammenfassung", name="surveys.summary")
async def survey_summary_page(request: Req, db_session: DB, survey_id: FromPath[int]) -> Response[Any]:
    survey, response, answers = await _answering(request, db_session, survey_id)
    if response is None:
        return redirect_after_post(request, url("surveys.page", survey_id=survey.id))
    return render(request, "surveys/summary.html", _summary_ctx(survey, answers))


@post("/umfragen/{survey_id:int}/absenden", name="surveys.submit")
async def survey_submit(request: Req, db_session: DB, survey_id: FromPath[int]) -> Response[Any]:
    survey, response, answers = await _answering(request, db_session, survey_id)
    if response is None:
        return redirect_after_post(request, url("surveys.page", survey_id=survey.id))
    missing = missing_required(survey.ordered_questions(), answers)
    if missing:
        ctx = _summary_ctx(survey, answers, missing)
        return render(
            request, "surveys/summary.html", ctx, block="form", status=HTTP_422_UNPROCESSABLE_ENTITY
        )
    sent = await actions.submit_response(db_session, survey, response, utcnow())
    await db_session.commit()
    if sent:
        flash(request, _("Vielen Dank! Ihre Antworten sind eingegangen."))
    return redirect_after_post(request, url("surveys.page", survey_id=survey.id))


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------
@get("/umfragen/{survey_id:int}/ergebnisse", name="surveys.results")
async def survey_results_page(request: Req, db_session: DB, survey_id: FromPath[int]) -> Template:
    actor = request.state.actor
    survey = await access_survey(db_session, actor, request.state.org.id, survey_id)
    now = utcnow()
    enforce(why_not_see_results(actor, survey, survey.consultation, now))
    results = await survey_results(db_session, survey, staff=False)
    return render(
        request,
        "surveys/results.html",
        {
            "survey": survey,
            "consultation": survey.consultation,
            "results": results,
            "staff": can(actor, Perm.CONSULTATION_MANAGE),
            "now": now,
        },
    )


# --------------------------------------------------------------------------------------------
# Quick poll
# --------------------------------------------------------------------------------------------
@post("/umfragen/{survey_id:int}/abstimmen", name="surveys.vote")
async def poll_vote_submit(request: Req, db_session: DB, survey_id: FromPath[int]) -> Response[Any]:
    actor = request.state.actor
    survey = await access_survey(db_session, actor, request.state.org.id, survey_id)
    if not survey.is_poll or not survey.questions:
        raise NotFoundException()
    now = utcnow()
    response = await actions.find_response(db_session, survey.id, respondent_of(request))
    enforce(why_not_answer_survey(actor, survey, survey.consultation, now, response))
    form = await request.form()
    values = Values.from_multidict(form)
    next_url = safe_next(values.get("next"), url("surveys.page", survey_id=survey.id))
    question: SurveyQuestion = survey.questions[0]
    try:
        parsed = parse_section([question], values, shown={question.id}, require=True)
    except Tampered:
        raise _tampered() from None
    if question.id not in parsed.answers and not parsed.errors:  # a vote needs an answer
        parsed.errors[question.id] = _("Bitte beantworten Sie diese Frage.")
    if parsed.errors:
        card = await survey_card(db_session, request, survey, now, next_url=next_url)
        ctx = {
            "survey": survey,
            "card": card,
            "consultation": survey.consultation,
            "now": now,
            "next_url": next_url,
            "values": values,
            "error": parsed.errors[question.id],
        }
        return render(request, "surveys/poll.html", ctx, block="poll", status=HTTP_422_UNPROCESSABLE_ENTITY)
    await _limit_anonymous(request)
    respondent = respondent_of(request, create=True)
    assert respondent is not None
    counted = await actions.vote_poll(db_session, survey, respondent, parsed.answers[question.id], now)
    await db_session.commit()
    message = _("Vielen Dank, Ihre Stimme ist gezählt.") if counted else _("Sie haben bereits abgestimmt.")
    if not is_htmx(request):
        flash(request, message, "success" if counted else "info")
        return redirect_after_post(request, f"{next_url}#umfrage-{survey.id}")
    card = await survey_card(db_session, request, survey, now, next_url=next_url)
    card.focus = True
    ctx = {
        "survey": survey,
        "card": card,
        "consultation": survey.consultation,
        "now": now,
        "next_url": next_url,
    }
    return render(request, "surveys/poll.html", ctx, block="poll", announce=message)


ROUTES = [
    survey_page,
    survey_section_page,
    survey_section_submit,
    survey_summary_page,
    survey_submit,
    survey_results_page,
    poll_vote_submit,
]
