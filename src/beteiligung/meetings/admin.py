"""Staff pages and controls of the meetings: list, create, edit (settings and agenda), start /
end, move through the agenda. Every route needs ``org:consultations:manage``; meetings of other
organisations are 404. The room's controls post here and, with htmx, get the room's own block
back (see routes.room_response)."""

from __future__ import annotations

from typing import Any, ClassVar

from litestar import Request, Response, get, post
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
from beteiligung.meetings.queries import access_meeting, list_meetings
from beteiligung.meetings.routes import meeting_url, room_response
from beteiligung.organisations.models import Organisation
from beteiligung.web.context import DB
from beteiligung.web.errors import ActionConflict
from beteiligung.web.forms import Field, Form
from beteiligung.web.middleware import ORIGIN_RE
from beteiligung.web.responses import flash, form_data, is_htmx, redirect_after_post, render, submit_form
from beteiligung.web.urls import url

Req = Request[Any, Any, Any]
GUARDS = [permission_required(Perm.CONSULTATION_MANAGE)]
BASE = "/verwaltung/veranstaltungen"
LIST_TEMPLATE = "admin/meetings/list.html"
FORM_TEMPLATE = "admin/meetings/form.html"


async def _consultations(db: AsyncSession, org_id: int) -> list[Consultation]:
    stmt = select(Consultation).where(Consultation.organisation_id == org_id).order_by(Consultation.title)
    return list((await db.scalars(stmt)).all())


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
async def meeting_create_submit(request: Req, db_session: DB) -> Response[Any] | Template:
    consultations = await _consultations(db_session, request.state.org.id)
    form = MeetingForm(await form_data(request), consultations=consultations)

    async def create(cleaned: dict[str, Any]) -> Meeting:
        return await actions.create_meeting(
            db_session, org_id=request.state.org.id, agenda=cleaned["agenda"] or "", values=form.values()
        )

    return await submit_form(
        request,
        db_session,
        form,
        template=FORM_TEMPLATE,
        context={"meeting": None},
        action=create,
        done=lambda meeting: _("Die Veranstaltung „%(title)s“ ist angelegt.", title=meeting.title),
        next_url=meeting_url,
    )


@get(f"{BASE}/{{meeting_id:int}}", name="admin.meeting", guards=GUARDS)
async def meeting_edit_page(request: Req, db_session: DB, meeting_id: FromPath[int]) -> Template:
    meeting = await access_meeting(db_session, request.state.org.id, meeting_id)
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
async def meeting_update_submit(
    request: Req, db_session: DB, meeting_id: FromPath[int]
) -> Response[Any] | Template:
    meeting = await access_meeting(db_session, request.state.org.id, meeting_id)
    consultations = await _consultations(db_session, request.state.org.id)
    form = MeetingForm(await form_data(request), consultations=consultations)

    async def update(cleaned: dict[str, Any]) -> None:
        await actions.update_meeting(
            db_session, meeting, agenda=cleaned["agenda"] or "", values=form.values()
        )

    return await submit_form(
        request,
        db_session,
        form,
        template=FORM_TEMPLATE,
        context={"meeting": meeting},
        action=update,
        done=_("Die Änderungen sind gespeichert."),
        next_url=meeting_url(meeting),
    )


STATE_MESSAGES = {
    MeetingState.LIVE: "Die Veranstaltung läuft.",
    MeetingState.ENDED: "Die Veranstaltung ist beendet. Der Entwurf des Protokolls liegt bereit.",
}


END_CONFIRM = "beenden_bestaetigt"  # the checkbox "Ich möchte die Veranstaltung jetzt beenden"


@post(f"{BASE}/{{meeting_id:int}}/status", name="admin.meeting.state", guards=GUARDS)
async def meeting_state_submit(request: Req, db_session: DB, meeting_id: FromPath[int]) -> Response[Any]:
    meeting = await access_meeting(db_session, request.state.org.id, meeting_id)
    data = await form_data(request)
    raw = data.get("status") or ""
    try:
        target = MeetingState(raw)
    except ValueError:
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
    await db_session.commit()
    message = _(STATE_MESSAGES[target])
    if is_htmx(request):
        return await room_response(request, db_session, meeting, block="state", announce=message)
    flash(request, message)
    return redirect_after_post(request, meeting_url(meeting))


@post(f"{BASE}/{{meeting_id:int}}/tagesordnung", name="admin.meeting.agenda", guards=GUARDS)
async def meeting_agenda_submit(request: Req, db_session: DB, meeting_id: FromPath[int]) -> Response[Any]:
    """Move to an agenda item: ``punkt`` = an item id, ``weiter`` (the next one) or ``keiner``."""
    meeting = await access_meeting(db_session, request.state.org.id, meeting_id)
    raw = str((await form_data(request)).get("punkt") or "")
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
        raise ActionConflict(detail=_("Diesen Tagesordnungspunkt gibt es nicht."))
    await db_session.commit()
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
EMBED_URL = f"{BASE}/einbettung"  # the route's path; links use url("admin.meetings.embed")
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
async def embed_settings_submit(request: Req, db_session: DB) -> Response[Any] | Template:
    async def save(cleaned: dict[str, Any]) -> None:
        await actions.set_embed_origins(db_session, request.state.org.id, cleaned["origins"])

    return await submit_form(
        request,
        db_session,
        EmbedForm(await form_data(request)),
        template=EMBED_TEMPLATE,
        context={},
        action=save,
        done=_("Die freigegebenen Ursprünge sind gespeichert."),
        next_url=url("admin.meetings.embed"),
    )


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
