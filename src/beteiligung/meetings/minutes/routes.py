"""The minutes' pages: the public page and Markdown file, the staff page (edit, draft anew,
publish, withdraw)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.accounts.guards import permission_required
from beteiligung.accounts.permissions import Perm
from beteiligung.consultations.permissions import enforce
from beteiligung.db import utcnow
from beteiligung.i18n import gettext as _
from beteiligung.live.events import MeetingStateChanged
from beteiligung.live.publish import queue_event
from beteiligung.meetings.minutes.document import draft_minutes, minutes_document
from beteiligung.meetings.minutes.forms import MinutesForm, RegenerateForm
from beteiligung.meetings.minutes.permissions import why_not_edit_minutes
from beteiligung.meetings.models import (
    Meeting,
    MeetingState,
)
from beteiligung.meetings.permissions import is_staff
from beteiligung.meetings.queries import access_meeting, consultation_of
from beteiligung.web.context import DB
from beteiligung.web.errors import ActionConflict
from beteiligung.web.responses import flash, form_data, redirect_after_post, render
from beteiligung.web.urls import url

Req = Request[Any, Any, Any]
PUBLIC_TEMPLATE = "meetings/minutes.html"
ADMIN_TEMPLATE = "admin/meetings/minutes.html"


def _visible(request: Req, meeting: Meeting) -> bool:
    """Published minutes are public; staff also see the draft."""
    staff = is_staff(request.state.actor)
    if meeting.minutes_published_at is None and not staff:
        raise NotFoundException()
    return staff


@get("/veranstaltungen/{meeting_id:int}/protokoll", name="meetings.minutes")
async def meeting_minutes_page(request: Req, db_session: DB, meeting_id: FromPath[int]) -> Template:
    meeting = await access_meeting(db_session, request.state.org.id, meeting_id)
    staff = _visible(request, meeting)
    return render(
        request,
        PUBLIC_TEMPLATE,
        {
            "meeting": meeting,
            "consultation": await consultation_of(db_session, meeting),
            "staff": staff,
            "draft": meeting.minutes_published_at is None,
            "ended": meeting.state == MeetingState.ENDED,
        },
    )


@get("/veranstaltungen/{meeting_id:int}/protokoll.md", name="meetings.minutes_file")
async def meeting_minutes_file(request: Req, db_session: DB, meeting_id: FromPath[int]) -> Response[str]:
    meeting = await access_meeting(db_session, request.state.org.id, meeting_id)
    _visible(request, meeting)
    draft = "-entwurf" if meeting.minutes_published_at is None else ""
    return Response(
        minutes_document(meeting),
        media_type="text/markdown",  # Litestar adds "; charset=utf-8" to text/*
        headers={
            "Content-Disposition": f'attachment; filename="protokoll-veranstaltung-{meeting.id}{draft}.md"',
            "Cache-Control": "no-store" if draft else "no-cache",
        },
    )


def _admin_url(meeting: Meeting) -> str:
    return url("admin.meeting.minutes", meeting_id=meeting.id)


def _admin_page(
    request: Req,
    meeting: Meeting,
    *,
    form: MinutesForm | None = None,
    regenerate: RegenerateForm | None = None,
    block: str | None = None,
    status: int = 200,
) -> Template:
    return render(
        request,
        ADMIN_TEMPLATE,
        {
            "meeting": meeting,
            "form": form or MinutesForm(initial={"minutes": meeting.minutes}),
            "regenerate_form": regenerate or RegenerateForm(),
            "action": _admin_url(meeting),
        },
        block=block,
        status=status,
    )


async def _staff_meeting(request: Req, db: AsyncSession, meeting_id: int) -> Meeting:
    meeting = await access_meeting(db, request.state.org.id, meeting_id)
    enforce(why_not_edit_minutes(meeting))
    return meeting


GUARDS = [permission_required(Perm.CONSULTATION_MANAGE)]


@get("/verwaltung/veranstaltungen/{meeting_id:int}/protokoll", name="admin.meeting.minutes", guards=GUARDS)
async def meeting_minutes_admin_page(request: Req, db_session: DB, meeting_id: FromPath[int]) -> Template:
    meeting = await _staff_meeting(request, db_session, meeting_id)
    return _admin_page(request, meeting)


@post(
    "/verwaltung/veranstaltungen/{meeting_id:int}/protokoll",
    name="admin.meeting.minutes.submit",
    guards=GUARDS,
)
async def meeting_minutes_submit(request: Req, db_session: DB, meeting_id: FromPath[int]) -> Response[Any]:
    """``aktion``: ``speichern`` (the text), ``veroeffentlichen`` (save the text if sent, then
    publish), ``neu`` (draft anew from the data, with ``bestaetigen``) or ``zurueckziehen``."""
    meeting = await _staff_meeting(request, db_session, meeting_id)
    values = await form_data(request)
    action = str(values.get("aktion") or "")
    now = utcnow()
    published = meeting.minutes_published_at is not None

    if action == "neu":
        regenerate = RegenerateForm(values)
        if not regenerate.validate():
            return _admin_page(request, meeting, regenerate=regenerate, block="regenerate", status=422)
        meeting.minutes = await draft_minutes(db_session, meeting)
        message = _("Der Entwurf ist aus den Daten der Veranstaltung neu erzeugt.")
    elif action in ("speichern", "veroeffentlichen"):
        form = MinutesForm({"minutes": meeting.minutes, **values})
        if form.validate() and action == "veroeffentlichen" and not form.cleaned["minutes"]:
            form.add_error("minutes", _("Ein leeres Protokoll kann nicht veröffentlicht werden."))
        if form.has_errors:
            return _admin_page(request, meeting, form=form, block="form", status=422)
        meeting.minutes = form.cleaned["minutes"]
        if action == "veroeffentlichen" and not published:
            meeting.minutes_published_at = now
            message = _("Das Protokoll ist veröffentlicht.")
        else:
            message = _("Das Protokoll ist gespeichert.")
    elif action == "zurueckziehen":
        if not published:
            raise ActionConflict(detail=_("Das Protokoll ist nicht veröffentlicht."))
        meeting.minutes_published_at = None
        message = _("Das Protokoll ist zurückgezogen. Nur die Verwaltung sieht es jetzt.")
    else:
        raise ActionConflict(detail=_("Unbekannte Aktion."))
    if published or meeting.minutes_published_at is not None:
        # Published minutes appeared, changed or went: the room's pages may link them.
        queue_event(db_session, MeetingStateChanged(meeting_id=meeting.id))
    await db_session.commit()
    flash(request, message)
    return redirect_after_post(request, _admin_url(meeting))


ROUTES: list[Any] = [
    meeting_minutes_page,
    meeting_minutes_file,
    meeting_minutes_admin_page,
    meeting_minutes_submit,
]
