"""The comment thread as a part of other pages (``registry.Section``): the consultation page's
and the proposal page's discussion. The thread's markup is ``templates/comments/thread.html``;
its htmx blocks (``comments``, ``comment_votes``) are answered alone (``blocks``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.comments.views import THREAD_BLOCKS, THREAD_TEMPLATE, ThreadForms, parse_sort, thread_context
from beteiligung.consultations.models import Consultation
from beteiligung.consultations.phases import PHASE_FEATURES, Feature
from beteiligung.proposals.models import Proposal
from beteiligung.registry import Section

SORT_PARAM = "kommentare"  # the page's query parameter that sorts its thread


async def _thread(
    request: Any,
    db: AsyncSession,
    consultation: Consultation,
    proposal_id: int | None,
    *,
    sort: str | None,
    forms: ThreadForms | None,
    focus: int | None,
    now: datetime | None,
) -> dict[str, Any]:
    ctx = await thread_context(
        db,
        org_id=request.state.org.id,
        actor=request.state.actor,
        consultation=consultation,
        proposal_id=proposal_id,
        sort=parse_sort(sort if sort is not None else request.query_params.get(SORT_PARAM)),
        forms=forms,
        focus=focus,
        now=now,
    )
    # A comment, reply or edit sent without JavaScript came back with errors: the page's title says so.
    ctx["has_errors"] = bool(ctx["comment_form"].has_errors or ctx["reply_forms"] or ctx["edit_forms"])
    return ctx


async def consultation_thread(
    request: Any,
    db: AsyncSession,
    consultation: Consultation,
    *,
    sort: str | None = None,
    forms: ThreadForms | None = None,
    focus: int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The consultation's discussion, shown when a phase allows comments or there are some."""
    ctx = await _thread(request, db, consultation, None, sort=sort, forms=forms, focus=focus, now=now)
    uses_comments = any(Feature.COMMENT in PHASE_FEATURES[p.kind] for p in consultation.phases)
    ctx["show_comments"] = uses_comments or ctx["thread"].count > 0
    return ctx


async def proposal_thread(
    request: Any,
    db: AsyncSession,
    proposal: Proposal,
    *,
    sort: str | None = None,
    forms: ThreadForms | None = None,
    focus: int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The proposal's discussion; a held proposal has no public discussion yet."""
    ctx = await _thread(
        request, db, proposal.consultation, proposal.id, sort=sort, forms=forms, focus=focus, now=now
    )
    ctx["show_comments"] = proposal.is_public
    return ctx


# After the page's article (slot "after"), last.
CONSULTATION_SECTIONS = (
    Section(
        name="comments",
        template=THREAD_TEMPLATE,
        load=consultation_thread,
        order=1000,
        slot="after",
        blocks=THREAD_BLOCKS,
    ),
)
PROPOSAL_SECTIONS = (
    Section(
        name="comments",
        template=THREAD_TEMPLATE,
        load=proposal_thread,
        order=1000,
        slot="after",
        blocks=THREAD_BLOCKS,
    ),
)
