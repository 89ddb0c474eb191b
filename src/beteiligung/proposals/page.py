"""The proposal page as a response: its own parts (text, support, answer) and the other
features' sections (``registry.Section``, page "proposal": the comment thread). The routes answer
with it, and so do the features whose forms sit on the page (the comments' routes, when a form
sent without JavaScript comes back with errors)."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Template

from beteiligung.db import utcnow
from beteiligung.live.streams import next_change, watermark
from beteiligung.moderation.actions import Screening, review_of
from beteiligung.moderation.explain import explain_hold
from beteiligung.moderation.models import Review, ReviewStatus
from beteiligung.proposals.models import ANSWER_NAMES, SOURCE_NAMES, Proposal
from beteiligung.proposals.permissions import ProposalRules
from beteiligung.proposals.queries import public_versions, supported_ids
from beteiligung.proposals.rules import why_not_edit_proposal, why_not_withdraw_proposal
from beteiligung.web.responses import render_with_sections
from beteiligung.web.urls import url

Req = Request[Any, Any, Any]
PAGE = "proposal"  # the registry's name of this page's sections


def held_message(intro: str, screening: Screening) -> str:
    """The confirmation of a held contribution: what was received, why it waits, what is next."""
    return f"{intro} {explain_hold(screening.trigger, screening.reasons).text()}"


async def proposal_page_response(
    request: Req,
    db: Any,
    proposal: Proposal,
    *,
    status: int = 200,
    block: str | None = None,
    announce: str | None = None,
    since: str | None = None,
    options: dict[str, dict[str, Any]] | None = None,
) -> Template:
    """The proposal page, or with htmx one block: the page's own (``support``, ``answer``,
    ``text``) or a section's (the thread's ``comments``). ``options[section name]`` go to that
    section's ``load``."""

    async def context() -> dict[str, Any]:
        seit = since if since is not None else await watermark(request)
        now = utcnow()
        actor = request.state.actor
        consultation = proposal.consultation
        ctx: dict[str, Any] = await _text_context(db, actor, proposal, now)
        ctx.update(
            consultation=consultation,
            proposal=proposal,
            p=proposal,
            supported=await supported_ids(db, actor.user_id, [proposal.id]),
            rules=ProposalRules(actor, consultation, now),
            now=now,
            answer_names=ANSWER_NAMES,
            source_names=SOURCE_NAMES,
            view="seite",
            next_url=url("proposals.page", proposal_id=proposal.id),
            live_url=url("live.proposal", proposal_id=proposal.id, query={"seit": seit}),
            live_next_change=next_change(consultation, now),
        )
        return ctx

    return await render_with_sections(
        request,
        db,
        PAGE,
        proposal,
        "proposals/page.html",
        context,
        block=block,
        status=status,
        announce=announce,
        options=options,
    )


async def _text_context(db: Any, actor: Any, proposal: Proposal, now: Any) -> dict[str, Any]:
    """The proposal's text block for this viewer: the history of edits (public earlier texts),
    the author's controls, and for the author of a held proposal why it waits."""
    own = actor.user_id is not None and proposal.author_id == actor.user_id
    review: Review | None = await review_of(db, proposal) if own and not proposal.is_public else None
    edit_requested = review is not None and review.status == ReviewStatus.EDIT_REQUESTED
    consultation = proposal.consultation
    held_why = None
    if own and not proposal.is_public and not edit_requested and proposal.withdrawn_at is None:
        held_why = explain_hold(
            review.trigger if review is not None else None, review.auto_codes if review else ()
        )
    return {
        "versions": await public_versions(db, proposal.id) if proposal.edited_at else [],
        "own_proposal": own,
        "can_edit": own and why_not_edit_proposal(actor, proposal, consultation, now, edit_requested) is None,
        "can_withdraw": own
        and why_not_withdraw_proposal(actor, proposal, consultation, now, edit_requested) is None,
        "edit_request": review if edit_requested else None,
        "held_why": held_why,
    }
