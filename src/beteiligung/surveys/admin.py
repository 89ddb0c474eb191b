"""Staff pages for surveys: list, create, settings, sections and questions (with conditions,
moved with up/down buttons), publish / close / reopen, the free-text review, CSV and JSON export.

Every route needs ``org:consultations:manage`` and looks surveys up in the visitor's
organisation only (another organisation's id is 404). Forms go through ``submit_form`` (post/
redirect/get; with htmx their own ``{% block form %}``); buttons through ``_change``, which
shows a refusal as a message on the edit page. See docs/surveys.md.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.accounts.guards import permission_required
from beteiligung.accounts.permissions import Perm
from beteiligung.consultations.models import Consultation
from beteiligung.db import utcnow
from beteiligung.i18n import gettext as _
from beteiligung.surveys import actions
from beteiligung.surveys.actions import condition_choices
from beteiligung.surveys.export import export_csv, export_json
from beteiligung.surveys.forms import QuestionForm, SectionForm, SurveyForm, SurveySettingsForm
from beteiligung.surveys.models import (
    KIND_NAMES,
    RESULTS_NAMES,
    SURVEY_STATUS_NAMES,
    ResultsVisibility,
    Review,
    Survey,
    SurveyKind,
    SurveyQuestion,
    SurveySection,
)
from beteiligung.surveys.permissions import survey_state
from beteiligung.surveys.queries import (
    count_submitted,
    export_rows,
    get_survey,
    pending_texts,
    staff_list_surveys,
    survey_results,
)
from beteiligung.web.context import DB
from beteiligung.web.errors import Refused
from beteiligung.web.forms import Field
from beteiligung.web.responses import flash, form_data, redirect_after_post, render, submit_form
from beteiligung.web.urls import url

Req = Request[Any, Any, Any]
GUARDS = [permission_required(Perm.CONSULTATION_MANAGE)]
BASE = "/verwaltung/umfragen"  # the paths' prefix in the decorators; links use url()
LIST_TEMPLATE = "admin/surveys/list.html"
NEW_TEMPLATE = "admin/surveys/new.html"
EDIT_TEMPLATE = "admin/surveys/edit.html"
SECTION_TEMPLATE = "admin/surveys/section.html"
QUESTION_TEMPLATE = "admin/surveys/question.html"


def _url(survey: Survey, anchor: str | None = None) -> str:
    return url("admin.survey", survey_id=survey.id, anchor=anchor)


async def _load(db: AsyncSession, request: Req, survey_id: int) -> Survey:
    survey = await get_survey(db, request.state.org.id, survey_id)
    if survey is None:
        raise NotFoundException()
    return survey


def _section(survey: Survey, section_id: int) -> SurveySection:
    for section in survey.sections:
        if section.id == section_id:
            return section
    raise NotFoundException()


def _question(survey: Survey, question_id: int) -> SurveyQuestion:
    for question in survey.questions:
        if question.id == question_id:
            return question
    raise NotFoundException()


async def _consultations(db: AsyncSession, org_id: int) -> list[Consultation]:
    stmt = select(Consultation).where(Consultation.organisation_id == org_id).order_by(Consultation.title)
    return list((await db.scalars(stmt)).all())


class NewSurveyForm(SurveyForm):
    """The survey form with the organisation's consultations to choose from."""

    def __init__(self, data: Any = None, *, initial: Any = None, consultations: Any = ()) -> None:
        choices = tuple((c.slug, c.title) for c in consultations)
        self.fields = (  # type: ignore[misc]
            Field("consultation", "Beteiligungsverfahren", kind="select", choices=choices),
            *SurveyForm.fields,
        )
        super().__init__(data, initial=initial)


def _settings(cleaned: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": cleaned["title"],
        "intro": cleaned["intro"],
        "allow_anonymous": cleaned["allow_anonymous"],
        "results_visibility": ResultsVisibility(cleaned["results_visibility"]),
        "free_text_reviewed": cleaned["free_text_reviewed"],
    }


# --------------------------------------------------------------------------------------------
# List, create
# --------------------------------------------------------------------------------------------
@get(BASE, name="admin.surveys", guards=GUARDS)
async def surveys_admin_page(request: Req, db_session: DB) -> Template:
    rows = await staff_list_surveys(db_session, request.state.org.id)
    return render(
        request,
        LIST_TEMPLATE,
        {"rows": rows, "STATUS_NAMES": SURVEY_STATUS_NAMES, "now": utcnow(), "survey_state": survey_state},
    )


@get(f"{BASE}/neu", name="admin.survey.new", guards=GUARDS)
async def survey_new_page(request: Req, db_session: DB, vorhaben: FromQuery[str] = "") -> Template:
    consultations = await _consultations(db_session, request.state.org.id)
    initial = {"consultation": vorhaben, "results_visibility": ResultsVisibility.AFTER.value}
    return render(
        request, NEW_TEMPLATE, {"form": NewSurveyForm(initial=initial, consultations=consultations)}
    )


@post(f"{BASE}/neu", name="admin.survey.create", guards=GUARDS, opt={"form": (NEW_TEMPLATE, NewSurveyForm)})
async def survey_create_submit(request: Req, db_session: DB) -> Response[Any] | Template:
    consultations = await _consultations(db_session, request.state.org.id)

    async def create(values: dict[str, Any]) -> Survey:
        consultation = next(c for c in consultations if c.slug == values["consultation"])
        return await actions.create_survey(
            db_session, consultation=consultation, kind=SurveyKind(values["kind"]), **_settings(values)
        )

    return await submit_form(
        request,
        db_session,
        NewSurveyForm(await form_data(request), consultations=consultations),
        template=NEW_TEMPLATE,
        context={},
        action=create,
        done=lambda survey: _(
            "Die Umfrage „%(title)s“ ist als Entwurf angelegt. Fügen Sie jetzt Fragen hinzu.",
            title=survey.title,
        ),
        next_url=_url,
    )


# --------------------------------------------------------------------------------------------
# Edit page: settings, structure, status, review, export
# --------------------------------------------------------------------------------------------
async def _edit_context(db: AsyncSession, survey: Survey, form: SurveySettingsForm) -> dict[str, Any]:
    now = utcnow()
    return {
        "survey": survey,
        "consultation": survey.consultation,
        "form": form,
        "state": survey_state(survey, survey.consultation, now),
        "submitted": await count_submitted(db, survey.id),
        "pending": await pending_texts(db, survey) if survey.free_text_reviewed else [],
        "KIND_NAMES": KIND_NAMES,
        "STATUS_NAMES": SURVEY_STATUS_NAMES,
        "RESULTS_NAMES": RESULTS_NAMES,
        "options_of": {o.id: (q, o) for q in survey.questions for o in q.options},
    }


@get(f"{BASE}/{{survey_id:int}}", name="admin.survey", guards=GUARDS)
async def survey_edit_page(request: Req, db_session: DB, survey_id: FromPath[int]) -> Template:
    survey = await _load(db_session, request, survey_id)
    return render(
        request, EDIT_TEMPLATE, await _edit_context(db_session, survey, SurveySettingsForm.of(survey))
    )


@post(
    f"{BASE}/{{survey_id:int}}",
    name="admin.survey.update",
    guards=GUARDS,
    opt={"form": (EDIT_TEMPLATE, SurveySettingsForm)},
)
async def survey_update_submit(
    request: Req, db_session: DB, survey_id: FromPath[int]
) -> Response[Any] | Template:
    survey = await _load(db_session, request, survey_id)
    url_after = _url(survey)  # before the action: a refusal's rollback expires the survey

    async def update(values: dict[str, Any]) -> None:
        await actions.update_survey(db_session, survey, **_settings(values))

    async def context(form: SurveySettingsForm) -> dict[str, Any]:
        return await _edit_context(db_session, await _load(db_session, request, survey_id), form)

    return await submit_form(
        request,
        db_session,
        SurveySettingsForm(await form_data(request)),
        template=EDIT_TEMPLATE,
        context=context,
        action=update,
        done=_("Die Einstellungen sind gespeichert."),
        next_url=url_after,
    )


async def _change(
    request: Req,
    db: AsyncSession,
    survey_id: int,
    action: Callable[[Survey], Awaitable[Any]],
    done: str,
    anchor: str | None = None,
) -> Response[Any]:
    """The one button route: run a change and commit; a refusal (``Refused``) comes back as a
    message on the edit page and nothing of it is kept (post/redirect/get)."""
    survey = await _load(db, request, survey_id)
    url_after = _url(survey, anchor)  # before the action: a rollback expires the survey
    try:
        await action(survey)
    except Refused as refusal:
        await db.rollback()
        flash(request, refusal.message, kind="danger")
    else:
        await db.commit()
        flash(request, done)
    return redirect_after_post(request, url_after)


@post(f"{BASE}/{{survey_id:int}}/veroeffentlichen", name="admin.survey.publish", guards=GUARDS)
async def survey_publish_submit(request: Req, db_session: DB, survey_id: FromPath[int]) -> Response[Any]:
    return await _change(
        request,
        db_session,
        survey_id,
        lambda s: actions.publish_survey(db_session, s, utcnow()),
        _(
            "Die Umfrage ist veröffentlicht. Sie ist offen, solange eine Phase des Verfahrens Umfragen erlaubt."
        ),
    )


@post(f"{BASE}/{{survey_id:int}}/beenden", name="admin.survey.close", guards=GUARDS)
async def survey_close_submit(request: Req, db_session: DB, survey_id: FromPath[int]) -> Response[Any]:
    return await _change(
        request,
        db_session,
        survey_id,
        lambda s: actions.close_survey(db_session, s, utcnow()),
        _("Die Umfrage ist beendet. Die Ergebnisse bleiben sichtbar."),
    )


@post(f"{BASE}/{{survey_id:int}}/wieder-oeffnen", name="admin.survey.reopen", guards=GUARDS)
async def survey_reopen_submit(request: Req, db_session: DB, survey_id: FromPath[int]) -> Response[Any]:
    return await _change(
        request,
        db_session,
        survey_id,
        lambda s: actions.reopen_survey(db_session, s, utcnow()),
        _("Die Umfrage ist wieder geöffnet."),
    )


@post(
    f"{BASE}/{{survey_id:int}}/antworten/{{answer_id:int}}/{{entscheidung:str}}",
    name="admin.survey.review",
    guards=GUARDS,
)
async def survey_review_submit(
    request: Req,
    db_session: DB,
    survey_id: FromPath[int],
    answer_id: FromPath[int],
    entscheidung: FromPath[str],
) -> Response[Any]:
    review = {"freigeben": Review.RELEASED, "ablehnen": Review.REJECTED}.get(entscheidung)
    if review is None:
        raise NotFoundException()

    async def run(survey: Survey) -> None:
        if not await actions.review_answer(db_session, survey, answer_id, review):
            raise NotFoundException()

    released = review == Review.RELEASED
    done = _("Die Antwort ist freigegeben.") if released else _("Die Antwort wird nicht veröffentlicht.")
    return await _change(request, db_session, survey_id, run, done, "pruefung")


# --------------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------------
@get(f"{BASE}/{{survey_id:int}}/teile/neu", name="admin.survey.section.new", guards=GUARDS)
async def section_new_page(request: Req, db_session: DB, survey_id: FromPath[int]) -> Template:
    survey = await _load(db_session, request, survey_id)
    return render(request, SECTION_TEMPLATE, {"survey": survey, "form": SectionForm(), "section": None})


async def _section_form(
    request: Req, db: AsyncSession, survey_id: int, section_id: int | None
) -> tuple[Survey, SurveySection | None, Callable[[SectionForm], Awaitable[dict[str, Any]]]]:
    """The survey, the section (None: a new one) and the form page's context, loaded again for a
    form with errors (a refusal's rollback expired what was loaded before)."""
    survey = await _load(db, request, survey_id)
    section = _section(survey, section_id) if section_id is not None else None

    async def context(form: SectionForm) -> dict[str, Any]:
        again = await _load(db, request, survey_id)
        shown = _section(again, section_id) if section_id is not None else None
        return {"survey": again, "form": form, "section": shown}

    return survey, section, context


@post(
    f"{BASE}/{{survey_id:int}}/teile/neu",
    name="admin.survey.section.create",
    guards=GUARDS,
    opt={"form": (SECTION_TEMPLATE, SectionForm)},
)
async def section_create_submit(
    request: Req, db_session: DB, survey_id: FromPath[int]
) -> Response[Any] | Template:
    survey, _none, context = await _section_form(request, db_session, survey_id, None)
    url_after = _url(survey, "aufbau")

    async def add(values: dict[str, Any]) -> SurveySection:
        return await actions.add_section(db_session, survey, **values)

    return await submit_form(
        request,
        db_session,
        SectionForm(await form_data(request)),
        template=SECTION_TEMPLATE,
        context=context,
        action=add,
        done=lambda section: _("Der Teil „%(title)s“ ist angelegt.", title=section.title),
        next_url=url_after,
    )


@get(f"{BASE}/{{survey_id:int}}/teile/{{section_id:int}}", name="admin.survey.section", guards=GUARDS)
async def section_edit_page(
    request: Req, db_session: DB, survey_id: FromPath[int], section_id: FromPath[int]
) -> Template:
    survey = await _load(db_session, request, survey_id)
    section = _section(survey, section_id)
    return render(
        request, SECTION_TEMPLATE, {"survey": survey, "form": SectionForm.of(section), "section": section}
    )


@post(
    f"{BASE}/{{survey_id:int}}/teile/{{section_id:int}}",
    name="admin.survey.section.update",
    guards=GUARDS,
    opt={"form": (SECTION_TEMPLATE, SectionForm)},
)
async def section_update_submit(
    request: Req, db_session: DB, survey_id: FromPath[int], section_id: FromPath[int]
) -> Response[Any] | Template:
    survey, section, context = await _section_form(request, db_session, survey_id, section_id)
    assert section is not None
    url_after = _url(survey, "aufbau")

    async def update(values: dict[str, Any]) -> None:
        await actions.update_section(db_session, survey, section, **values)

    return await submit_form(
        request,
        db_session,
        SectionForm(await form_data(request)),
        template=SECTION_TEMPLATE,
        context=context,
        action=update,
        done=lambda _result: _("Der Teil „%(title)s“ ist gespeichert.", title=section.title),
        next_url=url_after,
    )


@post(
    f"{BASE}/{{survey_id:int}}/teile/{{section_id:int}}/loeschen",
    name="admin.survey.section.delete",
    guards=GUARDS,
)
async def section_delete_submit(
    request: Req, db_session: DB, survey_id: FromPath[int], section_id: FromPath[int]
) -> Response[Any]:
    return await _change(
        request,
        db_session,
        survey_id,
        lambda s: actions.delete_section(db_session, s, _section(s, section_id)),
        _("Der Teil ist gelöscht."),
        "aufbau",
    )


async def _step(request: Req) -> int:
    """The move buttons' direction: ``richtung=hoch`` is one up, anything else one down."""
    return -1 if (await form_data(request)).get("richtung") == "hoch" else 1


@post(
    f"{BASE}/{{survey_id:int}}/teile/{{section_id:int}}/verschieben",
    name="admin.survey.section.move",
    guards=GUARDS,
)
async def section_move_submit(
    request: Req, db_session: DB, survey_id: FromPath[int], section_id: FromPath[int]
) -> Response[Any]:
    step = await _step(request)
    return await _change(
        request,
        db_session,
        survey_id,
        lambda s: actions.move_section(db_session, s, _section(s, section_id), step),
        _("Die Reihenfolge ist geändert."),
        f"teil-{section_id}",
    )


# --------------------------------------------------------------------------------------------
# Questions
# --------------------------------------------------------------------------------------------
def _question_ctx(
    survey: Survey, section: SurveySection, form: QuestionForm, question: SurveyQuestion | None
) -> dict[str, Any]:
    return {"survey": survey, "section": section, "form": form, "question": question}


@get(
    f"{BASE}/{{survey_id:int}}/teile/{{section_id:int}}/fragen/neu",
    name="admin.survey.question.new",
    guards=GUARDS,
)
async def question_new_page(
    request: Req, db_session: DB, survey_id: FromPath[int], section_id: FromPath[int]
) -> Template:
    survey = await _load(db_session, request, survey_id)
    section = _section(survey, section_id)
    form = QuestionForm(conditions=condition_choices(survey, section.id), poll=survey.is_poll)
    return render(request, QUESTION_TEMPLATE, _question_ctx(survey, section, form, None))


async def _submit_question(
    request: Req,
    db: AsyncSession,
    survey_id: int,
    *,
    section_id: int | None = None,
    question_id: int | None = None,
) -> Response[Any] | Template:
    """A new question of section ``section_id``, or question ``question_id`` changed: the two
    forms differ only in the action, the message and where they return to."""
    survey = await _load(db, request, survey_id)
    question = _question(survey, question_id) if question_id is not None else None
    section = _section(survey, question.section_id if question else section_id or 0)
    form = QuestionForm(
        await form_data(request), conditions=condition_choices(survey, section.id), poll=survey.is_poll
    )
    url_after = _url(survey, f"frage-{question.id}" if question else f"teil-{section.id}")
    shown_section, shown_question = section.id, question_id

    async def save(_values: dict[str, Any]) -> None:
        if question is None:
            await actions.add_question(db, survey, section, **form.values())
        else:
            await actions.update_question(db, survey, question, **form.values())

    async def context(form: QuestionForm) -> dict[str, Any]:
        again = await _load(db, request, survey_id)  # a refusal's rollback expired the survey
        again_question = _question(again, shown_question) if shown_question is not None else None
        return _question_ctx(again, _section(again, shown_section), form, again_question)

    return await submit_form(
        request,
        db,
        form,
        template=QUESTION_TEMPLATE,
        context=context,
        action=save,
        done=_("Die Frage ist angelegt.") if question is None else _("Die Frage ist gespeichert."),
        next_url=url_after,
    )


@post(
    f"{BASE}/{{survey_id:int}}/teile/{{section_id:int}}/fragen/neu",
    name="admin.survey.question.create",
    guards=GUARDS,
    opt={"form": (QUESTION_TEMPLATE, QuestionForm)},
)
async def question_create_submit(
    request: Req, db_session: DB, survey_id: FromPath[int], section_id: FromPath[int]
) -> Response[Any] | Template:
    return await _submit_question(request, db_session, survey_id, section_id=section_id)


@get(f"{BASE}/{{survey_id:int}}/fragen/{{question_id:int}}", name="admin.survey.question", guards=GUARDS)
async def question_edit_page(
    request: Req, db_session: DB, survey_id: FromPath[int], question_id: FromPath[int]
) -> Template:
    survey = await _load(db_session, request, survey_id)
    question = _question(survey, question_id)
    section = _section(survey, question.section_id)
    form = QuestionForm.of(question, condition_choices(survey, section.id), poll=survey.is_poll)
    return render(request, QUESTION_TEMPLATE, _question_ctx(survey, section, form, question))


@post(
    f"{BASE}/{{survey_id:int}}/fragen/{{question_id:int}}",
    name="admin.survey.question.update",
    guards=GUARDS,
    opt={"form": (QUESTION_TEMPLATE, QuestionForm)},
)
async def question_update_submit(
    request: Req, db_session: DB, survey_id: FromPath[int], question_id: FromPath[int]
) -> Response[Any] | Template:
    return await _submit_question(request, db_session, survey_id, question_id=question_id)


@post(
    f"{BASE}/{{survey_id:int}}/fragen/{{question_id:int}}/loeschen",
    name="admin.survey.question.delete",
    guards=GUARDS,
)
async def question_delete_submit(
    request: Req, db_session: DB, survey_id: FromPath[int], question_id: FromPath[int]
) -> Response[Any]:
    return await _change(
        request,
        db_session,
        survey_id,
        lambda s: actions.delete_question(db_session, s, _question(s, question_id)),
        _("Die Frage ist gelöscht."),
        "aufbau",
    )


@post(
    f"{BASE}/{{survey_id:int}}/fragen/{{question_id:int}}/verschieben",
    name="admin.survey.question.move",
    guards=GUARDS,
)
async def question_move_submit(
    request: Req, db_session: DB, survey_id: FromPath[int], question_id: FromPath[int]
) -> Response[Any]:
    step = await _step(request)
    return await _change(
        request,
        db_session,
        survey_id,
        lambda s: actions.move_question(db_session, s, _question(s, question_id), step),
        _("Die Reihenfolge ist geändert."),
        f"frage-{question_id}",
    )


# --------------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------------
def _filename(survey: Survey, ext: str) -> str:
    return f"umfrage-{survey.id}-ergebnisse.{ext}"


@get(f"{BASE}/{{survey_id:int}}/export.csv", name="admin.survey.export_csv", guards=GUARDS)
async def survey_export_csv_page(request: Req, db_session: DB, survey_id: FromPath[int]) -> Response[str]:
    survey = await _load(db_session, request, survey_id)
    body = export_csv(survey, await export_rows(db_session, survey))
    return Response(
        body,
        media_type="text/csv",  # Litestar adds "; charset=utf-8" to text/*
        headers={
            "Content-Disposition": f'attachment; filename="{_filename(survey, "csv")}"',
            "Cache-Control": "no-store",
        },
    )


@get(f"{BASE}/{{survey_id:int}}/export.json", name="admin.survey.export_json", guards=GUARDS)
async def survey_export_json_page(request: Req, db_session: DB, survey_id: FromPath[int]) -> Response[str]:
    survey = await _load(db_session, request, survey_id)
    results = await survey_results(db_session, survey, staff=False)
    body = export_json(survey, await export_rows(db_session, survey), results)
    return Response(
        body,
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{_filename(survey, "json")}"',
            "Cache-Control": "no-store",
        },
    )


ROUTES = [
    surveys_admin_page,
    survey_new_page,
    survey_create_submit,
    survey_edit_page,
    survey_update_submit,
    survey_publish_submit,
    survey_close_submit,
    survey_reopen_submit,
    survey_review_submit,
    section_new_page,
    section_create_submit,
    section_edit_page,
    section_update_submit,
    section_delete_submit,
    section_move_submit,
    question_new_page,
    question_create_submit,
    question_edit_page,
    question_update_submit,
    question_delete_submit,
    question_move_submit,
    survey_export_csv_page,
    survey_export_json_page,
]
