"""Proposal pages: the list (sorts, filters, pages), submitting, one proposal with its thread,
supporting and withdrawing a support, the author's own edit and withdrawal (rules in
proposals/rules.py), and for staff: the official answer and paper contributions.

Support buttons work as plain POSTs (303 back to where they were) and with htmx (the
``support`` block of the page's own template, announced in the status region).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, ServerSentEvent, Template
from litestar.status_codes import (
    HTTP_303_SEE_OTHER,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_429_TOO_MANY_REQUESTS,
)
from litestar.utils.scope.state import ScopeState

from beteiligung.accounts.guards import permission_required
from beteiligung.accounts.permissions import Perm
from beteiligung.consultations.listing import access_consultation
from beteiligung.consultations.models import Consultation
from beteiligung.consultations.permissions import enforce, feature_open, why_not_propose
from beteiligung.consultations.phases import PHASE_NAMES, Feature
from beteiligung.db import utcnow
from beteiligung.i18n import gettext as _
from beteiligung.i18n import ngettext
from beteiligung.live.streams import next_change, proposal_channels, stream_response, watermark
from beteiligung.mail.service import Mailer
from beteiligung.moderation.actions import account_key, review_of
from beteiligung.moderation.explain import explain_hold, holds_new_posts
from beteiligung.moderation.limits import posting_refused, retry_header, too_many_posts
from beteiligung.moderation.models import ReviewStatus
from beteiligung.moderation.screening import screen_contribution
from beteiligung.proposals import actions
from beteiligung.proposals.forms import AnswerForm, EditProposalForm, OfflineProposalForm, ProposalForm
from beteiligung.proposals.models import ANSWER_NAMES, SOURCE_NAMES, AnswerState, Proposal, Source
from beteiligung.proposals.page import held_message, proposal_page_response
from beteiligung.proposals.permissions import ProposalRules, why_not_support
from beteiligung.proposals.queries import (
    SORT_NAMES,
    ProposalFilters,
    Sort,
    access_proposal,
    get_proposal,
    list_proposals,
    supported_ids,
)
from beteiligung.proposals.rules import why_not_edit_proposal, why_not_withdraw_proposal
from beteiligung.web.context import DB, settings_of
from beteiligung.web.params import parse_int
from beteiligung.web.responses import (
    flash,
    form_data,
    is_htmx,
    page_number,
    redirect_after_post,
    render,
    safe_next,
    submit_form,
)
from beteiligung.web.urls import url

Req = Request[Any, Any, Any]
MANAGE = permission_required(Perm.CONSULTATION_MANAGE)


def _seed(request: Req, value: str) -> int:
    """The random order's seed: from the link (pages keep it), else stable per visitor (derived
    from the CSRF cookie every visitor has; no extra cookie, nothing stored)."""
    if (number := parse_int(value)) is not None:
        return number % 2**31
    # On a GET the CSRF middleware holds the visitor's token (from the cookie, or the one it is
    # about to set), so the first page view already has the order of all later ones.
    token = ScopeState.from_scope(request.scope).csrf_token
    if isinstance(token, str) and token:
        return int(hashlib.sha256(token.encode()).hexdigest()[:8], 16) % 2**31
    return secrets.randbelow(2**31)


def _page_url(proposal_id: int) -> str:
    return url("proposals.page", proposal_id=proposal_id)


def _default_sort(consultation: Consultation) -> Sort:
    """Random while proposals are collected (no early-bird advantage), else most supported."""
    collecting = feature_open(consultation, Feature.PROPOSE, utcnow()) is None
    return Sort.RANDOM if collecting else Sort.SUPPORTED


@get("/vorhaben/{slug:str}/vorschlaege", name="proposals.list")
async def proposals_page(
    request: Req,
    db_session: DB,
    slug: FromPath[str],
    sortierung: FromQuery[str] = "",
    thema: FromQuery[str] = "",
    status: FromQuery[str] = "",
    seite: FromQuery[str] = "1",
    seed: FromQuery[str] = "",
) -> Template:
    since = await watermark(request)  # before reading anything the page shows
    actor = request.state.actor
    consultation = await access_consultation(db_session, actor, request.state.org.id, slug)
    sort = Sort(sortierung) if sortierung in {s.value for s in Sort} else _default_sort(consultation)
    state = status if status in {s.value for s in AnswerState} else ""
    topic = thema if thema in {t.slug for t in consultation.topics} else ""
    filters = ProposalFilters(
        sort=sort,
        topic=topic,
        state=state,
        page=page_number(seite),
        seed=_seed(request, seed) if sort == Sort.RANDOM else 0,
    )
    page = await list_proposals(db_session, consultation.id, filters)
    supported = await supported_ids(db_session, actor.user_id, [p.id for p in page.items])
    now = utcnow()
    editable = {  # the viewer's own proposals they may still change (the card links to the form)
        p.id
        for p in page.items
        if p.author_id is not None
        and p.author_id == actor.user_id
        and why_not_edit_proposal(actor, p, consultation, now) is None
    }
    params: dict[str, str] = {"sortierung": sort.value}
    if topic:
        params["thema"] = topic
    if state:
        params["status"] = state
    if sort == Sort.RANDOM:
        params["seed"] = str(filters.seed)
    htmx = is_htmx(request)
    return render(
        request,
        "proposals/list.html",
        {
            "consultation": consultation,
            "page": page,
            "supported": supported,
            "editable": editable,
            "filters": filters,
            "params": params,
            "rules": ProposalRules(actor, consultation, now),
            "sort_names": SORT_NAMES,
            "answer_names": ANSWER_NAMES,
            "source_names": SOURCE_NAMES,
            "phase": consultation.active_phase(now),
            "phase_names": PHASE_NAMES,
            "view": "liste",
            "next_url": str(request.url.path) + ("?" + request.url.query if request.url.query else ""),
            "live_url": url("live.consultation", slug=consultation.slug, query={"seit": since}),
            "live_next_change": next_change(consultation, now),
            "list_url": url("proposals.list", slug=consultation.slug, query=params),
        },
        block="results",
        announce=ngettext("%(num)s Vorschlag gefunden.", "%(num)s Vorschläge gefunden.", page.total)
        if htmx
        else None,
        headers={"HX-Push-Url": str(request.url)} if htmx else None,
    )


# --------------------------------------------------------------------------------------------
# Submitting
# --------------------------------------------------------------------------------------------
async def _propose_access(request: Req, db: Any, slug: FromPath[str]) -> Consultation:
    actor = request.state.actor
    consultation = await access_consultation(db, actor, request.state.org.id, slug)
    enforce(why_not_propose(actor, consultation, utcnow()))
    return consultation


def _form_context(request: Req, consultation: Consultation, form: Any) -> dict[str, Any]:
    """The submit form's page: ``held_first`` says whether the proposal waits for the moderation
    (pre-moderation) or goes public at once; the form and its button say so."""
    return {
        "form": form,
        "consultation": consultation,
        "held_first": holds_new_posts(request.state.actor, consultation),
    }


@get("/vorhaben/{slug:str}/vorschlaege/neu", name="proposals.new")
async def new_proposal_page(request: Req, db_session: DB, slug: FromPath[str]) -> Template:
    consultation = await _propose_access(request, db_session, slug)
    form = ProposalForm(topics=consultation.topics)
    return render(request, "proposals/new.html", _form_context(request, consultation, form))


@post(
    "/vorhaben/{slug:str}/vorschlaege/neu",
    name="proposals.submit",
    opt={"form": ("proposals/new.html", ProposalForm)},
)
async def submit_proposal(request: Req, db_session: DB, slug: FromPath[str]) -> Response[Any]:
    consultation = await _propose_access(request, db_session, slug)
    form = ProposalForm(await form_data(request), topics=consultation.topics)

    def again(status: int, headers: dict[str, str] | None = None) -> Template:
        """The form once more, with the values and the errors."""
        ctx = _form_context(request, consultation, form)
        return render(request, "proposals/new.html", ctx, block="form", status=status, headers=headers)

    if not form.validate():
        return again(HTTP_422_UNPROCESSABLE_ENTITY)
    refused = await posting_refused(request, account_key(request.state.actor.user_id))
    if refused is not None:  # the hard limit: refused, with the text kept in the form
        form.add_error(None, too_many_posts(refused))
        return again(HTTP_429_TOO_MANY_REQUESTS, retry_header(refused))
    now = utcnow()
    text = f"{form.cleaned['title']}\n{form.cleaned['body']}\n{form.cleaned['place']}"
    screening = await screen_contribution(request, db_session, consultation, text, now)
    proposal = await actions.submit_proposal(
        db_session,
        consultation=consultation,
        author_id=request.state.actor.user_id,
        title=form.cleaned["title"],
        body=form.cleaned["body"],
        topic_id=form.topic_id(),
        place=form.cleaned["place"],
        submission_key=form.cleaned["submission_key"],
        org_id=request.state.org.id,
        screening=screening,
        now=now,
    )
    await db_session.commit()
    if proposal.is_public:
        flash(request, _("Vielen Dank! Ihr Vorschlag ist veröffentlicht."))
    else:  # not a success yet: an information, with the reason and what happens next
        intro = _(
            "Vielen Dank! Ihr Vorschlag wartet auf Freigabe durch die Moderation. Erst dann sehen ihn andere."
        )
        flash(request, held_message(intro, screening), "info")
    return redirect_after_post(request, _page_url(proposal.id))


# --------------------------------------------------------------------------------------------
# One proposal
# --------------------------------------------------------------------------------------------
@get("/vorschlaege/{proposal_id:int}", name="proposals.page")
async def proposal_page(
    request: Req, db_session: DB, proposal_id: FromPath[int], kommentare: FromQuery[str] = ""
) -> Template:
    since = await watermark(request)  # before reading anything the page shows
    proposal = await access_proposal(db_session, request.state.actor, request.state.org.id, proposal_id)
    # ?kommentare= sorts the thread (comments/sections.py); with htmx only the thread answers
    return await proposal_page_response(
        request, db_session, proposal, block="comments" if kommentare else None, since=since
    )


# Live refreshes: the page's own blocks, re-rendered for this viewer (docs/live-updates.md).
PROPOSAL_PARTS = {
    "unterstuetzung": "support",
    "antwort": "answer",
    "kommentare": "comments",
    "text": "text",
}


@get("/vorschlaege/{proposal_id:int}/live/{teil:str}", name="proposals.live_part")
async def proposal_part_page(
    request: Req,
    db_session: DB,
    proposal_id: FromPath[int],
    teil: FromPath[str],
    ansicht: FromQuery[str] = "",
    kommentare: FromQuery[str] = "",
) -> Response[Any]:
    proposal = await access_proposal(db_session, request.state.actor, request.state.org.id, proposal_id)
    block = PROPOSAL_PARTS.get(teil)
    if block is None:
        raise NotFoundException()
    if not is_htmx(request):
        return Redirect(path=_page_url(proposal.id), status_code=HTTP_303_SEE_OTHER)
    if block == "support" and ansicht == "liste":
        # The list's support widget: same block, rendered from the list page's template.
        current = urlsplit(request.headers.get("hx-current-url", ""))
        back = safe_next(current.path + (f"?{current.query}" if current.query else ""), "/")
        actor = request.state.actor
        return render(
            request,
            "proposals/list.html",
            {
                "p": proposal,
                "supported": await supported_ids(db_session, actor.user_id, [proposal.id]),
                "rules": ProposalRules(actor, proposal.consultation, utcnow()),
                "view": "liste",
                "next_url": back,
            },
            block="support",
        )
    return await proposal_page_response(request, db_session, proposal, block=block)


async def _support_response(request: Req, db: Any, proposal_id: FromPath[int], message: str) -> Response[Any]:
    data = await form_data(request)
    back = safe_next(str(data.get("next") or ""), _page_url(proposal_id))
    proposal = await get_proposal(db, proposal_id)
    assert proposal is not None
    count = ngettext("%(num)s Unterstützung.", "%(num)s Unterstützungen.", proposal.support_count)
    if not is_htmx(request):
        flash(request, f"{message} {count}")
        return Redirect(path=back, status_code=HTTP_303_SEE_OTHER)
    actor = request.state.actor
    view = "liste" if data.get("view") == "liste" else "seite"
    template = "proposals/list.html" if view == "liste" else "proposals/page.html"
    return render(
        request,
        template,
        {
            "p": proposal,
            "supported": await supported_ids(db, actor.user_id, [proposal.id]),
            "rules": ProposalRules(actor, proposal.consultation, utcnow()),
            "view": view,
            "next_url": back,
            "focus_support": True,
        },
        block="support",
        announce=f"{message} {count}",
    )


@post("/vorschlaege/{proposal_id:int}/unterstuetzen", name="proposals.support")
async def support_submit(request: Req, db_session: DB, proposal_id: FromPath[int]) -> Response[Any]:
    return await _change_support(
        request, db_session, proposal_id, actions.support_proposal, _("Sie unterstützen diesen Vorschlag.")
    )


@post("/vorschlaege/{proposal_id:int}/zurueckziehen", name="proposals.withdraw")
async def withdraw_submit(request: Req, db_session: DB, proposal_id: FromPath[int]) -> Response[Any]:
    return await _change_support(
        request,
        db_session,
        proposal_id,
        actions.withdraw_support,
        _("Sie haben Ihre Unterstützung zurückgezogen."),
    )


async def _change_support(
    request: Req, db: Any, proposal_id: int, action: Callable[..., Awaitable[bool]], message: str
) -> Response[Any]:
    """Support, or withdraw a support: both only while supports are open."""
    actor = request.state.actor
    proposal = await access_proposal(db, actor, request.state.org.id, proposal_id)
    enforce(why_not_support(actor, proposal, proposal.consultation, utcnow()))
    await action(db, proposal_id=proposal.id, consultation_id=proposal.consultation_id, user_id=actor.user_id)
    await db.commit()
    return await _support_response(request, db, proposal_id, message)


# --------------------------------------------------------------------------------------------
# The author: edit and withdraw one's own proposal (proposals/rules.py)
# --------------------------------------------------------------------------------------------
async def _own_proposal(request: Req, db: Any, proposal_id: int) -> tuple[Proposal, bool]:
    """The proposal and whether the moderation asked its author to revise it."""
    proposal = await access_proposal(db, request.state.actor, request.state.org.id, proposal_id)
    review = await review_of(db, proposal)
    return proposal, review is not None and review.status == ReviewStatus.EDIT_REQUESTED


def _edit_context(
    request: Req, proposal: Proposal, form: EditProposalForm, edit_requested: bool
) -> dict[str, Any]:
    actor = request.state.actor
    consultation = proposal.consultation
    return {
        "form": form,
        "proposal": proposal,
        "consultation": consultation,
        # Public now, and a change waits for the moderation first (pre-moderation).
        "held_first": proposal.is_public and holds_new_posts(actor, consultation),
        "can_withdraw": why_not_withdraw_proposal(actor, proposal, consultation, utcnow(), edit_requested)
        is None,
    }


@get("/vorschlaege/{proposal_id:int}/bearbeiten", name="proposals.edit")
async def edit_proposal_page(request: Req, db_session: DB, proposal_id: FromPath[int]) -> Template:
    proposal, edit_requested = await _own_proposal(request, db_session, proposal_id)
    actor = request.state.actor
    enforce(why_not_edit_proposal(actor, proposal, proposal.consultation, utcnow(), edit_requested))
    initial = {
        "title": proposal.title,
        "body": proposal.body,
        "topic": proposal.topic.slug if proposal.topic else "",
        "place": proposal.place,
    }
    form = EditProposalForm(initial=initial, topics=proposal.consultation.topics)
    return render(request, "proposals/edit.html", _edit_context(request, proposal, form, edit_requested))


@post(
    "/vorschlaege/{proposal_id:int}/bearbeiten",
    name="proposals.edit.submit",
    opt={"form": ("proposals/edit.html", EditProposalForm)},
)
async def edit_proposal_submit(request: Req, db_session: DB, proposal_id: FromPath[int]) -> Response[Any]:
    proposal, edit_requested = await _own_proposal(request, db_session, proposal_id)
    actor = request.state.actor
    consultation = proposal.consultation
    now = utcnow()
    enforce(why_not_edit_proposal(actor, proposal, consultation, now, edit_requested))
    form = EditProposalForm(await form_data(request), topics=consultation.topics)
    if not form.validate():
        return render(
            request,
            "proposals/edit.html",
            _edit_context(request, proposal, form, edit_requested),
            block="form",
            status=HTTP_422_UNPROCESSABLE_ENTITY,
        )
    text = f"{form.cleaned['title']}\n{form.cleaned['body']}\n{form.cleaned['place']}"
    screening = await screen_contribution(request, db_session, consultation, text, now, edit=True)
    was_public = proposal.is_public
    changed = await actions.edit_proposal(
        db_session,
        proposal=proposal,
        title=form.cleaned["title"],
        body=form.cleaned["body"],
        topic_id=form.topic_id(),
        place=form.cleaned["place"],
        org_id=request.state.org.id,
        screening=screening,
        pre_moderated=holds_new_posts(actor, consultation),
        now=now,
    )
    await db_session.commit()
    if not changed:
        flash(request, _("Sie haben nichts geändert."), "info")
    elif proposal.is_public:
        flash(
            request, _("Ihr Vorschlag ist geändert. Die frühere Fassung bleibt auf seiner Seite einsehbar.")
        )
    else:
        review = await review_of(db_session, proposal)
        why = explain_hold(review.trigger if review else None, review.auto_codes if review else ())
        if edit_requested:
            intro = _("Danke! Ihr überarbeiteter Beitrag wartet auf Freigabe durch die Moderation.")
        elif was_public:
            intro = _(
                "Ihre Änderung ist gespeichert. Ihr Vorschlag wartet jetzt auf Freigabe durch die Moderation."
            )
        else:
            intro = _(
                "Ihre Änderung ist gespeichert. Ihr Vorschlag wartet weiter auf Freigabe durch die Moderation."
            )
        flash(request, f"{intro} {why.text()}", "info")
    return redirect_after_post(request, _page_url(proposal.id))


@post("/vorschlaege/{proposal_id:int}/rueckzug", name="proposals.retract")
async def retract_proposal_submit(request: Req, db_session: DB, proposal_id: FromPath[int]) -> Response[Any]:
    """The author withdraws the proposal (final; it stays visible, marked, supports frozen)."""
    proposal, edit_requested = await _own_proposal(request, db_session, proposal_id)
    enforce(
        why_not_withdraw_proposal(
            request.state.actor, proposal, proposal.consultation, utcnow(), edit_requested
        )
    )
    await actions.withdraw_proposal(db_session, proposal=proposal, org_id=request.state.org.id, now=utcnow())
    await db_session.commit()
    flash(
        request,
        _(
            "Sie haben Ihren Vorschlag zurückgezogen. Er bleibt als zurückgezogen sichtbar; "
            "seine Unterstützungen bleiben gezählt, neue sind nicht mehr möglich."
        ),
    )
    return redirect_after_post(request, _page_url(proposal.id))


# --------------------------------------------------------------------------------------------
# Staff: official answer, contributions received on paper or at events
# --------------------------------------------------------------------------------------------
@get("/vorschlaege/{proposal_id:int}/antwort", name="proposals.answer", guards=[MANAGE])
async def answer_page(request: Req, db_session: DB, proposal_id: FromPath[int]) -> Template:
    proposal = await access_proposal(db_session, request.state.actor, request.state.org.id, proposal_id)
    initial = {"state": proposal.answer_state.value, "text": proposal.answer_text}
    if proposal.answer_state == AnswerState.NONE:
        initial["state"] = AnswerState.IN_REVIEW.value
    return render(
        request, "proposals/answer.html", {"form": AnswerForm(initial=initial), "proposal": proposal}
    )


@post(
    "/vorschlaege/{proposal_id:int}/antwort",
    name="proposals.answer.submit",
    guards=[MANAGE],
    opt={"form": ("proposals/answer.html", AnswerForm)},
)
async def answer_submit(request: Req, db_session: DB, proposal_id: FromPath[int]) -> Response[Any] | Template:
    proposal = await access_proposal(db_session, request.state.actor, request.state.org.id, proposal_id)
    changed = False

    async def answer(values: dict[str, Any]) -> Proposal:
        nonlocal changed
        changed = await actions.answer_proposal(
            db_session,
            proposal=proposal,
            state=AnswerState(values["state"]),
            text=values["text"],
            staff_id=request.state.actor.user_id,
            now=utcnow(),
        )
        return proposal

    response = await submit_form(
        request,
        db_session,
        AnswerForm(await form_data(request)),
        template="proposals/answer.html",
        context={"proposal": proposal},
        action=answer,
        done=_("Die Antwort ist veröffentlicht."),
        next_url=url("proposals.page", proposal_id=proposal.id, anchor="antwort"),
    )
    if changed:  # saved (submit_form committed): now the author is told of it
        mailer: Mailer = request.app.state["mailer"]
        await actions.tell_author_of_answer(
            db_session,
            mailer,
            proposal=proposal,
            proposal_url=settings_of(request).resolved_base_url + _page_url(proposal.id),
            org_name=request.state.org.name,
        )
    return response


@get("/vorhaben/{slug:str}/vorschlaege/erfassen", name="proposals.record", guards=[MANAGE])
async def record_proposal_page(request: Req, db_session: DB, slug: FromPath[str]) -> Template:
    consultation = await access_consultation(db_session, request.state.actor, request.state.org.id, slug)
    form = OfflineProposalForm(topics=consultation.topics)
    return render(request, "proposals/record.html", {"form": form, "consultation": consultation})


@post(
    "/vorhaben/{slug:str}/vorschlaege/erfassen",
    name="proposals.record.submit",
    guards=[MANAGE],
    opt={"form": ("proposals/record.html", OfflineProposalForm)},
)
async def record_proposal_submit(
    request: Req, db_session: DB, slug: FromPath[str]
) -> Response[Any] | Template:
    consultation = await access_consultation(db_session, request.state.actor, request.state.org.id, slug)
    form = OfflineProposalForm(await form_data(request), topics=consultation.topics)

    async def record(values: dict[str, Any]) -> Proposal:
        return await actions.record_offline_proposal(
            db_session,
            consultation=consultation,
            recorded_by_id=request.state.actor.user_id,
            source=Source(values["source"]),
            source_note=values["source_note"],
            title=values["title"],
            body=values["body"],
            topic_id=form.topic_id(),
            place=values["place"],
            submission_key=values["submission_key"],
        )

    return await submit_form(
        request,
        db_session,
        form,
        template="proposals/record.html",
        context={"consultation": consultation},
        action=record,
        done=_("Der Beitrag ist erfasst und als solcher gekennzeichnet."),
        next_url=lambda proposal: _page_url(proposal.id),
    )


@get("/live/vorschlaege/{proposal_id:int}", name="live.proposal", opt={"live": True})
async def proposal_stream(
    request: Req, db_session: DB, proposal_id: FromPath[int], seit: FromQuery[str] = ""
) -> ServerSentEvent:
    """The proposal page's live stream (live/streams.py)."""
    proposal = await access_proposal(db_session, request.state.actor, request.state.org.id, proposal_id)
    channels = proposal_channels(proposal.id, proposal.consultation_id)
    await db_session.close()  # a stream lives for hours: it must not hold a database connection
    return await stream_response(request, channels, seit)


ROUTES = [
    proposals_page,
    new_proposal_page,
    submit_proposal,
    proposal_page,
    proposal_part_page,
    support_submit,
    withdraw_submit,
    edit_proposal_page,
    edit_proposal_submit,
    retract_proposal_submit,
    answer_page,
    answer_submit,
    record_proposal_page,
    record_proposal_submit,
    proposal_stream,
]
