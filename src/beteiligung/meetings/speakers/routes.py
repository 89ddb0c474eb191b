"""The speaker list's routes: ask to speak and withdraw; staff call, finish, move and remove.
Each answers the room's ``speakers`` block with htmx, otherwise post/redirect/get."""

from __future__ import annotations

from typing import Any, NoReturn

from litestar import Request, Response, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.accounts.guards import permission_required
from beteiligung.accounts.permissions import Perm
from beteiligung.consultations.permissions import enforce
from beteiligung.db import utcnow
from beteiligung.i18n import gettext as _
from beteiligung.meetings.models import Meeting, MeetingState
from beteiligung.meetings.queries import access_meeting
from beteiligung.meetings.routes import room_response
from beteiligung.meetings.speakers.actions import (
    call_speaker,
    finish_speaker,
    move_speaker,
    remove_speaker,
    request_to_speak,
    withdraw,
)
from beteiligung.meetings.speakers.forms import SpeakForm
from beteiligung.meetings.speakers.queries import speaker_entry, speaker_list
from beteiligung.meetings.views import viewer_of
from beteiligung.web.context import DB
from beteiligung.web.errors import ActionConflict
from beteiligung.web.responses import flash, form_data, is_htmx, redirect_after_post
from beteiligung.web.urls import url

Req = Request[Any, Any, Any]
GUARDS = [permission_required(Perm.CONSULTATION_MANAGE)]


def _conflict(message: str) -> NoReturn:
    raise ActionConflict(detail=message)


async def _answer(
    request: Req,
    db: AsyncSession,
    meeting: Meeting,
    message: str,
    *,
    focus: tuple[int, str] | None = None,
    kind: str = "success",
) -> Response[Any]:
    """Commit the route's change (it also ends the lock the action took when nothing changed),
    then with htmx the speakers block (focus on ``(entry id, control)``), else back to the room."""
    await db.commit()
    if is_htmx(request):
        extra = {"speaker_focus": focus} if focus else None
        return await room_response(request, db, meeting, block="speakers", announce=message, extra=extra)
    flash(request, message, kind)
    return redirect_after_post(
        request, url("meetings.room", meeting_id=meeting.id, anchor=f"meeting-{meeting.id}-speakers")
    )


@post("/veranstaltungen/{meeting_id:int}/redeliste", name="meetings.speakers")
async def speakers_submit(request: Req, db_session: DB, meeting_id: FromPath[int]) -> Response[Any]:
    """``aktion=melden`` (with ``geschaeftsordnung``) or ``aktion=zurueckziehen``."""
    meeting = await access_meeting(db_session, request.state.org.id, meeting_id)
    viewer = await viewer_of(request, db_session, meeting, utcnow())
    enforce(viewer.why_not("speak", meeting))
    participant = viewer.participant
    if participant is None:  # why_not("speak") lets only participants through
        raise NotFoundException()
    data = await form_data(request)
    action = str(data.get("aktion") or "")
    if action == "melden":
        form = SpeakForm(data)
        point_of_order = form.validate() and bool(form.cleaned["geschaeftsordnung"])
        entry, created = await request_to_speak(
            db_session, meeting, participant, point_of_order=point_of_order
        )
        place = (await speaker_list(db_session, meeting.id)).place_of(participant.voter_key)
        if not created:
            message = _("Sie stehen bereits auf der Redeliste (Nr. %(place)s).", place=place)
            return await _answer(request, db_session, meeting, message, focus=(entry.id, "own"), kind="info")
        if entry.point_of_order:
            message = _(
                "Ihre Wortmeldung zur Geschäftsordnung ist eingetragen: Sie sind Nr. %(place)s.", place=place
            )
        else:
            message = _(
                "Ihre Wortmeldung ist eingetragen: Sie sind Nr. %(place)s auf der Redeliste.", place=place
            )
        return await _answer(request, db_session, meeting, message, focus=(entry.id, "own"))
    if action == "zurueckziehen":
        if await withdraw(db_session, meeting, participant):
            message = _("Sie haben Ihre Wortmeldung zurückgezogen.")
            return await _answer(request, db_session, meeting, message, focus=(0, "speak"))
        message = _("Sie stehen nicht auf der Redeliste.")
        return await _answer(request, db_session, meeting, message, focus=(0, "speak"), kind="info")
    _conflict(_("Unbekannte Aktion."))


async def _staff_meeting(request: Req, db: AsyncSession, meeting_id: int) -> Meeting:
    meeting = await access_meeting(db, request.state.org.id, meeting_id)
    if meeting.state != MeetingState.LIVE:
        _conflict(_("Die Redeliste ist nur geöffnet, während die Veranstaltung läuft."))
    return meeting


@post("/verwaltung/veranstaltungen/{meeting_id:int}/redeliste", name="admin.meeting.speakers", guards=GUARDS)
async def speakers_admin_submit(request: Req, db_session: DB, meeting_id: FromPath[int]) -> Response[Any]:
    """``aktion=naechste``: the first waiting entry gets the floor."""
    meeting = await _staff_meeting(request, db_session, meeting_id)
    action = str((await form_data(request)).get("aktion") or "")
    if action != "naechste":
        _conflict(_("Unbekannte Aktion."))
    entry = await call_speaker(db_session, meeting, None, utcnow())
    if entry is None:
        _conflict(_("Niemand wartet auf das Wort."))
    message = _("%(name)s hat das Wort.", name=entry.display_name)
    return await _answer(request, db_session, meeting, message, focus=(entry.id, "beenden"))


@post(
    "/verwaltung/veranstaltungen/{meeting_id:int}/redeliste/{speaker_id:int}",
    name="admin.meeting.speaker",
    guards=GUARDS,
)
async def speaker_admin_submit(
    request: Req, db_session: DB, meeting_id: FromPath[int], speaker_id: FromPath[int]
) -> Response[Any]:
    """``aktion=aufrufen|hoch|runter|entfernen|beenden`` for one entry of the list."""
    meeting = await _staff_meeting(request, db_session, meeting_id)
    entry = await speaker_entry(db_session, meeting, speaker_id)
    if entry is None:
        raise NotFoundException()
    name = entry.display_name
    action = str((await form_data(request)).get("aktion") or "")
    now = utcnow()
    if action == "aufrufen":
        if await call_speaker(db_session, meeting, speaker_id, now) is None:
            _conflict(_("%(name)s wartet nicht mehr auf das Wort.", name=name))
        message = _("%(name)s hat das Wort.", name=name)
        return await _answer(request, db_session, meeting, message, focus=(speaker_id, "beenden"))
    if action in ("hoch", "runter"):
        place = await move_speaker(db_session, meeting, speaker_id, -1 if action == "hoch" else 1)
        if place is None:
            _conflict(
                _("%(name)s steht bereits ganz oben.", name=name)
                if action == "hoch"
                else _("%(name)s steht bereits ganz unten.", name=name)
            )
        message = _("%(name)s ist jetzt Nr. %(place)s der Redeliste.", name=name, place=place)
        return await _answer(request, db_session, meeting, message, focus=(speaker_id, action))
    if action == "entfernen":
        if await remove_speaker(db_session, meeting, speaker_id) is None:
            _conflict(_("%(name)s wartet nicht mehr auf das Wort.", name=name))
        message = _("%(name)s ist von der Redeliste genommen.", name=name)
        return await _answer(request, db_session, meeting, message, focus=(0, "list"))
    if action == "beenden":
        if await finish_speaker(db_session, meeting, speaker_id, now) is None:
            _conflict(_("%(name)s hat gerade nicht das Wort.", name=name))
        message = _("Der Redebeitrag von %(name)s ist beendet.", name=name)
        return await _answer(request, db_session, meeting, message, focus=(0, "naechste"))
    _conflict(_("Unbekannte Aktion."))


ROUTES: list[Any] = [speakers_submit, speakers_admin_submit, speaker_admin_submit]
