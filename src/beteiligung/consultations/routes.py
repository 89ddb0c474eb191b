"""Public consultation pages: the Vorhabenliste and one consultation with its comment thread."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from beteiligung.comments.views import THREAD_BLOCKS, THREAD_TEMPLATE, ThreadForms, parse_sort, thread_context
from beteiligung.consultations.listing import (
    TIMING_NAMES,
    Timing,
    access_consultation,
    list_consultations,
    list_topics,
    timing_of,
)
from beteiligung.consultations.models import Consultation
from beteiligung.consultations.permissions import Rules
from beteiligung.consultations.phases import PHASE_FEATURES, PHASE_HINTS, PHASE_NAMES, Feature
from beteiligung.consultations.states import MODE_NAMES
from beteiligung.db import utcnow
from beteiligung.i18n import ngettext
from beteiligung.live.routes import next_change, watermark
from beteiligung.meetings.minutes import consultation_meetings
from beteiligung.moderation.stats import moderation_stats
from beteiligung.surveys.views import consultation_cards
from beteiligung.web.context import DB
from beteiligung.web.responses import page_number, render

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
        announce=announce if request.headers.get("hx-request") == "true" else None,
        headers={"HX-Push-Url": str(request.url)} if request.headers.get("hx-request") == "true" else None,
    )


async def consultation_page_response(
    request: Req,
    db: Any,
    consultation: Consultation,
    *,
    sort: str | None = None,
    forms: ThreadForms | None = None,
    status: int = 200,
    block: str | None = None,
    announce: str | None = None,
    focus: int | None = None,
    extra: dict[str, Any] | None = None,
    since: str | None = None,
) -> Template:
    """The consultation page, or with htmx one block of the thread (see comments/views.py)."""
    if since is None:
        since = await watermark(request)
    now = utcnow()
    actor = request.state.actor
    ctx = await thread_context(
        db,
        org_id=request.state.org.id,
        actor=actor,
        consultation=consultation,
        proposal_id=None,
        sort=parse_sort(sort),
        forms=forms,
        focus=focus,
        now=now,
    )
    phase = consultation.active_phase(now)
    uses_comments = any(Feature.COMMENT in PHASE_FEATURES[p.kind] for p in consultation.phases)
    uses_proposals = any(Feature.PROPOSE in PHASE_FEATURES[p.kind] for p in consultation.phases)
    ctx.update(
        consultation=consultation,
        proposal=None,
        rules=Rules(actor, consultation, now),
        now=now,
        phase=phase,
        phase_names=PHASE_NAMES,
        phase_hints=PHASE_HINTS,
        timing=timing_of(consultation, now),
        timing_names=TIMING_NAMES,
        show_comments=uses_comments or ctx["thread"].count > 0,
        uses_proposals=uses_proposals or consultation.proposal_count > 0,
        live_url=f"/live/vorhaben/{consultation.slug}?seit={since}",
        live_next_change=next_change(consultation, now),
        surveys=await consultation_cards(db, request, consultation, now),
        **(extra or {}),
    )
    if not block or request.headers.get("hx-request") != "true":  # the full page
        ctx.update(
            moderation_stats=await moderation_stats(db, consultation.id),
            moderation_mode_names=MODE_NAMES,
            meetings=await consultation_meetings(db, consultation),
        )
    thread_block = block in THREAD_BLOCKS and request.headers.get("hx-request") == "true"
    template = THREAD_TEMPLATE if thread_block else "consultations/page.html"
    return render(request, template, ctx, block=block, status=status, announce=announce)


@get("/vorhaben/{slug:str}", name="consultations.page")
async def consultation_page(
    request: Req, db_session: DB, slug: FromPath[str], kommentare: FromQuery[str] = ""
) -> Template:
    since = await watermark(request)  # before reading anything the page shows
    consultation = await access_consultation(db_session, request.state.actor, request.state.org.id, slug)
    return await consultation_page_response(
        request,
        db_session,
        consultation,
        sort=kommentare,
        block="comments" if kommentare else None,
        since=since,
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
    if request.headers.get("hx-request") != "true":
        return Redirect(path=f"/vorhaben/{consultation.slug}", status_code=HTTP_303_SEE_OTHER)
    return await consultation_page_response(request, db_session, consultation, sort=kommentare, block=block)


ROUTES = [consultations_page, consultation_page, consultation_part_page]
