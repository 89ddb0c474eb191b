"""Public consultation pages: the Vorhabenliste and one consultation with its comment thread."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, ServerSentEvent, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from beteiligung.consultations.listing import (
    TIMING_NAMES,
    Timing,
    access_consultation,
    list_consultations,
    list_topics,
    timing_of,
)
from beteiligung.consultations.page import consultation_page_response
from beteiligung.consultations.phases import PHASE_NAMES
from beteiligung.db import utcnow
from beteiligung.i18n import ngettext
from beteiligung.live.streams import consultation_channels, stream_response, watermark
from beteiligung.web.context import DB
from beteiligung.web.responses import is_htmx, page_number, render
from beteiligung.web.urls import url

Req = Request[Any, Any, Any]


@get("/vorhaben", name="consultations.list")
async def consultations_page(
    request: Req,
    db_session: DB,
    q: FromQuery[str] = "",
    status: FromQuery[str] = "",
    thema: FromQuery[str] = "",
    seite: FromQuery[str] = "1",
) -> Template:
    now = utcnow()
    timing = status if status in {t.value for t in Timing} else ""
    org = request.state.org
    page = await list_consultations(
        db_session, org.id, now=now, timing=timing, topic=thema[:80], q=q[:200], page=page_number(seite)
    )
    topics = await list_topics(db_session, org.id)
    announce = ngettext(
        "%(num)s Beteiligungsverfahren gefunden.", "%(num)s Beteiligungsverfahren gefunden.", page.total
    )
    params = {k: v for k, v in {"q": q, "status": timing, "thema": thema}.items() if v}
    return render(
        request,
        "consultations/list.html",
        {
            "page": page,
            "topics": topics,
            "filters": {"q": q[:200], "status": timing, "thema": thema},
            "params": params,
            "timing_names": TIMING_NAMES,
            "timing_of": timing_of,
            "now": now,
            "phase_names": PHASE_NAMES,
        },
        block="results",
        announce=announce if is_htmx(request) else None,
        headers={"HX-Push-Url": str(request.url)} if is_htmx(request) else None,
    )


@get("/vorhaben/{slug:str}", name="consultations.page")
async def consultation_page(
    request: Req, db_session: DB, slug: FromPath[str], kommentare: FromQuery[str] = ""
) -> Template:
    since = await watermark(request)  # before reading anything the page shows
    consultation = await access_consultation(db_session, request.state.actor, request.state.org.id, slug)
    # ?kommentare= sorts the thread (comments/sections.py); with htmx only the thread answers
    return await consultation_page_response(
        request, db_session, consultation, block="comments" if kommentare else None, since=since
    )


# Live refreshes: the page's own blocks, re-rendered for this viewer (docs/live-updates.md).
CONSULTATION_PARTS = {"kommentare": "comments", "stand": "status"}


@get("/vorhaben/{slug:str}/live/{teil:str}", name="consultations.live_part")
async def consultation_part_page(
    request: Req, db_session: DB, slug: FromPath[str], teil: FromPath[str], kommentare: FromQuery[str] = ""
) -> Response[Any]:
    consultation = await access_consultation(db_session, request.state.actor, request.state.org.id, slug)
    block = CONSULTATION_PARTS.get(teil)
    if block is None:
        raise NotFoundException()
    if not is_htmx(request):
        return Redirect(
            path=url("consultations.page", slug=consultation.slug), status_code=HTTP_303_SEE_OTHER
        )
    return await consultation_page_response(request, db_session, consultation, block=block)


@get("/live/vorhaben/{slug:str}", name="live.consultation", opt={"live": True})
async def consultation_stream(
    request: Req, db_session: DB, slug: FromPath[str], seit: FromQuery[str] = ""
) -> ServerSentEvent:
    """The consultation page's (and its proposal list's) live stream (live/streams.py)."""
    consultation = await access_consultation(db_session, request.state.actor, request.state.org.id, slug)
    channels = consultation_channels(consultation.id)
    await db_session.close()  # a stream lives for hours: it must not hold a database connection
    return await stream_response(request, channels, seit)


ROUTES = [consultations_page, consultation_page, consultation_part_page, consultation_stream]
