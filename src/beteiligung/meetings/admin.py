"""Staff pages and controls of the meetings: list, create, edit (settings and agenda), start /
end, move through the agenda. Every route needs ``org:consultations:manage``; meetings of other
organisations are 404. The room's controls post here and, with htmx, get the room's own block
back (see routes.room_response)."""

from __future__ import annotations

from typing import Any, ClassVar

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.accounts.guards import permission_required
from beteiligung.accounts.permissions import Perm
from beteiligung.consultations.models import Consultation
from beteiligung.consultations.permissions import enforce
from beteiligung.db import utcnow
from beteiligung.i18n import gettext as _
from beteiligung.meetings import actions
from beteiligung.meetings.forms import MeetingForm
from beteiligung.meetings.models import STATE_NAMES, Meeting, MeetingState
from beteiligung.meetings.permissions import why_not_change_state
from beteiligung.meetings.queries import get_meeting, list_meetings
from beteiligung.meetings.routes import meeting_url, room_response
from beteiligung.organisations.models import Organisation
from beteiligung.web.context import DB
from beteiligung.web.forms import Field, Form
from beteiligung.web.middleware import ORIGIN_RE
from beteiligung.web.responses import flash, is_htmx, redirect_after_post, render

Req = Request[Any, Any, Any]
GUARDS = [permission_required(Perm.CONSULTATION_MANAGE)]
BASE = "/verwaltung/veranstaltungen"
LIST_TEMPLATE = "admin/meetings/list.html"
FORM_TEMPLATE = "admin/meetings/form.html"


async def _consultations(db: AsyncSession, org_id: int) -> list[Consultation]:
    stmt = select(Consultation).where(Consultation.organisation_id == org_id).order_by(Consultation.title)
    return list((await db.scalars(stmt)).all())


async def load_meeting(db: AsyncSession, request: Req, meeting_id: int) -> Meeting:
    meeting = await get_meeting(db, request.state.org.id, meeting_id)
    if meeting is None:
        raise NotFoundException()
    return meeting


@get(BASE, name="admin.meetings", guards=GUARDS)
async def meetings_admin_page(request: Req, db_session: DB) -> Template:
    meetings = await list_meetings(db_session, request.state.org.id)
    return render(request, LIST_TEMPLATE, {"meetings": meetings, "STATE_NAMES": STATE_NAMES})


@get(f"{BASE}/neu", name="admin.meeting.new", guards=GUARDS)
async def meeting_new_page(request: Req, db_session: DB) -> Template:
    consultations = await _consultations(db_session, request.state.org.id)
    initial = {
        "speaking_seconds": "180",
        "question_moderation": "pre",
        "format": "online",
        "video_kind": "none",
    }
    return render(
        request,
        FORM_TEMPLATE,
        {"form": MeetingForm(initial=initial, consultations=consultations), "meeting": None},
    )


@post(f"{BASE}/neu", name="admin.meeting.create", guards=GUARDS, opt={"form": (FORM_TEMPLATE, MeetingForm)})
async def meeting_create_submit(request: Req, db_session: DB) -> Response[Any]:
    consultations = await _consultations(db_session, request.state.org.id)
    form = MeetingForm(dict((await request.form()).items()), consultations=consultations)
    if not form.validate():
        return render(request, FORM_TEMPLATE, {"form": form, "meeting": None}, block="form", status=422)
    meeting = await actions.create_meeting(
        db_session, org_id=request.state.org.id, agenda=form.cleaned["agenda"] or "", values=form.values()
    )
    flash(request, _("Die Veranstaltung „%(title)s“ ist angelegt.", title=meeting.title))
    return redirect_after_post(request, meeting_url(meeting))


@get(f"{BASE}/{{meeting_id:int}}", name="admin.meeting", guards=GUARDS)
async def meeting_edit_page(request: Req, db_session: DB, meeting_id: FromPath[int]) -> Template:
    meeting = await load_meeting(db_session, request, meeting_id)
    consultations = await _consultations(db_session, request.state.org.id)
    return render(
        request, FORM_TEMPLATE, {"form": MeetingForm.of(meeting, consultations), "meeting": meeting}
    )


@post(
    f"{BASE}/{{meeting_id:int}}",
    name="admin.meeting.update",
    guards=GUARDS,
    opt={"form": (FORM_TEMPLATE, MeetingForm)},
)
async def meeting_update_submit(request: Req, db_session: DB, meeting_id: FromPath[int]) -> Response[Any]:
    meeting = await load_meeting(db_session, request, meeting_id)
    consultations = await _consultations(db_session, request.state.org.id)
    form = MeetingForm(dict((await request.form()).items()), consultations=consultations)
    if not form.validate():
        return render(request, FORM_TEMPLATE, {"form": form, "meeting": meeting}, block="form", status=422)
    await actions.update_meeting(
        db_session, meeting, agenda=form.cleaned["agenda"] or "", values=form.values()
    )
    flash(request, _("Die Änderungen sind gespeichert."))
    return redirect_after_post(request, meeting_url(meeting))


STATE_MESSAGES = {
    MeetingState.LIVE: "Die Veranstaltung läuft.",
    MeetingState.ENDED: "Die Veranstaltung ist beendet. Der Entwurf des Protokolls liegt bereit.",
}


END_CONFIRM = "beenden_bestaetigt"  # the checkbox "Ich möchte die Veranstaltung jetzt beenden"


@post(f"{BASE}/{{meeting_id:int}}/status", name="admin.meeting.state", guards=GUARDS)
async def meeting_state_submit(request: Req, db_session: DB, meeting_id: FromPath[int]) -> Response[Any]:
    meeting = await load_meeting(db_session, request, meeting_id)
    data = await request.form()
    raw = data.get("status") or ""
    try:
        target = MeetingState(raw)
    except ValueError:
        from beteiligung.web.errors import ActionConflict

        raise ActionConflict(detail=_("Unbekannter Status.")) from None
    enforce(why_not_change_state(request.state.actor, meeting, target))
    if target == MeetingState.ENDED and data.get(END_CONFIRM) != "ja":
        # Ending closes the open poll and the speaker list: only with the box ticked (works
        # without JavaScript; with htmx the state block comes back with the error beside it).
        error = _("Bitte bestätigen Sie, dass Sie die Veranstaltung jetzt beenden möchten.")
        return await room_response(
            request, db_session, meeting, block="state", status=422, extra={"end_error": error}
        )
    await actions.change_state(db_session, meeting, target, utcnow())
    message = _(STATE_MESSAGES[target])
    if is_htmx(request):
        return await room_response(request, db_session, meeting, block="state", announce=message)
    flash(request, message)
    return redirect_after_post(request, meeting_url(meeting))


@post(f"{BASE}/{{meeting_id:int}}/tagesordnung", name="admin.meeting.agenda", guards=GUARDS)
async def meeting_agenda_submit(request: Req, db_session: DB, meeting_id: FromPath[int]) -> Response[Any]:
    """Move to an agenda item: ``punkt`` = an item id, ``weiter`` (the next one) or ``keiner``."""
    meeting = await load_meeting(db_session, request, meeting_id)
    raw = str((await request.form()).get("punkt") or "")
    if raw == "weiter":
        item_id = actions.next_item_id(meeting)
    elif raw == "keiner":
        item_id = None
    else:
        try:
            item_id = int(raw)
        except ValueError:
            item_id = -1
    if item_id == -1 or not await actions.set_current_item(db_session, meeting, item_id, utcnow()):
        from beteiligung.web.errors import ActionConflict

        raise ActionConflict(detail=_("Diesen Tagesordnungspunkt gibt es nicht."))
    current = meeting.current_item
    message = (
        _("Jetzt: %(title)s", title=current.title)
        if current
        else _("Kein Tagesordnungspunkt ist aufgerufen.")
    )
    if is_htmx(request):
        return await room_response(request, db_session, meeting, block="agenda", announce=message)
    flash(request, message)
    return redirect_after_post(request, meeting_url(meeting))


# --------------------------------------------------------------------------------------------
# Which video origins may be embedded (admins): docs/meetings.md "Video einbetten"
# --------------------------------------------------------------------------------------------
EMBED_URL = f"{BASE}/einbettung"
EMBED_TEMPLATE = "admin/meetings/embed.html"
ADMIN_GUARDS = [permission_required(Perm.ORG_MEMBERS_MANAGE)]


class EmbedForm(Form):
    id: ClassVar[str] = "embed"
    fields: ClassVar[tuple[Field, ...]] = (
        Field(
            "origins",
            "Freigegebene Ursprünge",
            kind="textarea",
            required=False,
            max_length=2_000,
            rows=5,
            hint="Ein Ursprung je Zeile, zum Beispiel https://bbb.stadt.lueneburg.de. Nur diese Videokonferenzen "
            "werden eingebettet, und erst nach einem Klick; alle anderen öffnen sich in einem neuen Fenster.",
        ),
    )

    def clean(self) -> None:
        origins = []
        for line in (self.cleaned.get("origins") or "").split():
            origin = line.strip().rstrip("/").lower()
            if not ORIGIN_RE.match(origin):
                self.add_error(
                    "origins",
                    _(
                        "„%(line)s“ ist kein Ursprung. Bitte nur https:// und den Servernamen angeben.",
                        line=line,
                    ),
                )
                return
            if origin not in origins:
                origins.append(origin)
        self.cleaned["origins"] = "\n".join(origins)


@get(EMBED_URL, name="admin.meetings.embed", guards=ADMIN_GUARDS)
async def embed_settings_page(request: Req, db_session: DB) -> Template:
    org = await db_session.get(Organisation, request.state.org.id)
    return render(
        request, EMBED_TEMPLATE, {"form": EmbedForm(initial={"origins": org.embed_origins if org else ""})}
    )


@post(
    EMBED_URL,
    name="admin.meetings.embed.submit",
    guards=ADMIN_GUARDS,
    opt={"form": (EMBED_TEMPLATE, EmbedForm)},
)
async def embed_settings_submit(request: Req, db_session: DB) -> Response[Any]:
    form = EmbedForm(dict((await request.form()).items()))
    if not form.validate():
        return render(request, EMBED_TEMPLATE, {"form": form}, block="form", status=422)
    org = await db_session.get(Organisation, request.state.org.id)
    if org is None:
        raise NotFoundException()
    org.embed_origins = form.cleaned["origins"]
    await db_session.commit()
    flash(request, _("Die freigegebenen Ursprünge sind gespeichert."))
    return redirect_after_post(request, EMBED_URL)


ROUTES = [
    embed_settings_page,
    embed_settings_submit,
    meetings_admin_page,
    meeting_new_page,
    meeting_create_submit,
    meeting_edit_page,
    meeting_update_submit,
    meeting_state_submit,
    meeting_agenda_submit,
]
