"""Staff pages for surveys: list, create, settings, sections and questions (with conditions,
moved with up/down buttons), publish / close / reopen, the free-text review, CSV and JSON export.

Every route needs ``org:consultations:manage`` and looks surveys up in the visitor's
organisation only (another organisation's id is 404). Forms post normally (post/redirect/get)
and with htmx swap their own ``{% block form %}``. See docs/surveys.md.
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
from beteiligung.surveys.actions import SurveyError, condition_choices
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
from beteiligung.web.responses import flash, redirect_after_post, render

Req = Request[Any, Any, Any]
GUARDS = [permission_required(Perm.CONSULTATION_MANAGE)]
BASE = "/verwaltung/umfragen"
LIST_TEMPLATE = "admin/surveys/list.html"
NEW_TEMPLATE = "admin/surveys/new.html"
EDIT_TEMPLATE = "admin/surveys/edit.html"
SECTION_TEMPLATE = "admin/surveys/section.html"
QUESTION_TEMPLATE = "admin/surveys/question.html"


def _url(survey: Survey) -> str:
    return f"{BASE}/{survey.id}"


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
        from beteiligung.web.forms import Field

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
async def survey_create_submit(request: Req, db_session: DB) -> Response[Any]:
    consultations = await _consultations(db_session, request.state.org.id)
    form = NewSurveyForm(dict((await request.form()).items()), consultations=consultations)
    if not form.validate():
        return render(request, NEW_TEMPLATE, {"form": form}, block="form", status=422)
    consultation = next(c for c in consultations if c.slug == form.cleaned["consultation"])
    survey = await actions.create_survey(
        db_session,
        consultation=consultation,
        kind=SurveyKind(form.cleaned["kind"]),
        **_settings(form.cleaned),
    )
    flash(
        request,
        _(
            "Die Umfrage „%(title)s“ ist als Entwurf angelegt. Fügen Sie jetzt Fragen hinzu.",
            title=survey.title,
        ),
    )
    return redirect_after_post(request, _url(survey))


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
async def survey_update_submit(request: Req, db_session: DB, survey_id: FromPath[int]) -> Response[Any]:
    survey = await _load(db_session, request, survey_id)
    form = SurveySettingsForm(dict((await request.form()).items()))
    if not form.validate():
        ctx = await _edit_context(db_session, survey, form)
        return render(request, EDIT_TEMPLATE, ctx, block="form", status=422)
    await actions.update_survey(db_session, survey, **_settings(form.cleaned))
    flash(request, _("Die Einstellungen sind gespeichert."))
    return redirect_after_post(request, _url(survey))


async def _change(
    request: Req,
    db: AsyncSession,
    survey_id: int,
    action: Callable[..., Awaitable[Any]],
    done: str,
    anchor: str = "",
) -> Response[Any]:
    """Run a change; a refusal comes back as a message on the edit page (post/redirect/get)."""
    survey = await _load(db, request, survey_id)
    url = _url(survey) + anchor  # before the action: a rollback expires the survey
    try:
        await action(survey)
    except SurveyError as exc:
        await db.rollback()
        flash(request, exc.message, kind="danger")
    else:
        flash(request, done)
    return redirect_after_post(request, url)


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
    survey = await _load(db_session, request, survey_id)
    if not await actions.review_answer(db_session, survey, answer_id, review):
        raise NotFoundException()
    flash(
        request,
        _("Die Antwort ist freigegeben.")
        if review == Review.RELEASED
        else _("Die Antwort wird nicht veröffentlicht."),
    )
    return redirect_after_post(request, _url(survey) + "#pruefung")


# --------------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------------
@get(f"{BASE}/{{survey_id:int}}/teile/neu", name="admin.survey.section.new", guards=GUARDS)
async def section_new_page(request: Req, db_session: DB, survey_id: FromPath[int]) -> Template:
    survey = await _load(db_session, request, survey_id)
    return render(request, SECTION_TEMPLATE, {"survey": survey, "form": SectionForm(), "section": None})


@post(
    f"{BASE}/{{survey_id:int}}/teile/neu",
    name="admin.survey.section.create",
    guards=GUARDS,
    opt={"form": (SECTION_TEMPLATE, SectionForm)},
)
async def section_create_submit(request: Req, db_session: DB, survey_id: FromPath[int]) -> Response[Any]:
    survey = await _load(db_session, request, survey_id)
    form = SectionForm(dict((await request.form()).items()))
    if form.validate():
        try:
            await actions.add_section(db_session, survey, **form.cleaned)
        except SurveyError as exc:
            form.add_error(exc.field, exc.message)
        else:
            flash(request, _("Der Teil „%(title)s“ ist angelegt.", title=form.cleaned["title"]))
            return redirect_after_post(request, _url(survey) + "#aufbau")
    ctx = {"survey": survey, "form": form, "section": None}
    return render(request, SECTION_TEMPLATE, ctx, block="form", status=422)


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
) -> Response[Any]:
    survey = await _load(db_session, request, survey_id)
    section = _section(survey, section_id)
    form = SectionForm(dict((await request.form()).items()))
    if not form.validate():
        return render(
            request,
            SECTION_TEMPLATE,
            {"survey": survey, "form": form, "section": section},
            block="form",
            status=422,
        )
    await actions.update_section(db_session, survey, section, **form.cleaned)
    flash(request, _("Der Teil „%(title)s“ ist gespeichert.", title=section.title))
    return redirect_after_post(request, _url(survey) + "#aufbau")


@post(
    f"{BASE}/{{survey_id:int}}/teile/{{section_id:int}}/loeschen",
    name="admin.survey.section.delete",
    guards=GUARDS,
)
async def section_delete_submit(
    request: Req, db_session: DB, survey_id: FromPath[int], section_id: FromPath[int]
) -> Response[Any]:
    async def run(survey: Survey) -> None:
        await actions.delete_section(db_session, survey, _section(survey, section_id))

    return await _change(request, db_session, survey_id, run, _("Der Teil ist gelöscht."), "#aufbau")


def _step(request_data: dict[str, Any]) -> int:
    return -1 if request_data.get("richtung") == "hoch" else 1


@post(
    f"{BASE}/{{survey_id:int}}/teile/{{section_id:int}}/verschieben",
    name="admin.survey.section.move",
    guards=GUARDS,
)
async def section_move_submit(
    request: Req, db_session: DB, survey_id: FromPath[int], section_id: FromPath[int]
) -> Response[Any]:
    step = _step(dict((await request.form()).items()))

    async def run(survey: Survey) -> None:
        await actions.move_section(db_session, survey, _section(survey, section_id), step)

    return await _change(
        request, db_session, survey_id, run, _("Die Reihenfolge ist geändert."), f"#teil-{section_id}"
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


@post(
    f"{BASE}/{{survey_id:int}}/teile/{{section_id:int}}/fragen/neu",
    name="admin.survey.question.create",
    guards=GUARDS,
    opt={"form": (QUESTION_TEMPLATE, QuestionForm)},
)
async def question_create_submit(
    request: Req, db_session: DB, survey_id: FromPath[int], section_id: FromPath[int]
) -> Response[Any]:
    survey = await _load(db_session, request, survey_id)
    section = _section(survey, section_id)
    form = QuestionForm(
        dict((await request.form()).items()),
        conditions=condition_choices(survey, section.id),
        poll=survey.is_poll,
    )
    if form.validate():
        try:
            await actions.add_question(db_session, survey, section, **form.values())
        except SurveyError as exc:  # refused before anything was written
            form.add_error(exc.field, exc.message)
        else:
            flash(request, _("Die Frage ist angelegt."))
            return redirect_after_post(request, _url(survey) + f"#teil-{section.id}")
    return render(
        request, QUESTION_TEMPLATE, _question_ctx(survey, section, form, None), block="form", status=422
    )


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
) -> Response[Any]:
    survey = await _load(db_session, request, survey_id)
    question = _question(survey, question_id)
    section = _section(survey, question.section_id)
    form = QuestionForm(
        dict((await request.form()).items()),
        conditions=condition_choices(survey, section.id),
        poll=survey.is_poll,
    )
    if form.validate():
        try:
            await actions.update_question(db_session, survey, question, **form.values())
        except SurveyError as exc:  # refused before anything was written
            form.add_error(exc.field, exc.message)
        else:
            flash(request, _("Die Frage ist gespeichert."))
            return redirect_after_post(request, _url(survey) + f"#frage-{question.id}")
    return render(
        request, QUESTION_TEMPLATE, _question_ctx(survey, section, form, question), block="form", status=422
    )


@post(
    f"{BASE}/{{survey_id:int}}/fragen/{{question_id:int}}/loeschen",
    name="admin.survey.question.delete",
    guards=GUARDS,
)
async def question_delete_submit(
    request: Req, db_session: DB, survey_id: FromPath[int], question_id: FromPath[int]
) -> Response[Any]:
    async def run(survey: Survey) -> None:
        await actions.delete_question(db_session, survey, _question(survey, question_id))

    return await _change(request, db_session, survey_id, run, _("Die Frage ist gelöscht."), "#aufbau")


@post(
    f"{BASE}/{{survey_id:int}}/fragen/{{question_id:int}}/verschieben",
    name="admin.survey.question.move",
    guards=GUARDS,
)
async def question_move_submit(
    request: Req, db_session: DB, survey_id: FromPath[int], question_id: FromPath[int]
) -> Response[Any]:
    step = _step(dict((await request.form()).items()))

    async def run(survey: Survey) -> None:
        await actions.move_question(db_session, survey, _question(survey, question_id), step)

    return await _change(
        request, db_session, survey_id, run, _("Die Reihenfolge ist geändert."), f"#frage-{question_id}"
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
