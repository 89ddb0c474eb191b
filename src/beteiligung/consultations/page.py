"""The consultation page as a response: its own parts (status, phases, text) and the other
features' sections (``registry.Section``, page "consultation": surveys, meetings, moderation,
the comment thread …). The routes answer with it, and so do the features whose forms sit on the
page (the comments' routes, when a form sent without JavaScript comes back with errors)."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Template

from beteiligung.consultations.listing import TIMING_NAMES, timing_of
from beteiligung.consultations.models import Consultation
from beteiligung.consultations.permissions import Rules
from beteiligung.consultations.phases import PHASE_FEATURES, PHASE_HINTS, PHASE_NAMES, Feature
from beteiligung.db import utcnow
from beteiligung.live.streams import next_change, watermark
from beteiligung.web.responses import render_with_sections
from beteiligung.web.urls import url

Req = Request[Any, Any, Any]
PAGE = "consultation"  # the registry's name of this page's sections


async def consultation_page_response(
    request: Req,
    db: Any,
    consultation: Consultation,
    *,
    status: int = 200,
    block: str | None = None,
    announce: str | None = None,
    since: str | None = None,
    options: dict[str, dict[str, Any]] | None = None,
) -> Template:
    """The consultation page, or with htmx one block: the page's own (``status``) or a section's
    (the thread's ``comments``). ``options[section name]`` go to that section's ``load``."""

    async def context() -> dict[str, Any]:
        now = utcnow()
        uses_proposals = any(Feature.PROPOSE in PHASE_FEATURES[p.kind] for p in consultation.phases)
        seit = since if since is not None else await watermark(request)
        return {
            "consultation": consultation,
            "proposal": None,
            "rules": Rules(request.state.actor, consultation, now),
            "now": now,
            "phase": consultation.active_phase(now),
            "phase_names": PHASE_NAMES,
            "phase_hints": PHASE_HINTS,
            "timing": timing_of(consultation, now),
            "timing_names": TIMING_NAMES,
            "uses_proposals": uses_proposals or consultation.proposal_count > 0,
            "live_url": url("live.consultation", slug=consultation.slug, query={"seit": seit}),
            "live_next_change": next_change(consultation, now),
        }

    return await render_with_sections(
        request,
        db,
        PAGE,
        consultation,
        "consultations/page.html",
        context,
        block=block,
        status=status,
        announce=announce,
        options=options,
    )
