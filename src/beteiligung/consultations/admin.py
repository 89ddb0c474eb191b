"""Staff pages for consultations: list, create, edit, publish, close, reopen; the phases.

Every route needs ``org:consultations:manage`` (staff and admins) and looks consultations up in
the visitor's organisation only. Forms work as plain POST with post/redirect/get, and with htmx
swap their own ``{% block form %}``. See docs/participation.md, "Verwaltung".
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.accounts.guards import permission_required
from beteiligung.accounts.permissions import Perm
from beteiligung.consultations import actions, queries
from beteiligung.consultations.actions import phase_name
from beteiligung.consultations.forms import ConsultationForm, PhaseForm
from beteiligung.consultations.models import STATUS_NAMES, Consultation, ConsultationStatus, Phase
from beteiligung.consultations.phases import PHASE_FEATURES, PHASE_NAMES, Feature
from beteiligung.db import utcnow
from beteiligung.i18n import gettext as _
from beteiligung.i18n import lazy
from beteiligung.web.context import DB
from beteiligung.web.errors import Refused
from beteiligung.web.responses import flash, form_data, redirect_after_post, render, submit_form
from beteiligung.web.urls import url

Req = Request[Any, Any, Any]

GUARDS = [permission_required(Perm.CONSULTATION_MANAGE)]
BASE = "/verwaltung/vorhaben"
LIST_TEMPLATE = "admin/consultations/list.html"
NEW_TEMPLATE = "admin/consultations/new.html"
EDIT_TEMPLATE = "admin/consultations/edit.html"
PHASE_TEMPLATE = "admin/consultations/phase.html"

# What residents may do in a phase, as staff read it on the phase form.
FEATURE_LABELS: dict[Feature, str] = {
    Feature.COMMENT: lazy("Kommentieren"),
    Feature.PROPOSE: lazy("Vorschläge einreichen"),
    Feature.SUPPORT: lazy("Vorschläge unterstützen"),
    Feature.SURVEY: lazy("An Umfragen teilnehmen"),
}

STATUS_BADGES: dict[ConsultationStatus, str] = {
    ConsultationStatus.DRAFT: "warning",
    ConsultationStatus.PUBLISHED: "success",
    ConsultationStatus.CLOSED: "info",
}


def _edit_url(consultation: Consultation) -> str:
    return url("admin.consultation", slug=consultation.slug)


def _common() -> dict[str, Any]:
    """Names the templates show (msgids, translated there)."""
    return {
        "STATUS_NAMES": STATUS_NAMES,
        "STATUS_BADGES": STATUS_BADGES,
        "PHASE_NAMES": PHASE_NAMES,
        "phase_name": phase_name,
        "now": utcnow(),
    }


async def _load(db: AsyncSession, request: Req, slug: str) -> Consultation:
    consultation = await queries.staff_get_consultation(db, request.state.org.id, slug)
    if consultation is None:
        raise NotFoundException(f"no consultation {slug}")
    return consultation


def _phase_of(consultation: Consultation, phase_id: int) -> Phase:
    for phase in consultation.phases:
        if phase.id == phase_id:
            return phase
    raise NotFoundException(f"no phase {phase_id}")


async def _topics(db: AsyncSession, request: Req) -> dict[str, Any]:
    """The organisation's topics, offered on the form so staff reuse them."""
    return {"known_topics": await queries.staff_list_topics(db, request.state.org.id)}


def _phase_help() -> list[tuple[str, list[str]]]:
    return [
        (name, [FEATURE_LABELS[f] for f in FEATURE_LABELS if f in PHASE_FEATURES[kind]])
        for kind, name in PHASE_NAMES.items()
    ]


# --------------------------------------------------------------------------------------------
# List and create
# --------------------------------------------------------------------------------------------
@get(BASE, name="admin.consultations", guards=GUARDS)
async def consultations_page(request: Req, db_session: DB) -> Template:
    consultations = await queries.staff_list_consultations(db_session, request.state.org.id)
    return render(request, LIST_TEMPLATE, {"consultations": consultations, **_common()})


@get(f"{BASE}/neu", name="admin.consultation.new", guards=GUARDS)
async def consultation_new_page(request: Req, db_session: DB) -> Template:
    return render(request, NEW_TEMPLATE, {"form": ConsultationForm(), **await _topics(db_session, request)})


@post(
    f"{BASE}/neu",
    name="admin.consultation.create",
    guards=GUARDS,
    opt={"form": (NEW_TEMPLATE, ConsultationForm)},
)
async def consultation_create_submit(request: Req, db_session: DB) -> Response[Any] | Template:
    async def create(values: dict[str, Any]) -> Consultation:
        return await actions.create_consultation(
            db_session, org_id=request.state.org.id, now=utcnow(), **values
        )

    return await submit_form(
        request,
        db_session,
        ConsultationForm(await form_data(request)),
        template=NEW_TEMPLATE,
        context=await _topics(db_session, request),
        action=create,
        done=lambda consultation: _(
            "Das Beteiligungsverfahren „%(title)s“ ist als Entwurf angelegt. "
            "Legen Sie jetzt die Phasen an und veröffentlichen Sie es dann.",
            title=consultation.title,
        ),
        next_url=_edit_url,
    )


# --------------------------------------------------------------------------------------------
# Edit, publish, close, reopen
# --------------------------------------------------------------------------------------------
async def _edit_context(
    db: AsyncSession, request: Req, consultation: Consultation, form: ConsultationForm
) -> dict[str, Any]:
    return {"consultation": consultation, "form": form, **await _topics(db, request), **_common()}


@get(f"{BASE}/{{slug:str}}", name="admin.consultation", guards=GUARDS)
async def consultation_edit_page(request: Req, db_session: DB, slug: FromPath[str]) -> Template:
    consultation = await _load(db_session, request, slug)
    ctx = await _edit_context(db_session, request, consultation, ConsultationForm.of(consultation))
    return render(request, EDIT_TEMPLATE, ctx)


@post(
    f"{BASE}/{{slug:str}}",
    name="admin.consultation.update",
    guards=GUARDS,
    opt={"form": (EDIT_TEMPLATE, ConsultationForm)},
)
async def consultation_update_submit(
    request: Req, db_session: DB, slug: FromPath[str]
) -> Response[Any] | Template:
    consultation = await _load(db_session, request, slug)

    async def update(values: dict[str, Any]) -> Consultation:
        return await actions.update_consultation(db_session, consultation, now=utcnow(), **values)

    async def context(form: ConsultationForm) -> dict[str, Any]:
        return await _edit_context(db_session, request, consultation, form)

    return await submit_form(
        request,
        db_session,
        ConsultationForm(await form_data(request)),
        template=EDIT_TEMPLATE,
        context=context,
        action=update,
        done=lambda changed: _("Die Änderungen an „%(title)s“ sind gespeichert.", title=changed.title),
        next_url=_edit_url,
    )


async def _button(
    request: Req, db: AsyncSession, action: Callable[[], Awaitable[Any]], done: str, back: str
) -> Response[Any]:
    """A button (status change, phase deletion): run the action and commit; a refusal comes
    back as a message on the page it returns to (post/redirect/get), and nothing is kept."""
    try:
        await action()
    except Refused as refusal:
        await db.rollback()
        flash(request, refusal.message, kind="danger")
    else:
        await db.commit()
        flash(request, done)
    return redirect_after_post(request, back)


def _status_button(
    segment: str,
    name: str,
    action: Callable[[AsyncSession, Consultation, datetime], Awaitable[None]],
    done: str,
) -> Any:
    """The route of one status button (publish, close, reopen): ``POST …/{slug}/{segment}``."""

    @post(f"{BASE}/{{slug:str}}/{segment}", name=name, guards=GUARDS)
    async def change_status(request: Req, db_session: DB, slug: FromPath[str]) -> Response[Any]:
        consultation = await _load(db_session, request, slug)
        return await _button(
            request,
            db_session,
            lambda: action(db_session, consultation, utcnow()),
            _(done, title=consultation.title),
            _edit_url(consultation),
        )

    return change_status


consultation_publish_submit = _status_button(
    "veroeffentlichen",
    "admin.consultation.publish",
    actions.publish_consultation,
    lazy("„%(title)s“ ist veröffentlicht und für alle sichtbar."),
)
consultation_close_submit = _status_button(
    "schliessen",
    "admin.consultation.close",
    actions.close_consultation,
    lazy("„%(title)s“ ist abgeschlossen. Es bleibt sichtbar, Beiträge sind nicht mehr möglich."),
)
consultation_reopen_submit = _status_button(
    "wieder-oeffnen",
    "admin.consultation.reopen",
    actions.reopen_consultation,
    lazy("„%(title)s“ läuft wieder; was möglich ist, bestimmen die Phasen."),
)


# --------------------------------------------------------------------------------------------
# Phases
# --------------------------------------------------------------------------------------------
def _phase_context(consultation: Consultation, form: PhaseForm, phase: Phase | None = None) -> dict[str, Any]:
    return {
        "consultation": consultation,
        "form": form,
        "phase": phase,
        "phase_help": _phase_help(),
        **_common(),
    }


def _phases_url(consultation: Consultation) -> str:
    return url("admin.consultation", slug=consultation.slug, anchor="phasen")


@get(f"{BASE}/{{slug:str}}/phasen/neu", name="admin.phase.new", guards=GUARDS)
async def phase_new_page(request: Req, db_session: DB, slug: FromPath[str]) -> Template:
    consultation = await _load(db_session, request, slug)
    initial: dict[str, Any] = {}
    if consultation.phases:  # the new phase most likely follows the last one
        initial["starts_at"] = consultation.phases[-1].ends_at
    form = PhaseForm(initial=initial, phases=consultation.phases)
    return render(request, PHASE_TEMPLATE, _phase_context(consultation, form))


@post(
    f"{BASE}/{{slug:str}}/phasen/neu",
    name="admin.phase.create",
    guards=GUARDS,
    opt={"form": (PHASE_TEMPLATE, PhaseForm)},
)
async def phase_create_submit(request: Req, db_session: DB, slug: FromPath[str]) -> Response[Any] | Template:
    return await _phase_submit(request, db_session, slug, None)


async def _phase_submit(
    request: Req, db: AsyncSession, slug: str, phase_id: int | None
) -> Response[Any] | Template:
    """The phase form, new (``phase_id`` None) or an existing phase's. A refusal from the action
    (a phase added meanwhile in another tab overlaps) comes back beside its field."""
    consultation = await _load(db, request, slug)
    phase = None if phase_id is None else _phase_of(consultation, phase_id)

    async def save(values: dict[str, Any]) -> Phase:
        if phase is None:
            return await actions.add_phase(db, consultation, **values)
        return await actions.update_phase(db, consultation, phase, **values)

    async def context(form: PhaseForm) -> dict[str, Any]:
        # Loaded again: after a refusal the rollback expired what the route had loaded.
        again = await _load(db, request, slug)
        return _phase_context(again, form, None if phase_id is None else _phase_of(again, phase_id))

    done = (
        lazy("Die Phase „%(phase)s“ ist angelegt.")
        if phase is None
        else lazy("Die Phase „%(phase)s“ ist gespeichert.")
    )
    return await submit_form(
        request,
        db,
        PhaseForm(await form_data(request), phases=consultation.phases, phase_id=phase_id),
        template=PHASE_TEMPLATE,
        context=context,
        action=save,
        done=lambda saved: _(done, phase=phase_name(saved)),
        next_url=_phases_url(consultation),
    )


@get(f"{BASE}/{{slug:str}}/phasen/{{phase_id:int}}", name="admin.phase", guards=GUARDS)
async def phase_edit_page(
    request: Req, db_session: DB, slug: FromPath[str], phase_id: FromPath[int]
) -> Template:
    consultation = await _load(db_session, request, slug)
    phase = _phase_of(consultation, phase_id)
    form = PhaseForm.of(phase, consultation.phases)
    return render(request, PHASE_TEMPLATE, _phase_context(consultation, form, phase))


@post(
    f"{BASE}/{{slug:str}}/phasen/{{phase_id:int}}",
    name="admin.phase.update",
    guards=GUARDS,
    opt={"form": (PHASE_TEMPLATE, PhaseForm)},
)
async def phase_update_submit(
    request: Req, db_session: DB, slug: FromPath[str], phase_id: FromPath[int]
) -> Response[Any] | Template:
    return await _phase_submit(request, db_session, slug, phase_id)


@post(f"{BASE}/{{slug:str}}/phasen/{{phase_id:int}}/loeschen", name="admin.phase.delete", guards=GUARDS)
async def phase_delete_submit(
    request: Req, db_session: DB, slug: FromPath[str], phase_id: FromPath[int]
) -> Response[Any]:
    consultation = await _load(db_session, request, slug)
    phase = _phase_of(consultation, phase_id)
    return await _button(
        request,
        db_session,
        lambda: actions.delete_phase(db_session, consultation, phase),
        _("Die Phase „%(phase)s“ ist gelöscht.", phase=phase_name(phase)),
        _phases_url(consultation),
    )


ROUTES = [
    consultations_page,
    consultation_new_page,
    consultation_create_submit,
    consultation_edit_page,
    consultation_update_submit,
    consultation_publish_submit,
    consultation_close_submit,
    consultation_reopen_submit,
    phase_new_page,
    phase_create_submit,
    phase_edit_page,
    phase_update_submit,
    phase_delete_submit,
]
