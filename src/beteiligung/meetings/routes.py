"""Public pages of the meetings: the list, the room (with its live parts), the calendar file,
registration and the guest name. The room's questions, polls and speaker list have their own
packages (questions/, polls/, speakers/: forms, permissions, queries, actions, routes); staff
controls are in admin.py.

The room is one template (``meetings/room.html``); each live part is one of its blocks, which a
live event makes the browser re-fetch from ``/veranstaltungen/{id}/live/{teil}`` (rendered for
that viewer). Without JavaScript every form posts and the page comes back (post/redirect/get).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, ServerSentEvent, Template
from litestar.status_codes import HTTP_303_SEE_OTHER
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.consultations.permissions import enforce
from beteiligung.db import utcnow
from beteiligung.i18n import gettext as _
from beteiligung.live.streams import meeting_channels, stream_response, watermark
from beteiligung.meetings import actions, permissions
from beteiligung.meetings.forms import GuestForm
from beteiligung.meetings.models import (
    FORMAT_NAMES,
    STATE_NAMES,
    VIDEO_NAMES,
    Meeting,
    MeetingFormat,
    MeetingState,
    VideoKind,
)
from beteiligung.meetings.polls import queries as polls
from beteiligung.meetings.queries import (
    access_meeting,
    consultation_of,
    list_meetings,
    registration_count,
    set_guest_name,
)
from beteiligung.meetings.questions import queries as questions
from beteiligung.meetings.speakers import queries as speakers
from beteiligung.meetings.views import viewer_of
from beteiligung.organisations.models import Organisation
from beteiligung.web.context import DB
from beteiligung.web.middleware import FRAME_HEADER
from beteiligung.web.responses import flash, form_data, is_htmx, redirect_after_post, render
from beteiligung.web.urls import url

Req = Request[Any, Any, Any]
ROOM_TEMPLATE = "meetings/room.html"
# Live parts: URL name -> block of the room template.
ROOM_PARTS = {
    "stand": "state",
    "tagesordnung": "agenda",
    "im-fokus": "spotlight",
    "fragen": "questions",
    "abstimmung": "poll",
    "redeliste": "speakers",
    "anwesend": "presence",
}
PART_LOADERS = {"questions": questions, "spotlight": questions, "poll": polls, "speakers": speakers}


def meeting_url(meeting: Meeting) -> str:
    return url("meetings.room", meeting_id=meeting.id)


def embed_allowed(meeting: Meeting, origins_text: str) -> bool:
    """The video may be embedded only when the organisation allows its origin."""
    if meeting.video_kind == VideoKind.NONE or not meeting.video_url:
        return False
    parts = urlsplit(meeting.video_url)
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    allowed = {o.strip().rstrip("/").lower() for o in origins_text.split() if o.strip()}
    return origin in allowed


async def presence_count(request: Req, db: AsyncSession, meeting: Meeting) -> int:
    """Participants in the room now; keeps the meeting's peak for the minutes."""
    count = await request.app.state["meeting_presence"].count(meeting.id)
    if count > meeting.peak_participants and meeting.state == MeetingState.LIVE:
        await db.execute(
            update(Meeting)
            .where(Meeting.id == meeting.id, Meeting.peak_participants < count)
            .values(peak_participants=count)
            .execution_options(synchronize_session=False)
        )
        await db.commit()
    return int(count)


async def room_response(
    request: Req,
    db: AsyncSession,
    meeting: Meeting,
    *,
    block: str | None = None,
    status: int = 200,
    since: str | None = None,
    extra: dict[str, Any] | None = None,
    announce: str | None = None,
) -> Template:
    """The room, or with htmx one of its blocks (each part loads only what it shows)."""
    if since is None:
        since = await watermark(request)
    now = utcnow()
    viewer = await viewer_of(request, db, meeting, now)
    org = await _org(db, request)
    ctx: dict[str, Any] = {
        "meeting": meeting,
        "viewer": viewer,
        "now": now,
        "STATE_NAMES": STATE_NAMES,
        "FORMAT_NAMES": FORMAT_NAMES,
        "VIDEO_NAMES": VIDEO_NAMES,
        "MeetingState": MeetingState,
        "MeetingFormat": MeetingFormat,
        "live_url": url("live.meeting", meeting_id=meeting.id, query={"seit": since}),
        "live_next_change": "",
        "embed_allowed": embed_allowed(meeting, org.embed_origins if org else ""),
        "guest_form": GuestForm(),
    }
    wanted = [block] if block and is_htmx(request) else [*PART_LOADERS, "state", "presence"]
    for part in wanted:
        loader = PART_LOADERS.get(part or "")
        if loader is not None:
            ctx.update(await loader.room_context(db, meeting, viewer))
    if "state" in wanted:
        ctx["consultation"] = await consultation_of(db, meeting)
        ctx["registrations"] = await registration_count(db, meeting)
    if "presence" in wanted:
        ctx["present"] = await presence_count(request, db, meeting)
    ctx.update(extra or {})
    headers = {}
    if ctx["embed_allowed"] and ctx.get("show_video"):
        parts = urlsplit(meeting.video_url)
        headers[FRAME_HEADER] = f"{parts.scheme}://{parts.netloc}".lower()
    return render(request, ROOM_TEMPLATE, ctx, block=block, status=status, announce=announce, headers=headers)


async def _org(db: AsyncSession, request: Req) -> Any:
    return await db.get(Organisation, request.state.org.id)


@get("/veranstaltungen", name="meetings.list")
async def meetings_page(request: Req, db_session: DB) -> Template:
    meetings = await list_meetings(db_session, request.state.org.id)
    return render(
        request,
        "meetings/list.html",
        {
            "meetings": meetings,
            "STATE_NAMES": STATE_NAMES,
            "FORMAT_NAMES": FORMAT_NAMES,
            "MeetingState": MeetingState,
        },
    )


@get("/veranstaltungen/{meeting_id:int}", name="meetings.room")
async def meeting_page(
    request: Req, db_session: DB, meeting_id: FromPath[int], video: FromQuery[str] = ""
) -> Template:
    since = await watermark(request)  # before reading anything the page shows
    meeting = await access_meeting(db_session, request.state.org.id, meeting_id)
    return await room_response(request, db_session, meeting, since=since, extra={"show_video": video == "1"})


@get("/veranstaltungen/{meeting_id:int}/live/{teil:str}", name="meetings.live_part")
async def meeting_part_page(
    request: Req, db_session: DB, meeting_id: FromPath[int], teil: FromPath[str]
) -> Response[Any]:
    meeting = await access_meeting(db_session, request.state.org.id, meeting_id)
    block = ROOM_PARTS.get(teil)
    if block is None:
        raise NotFoundException()
    if not is_htmx(request):
        return Redirect(path=meeting_url(meeting), status_code=HTTP_303_SEE_OTHER)
    return await room_response(request, db_session, meeting, block=block)


@get("/veranstaltungen/{meeting_id:int}/video", name="meetings.video")
async def meeting_video_page(request: Req, db_session: DB, meeting_id: FromPath[int]) -> Response[Any]:
    """Open the embedded video: always a full page load (``?video=1``), because only a page's own
    Content-Security-Policy can allow the conference's origin; nothing loads before this click."""
    meeting = await access_meeting(db_session, request.state.org.id, meeting_id)
    return redirect_after_post(
        request, url("meetings.room", meeting_id=meeting.id, query={"video": "1"}, anchor="video")
    )


def _ics_escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r", "")
        .replace("\n", "\\n")
    )


def _ics_fold(line: str) -> str:
    """RFC 5545: lines longer than 75 octets continue on the next line after a space."""
    raw = line.encode("utf-8")
    if len(raw) <= 75:
        return line
    parts: list[str] = []
    current = b""
    for ch in line:
        b = ch.encode("utf-8")
        if len(current) + len(b) > (75 if not parts else 74):
            parts.append(current.decode("utf-8"))
            current = b""
        current += b
    parts.append(current.decode("utf-8"))
    return "\r\n ".join(parts)


def meeting_ics(meeting: Meeting, base_url: str, org_name: str) -> str:
    def stamp(value: Any) -> str:
        return value.strftime("%Y%m%dT%H%M%SZ")

    location = meeting.place if meeting.format == MeetingFormat.HYBRID else ""
    url = f"{base_url.rstrip('/')}{meeting_url(meeting)}"
    description = (meeting.description + "\n\n" if meeting.description else "") + url
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Beteiligung//Veranstaltungen//DE",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:meeting-{meeting.id}@{urlsplit(base_url).netloc or 'beteiligung'}",
        f"DTSTAMP:{stamp(meeting.updated_at or utcnow())}",
        f"DTSTART:{stamp(meeting.starts_at)}",
        f"DTEND:{stamp(meeting.ends_at)}",
        f"SUMMARY:{_ics_escape(meeting.title)}",
        f"DESCRIPTION:{_ics_escape(description)}",
        f"URL:{url}",
        f"ORGANIZER;CN={_ics_escape(org_name)}:mailto:noreply@invalid",
        *([f"LOCATION:{_ics_escape(location)}"] if location else []),
        f"STATUS:{'CANCELLED' if False else 'CONFIRMED'}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(_ics_fold(line) for line in lines) + "\r\n"


@get("/veranstaltungen/{meeting_id:int}/kalender.ics", name="meetings.ics")
async def meeting_ics_file(request: Req, db_session: DB, meeting_id: FromPath[int]) -> Response[str]:
    meeting = await access_meeting(db_session, request.state.org.id, meeting_id)
    settings = request.app.state["settings"]
    body = meeting_ics(meeting, settings.resolved_base_url, request.state.org.name)
    return Response(
        body,
        media_type="text/calendar",  # Litestar adds "; charset=utf-8" to text/*
        headers={"Content-Disposition": f'attachment; filename="veranstaltung-{meeting.id}.ics"'},
    )


@post("/veranstaltungen/{meeting_id:int}/anmeldung", name="meetings.register")
async def meeting_register_submit(request: Req, db_session: DB, meeting_id: FromPath[int]) -> Response[Any]:
    meeting = await access_meeting(db_session, request.state.org.id, meeting_id)
    actor = request.state.actor
    enforce(permissions.why_not_register(actor, meeting))
    data = await form_data(request)
    if data.get("abmelden"):
        await actions.unregister(db_session, meeting, actor.user_id)
        message = _("Sie sind von der Veranstaltung abgemeldet.")
    else:
        await actions.register(db_session, meeting, actor.user_id)
        message = _("Sie sind für die Veranstaltung angemeldet.")
    await db_session.commit()
    if is_htmx(request):
        return await room_response(request, db_session, meeting, block="state", announce=message)
    flash(request, message)
    return redirect_after_post(request, meeting_url(meeting))


@post("/veranstaltungen/{meeting_id:int}/gast", name="meetings.guest")
async def meeting_guest_submit(request: Req, db_session: DB, meeting_id: FromPath[int]) -> Response[Any]:
    meeting = await access_meeting(db_session, request.state.org.id, meeting_id)
    enforce(permissions.why_not_set_guest_name(request.state.actor, meeting))
    form = GuestForm(await form_data(request))
    if not form.validate():
        return await room_response(
            request, db_session, meeting, block="state", status=422, extra={"guest_form": form}
        )
    set_guest_name(request, meeting, form.cleaned["name"])
    # Everything the guest may do has changed: a redirect (HX-Redirect with htmx) reloads the page.
    flash(request, _("Sie nehmen als Gast „%(name)s“ teil.", name=form.cleaned["name"]))
    return redirect_after_post(request, meeting_url(meeting))


@get("/live/veranstaltungen/{meeting_id:int}", name="live.meeting", opt={"live": True})
async def meeting_stream(
    request: Req,
    db_session: DB,
    meeting_id: FromPath[int],
    seit: FromQuery[str] = "",
    praesentation: FromQuery[str] = "",
) -> ServerSentEvent:
    """A meeting's room (and its presenter view: ``praesentation=1`` does not count as presence)."""
    meeting = await access_meeting(db_session, request.state.org.id, meeting_id)
    await db_session.close()  # a stream lives for hours: it must not hold a database connection
    presence_of = None if praesentation else meeting.id
    return await stream_response(request, meeting_channels(meeting.id), seit, presence_of)


ROUTES = [
    meetings_page,
    meeting_page,
    meeting_part_page,
    meeting_video_page,
    meeting_ics_file,
    meeting_register_submit,
    meeting_guest_submit,
    meeting_stream,
]
