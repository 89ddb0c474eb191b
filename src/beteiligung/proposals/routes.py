"""Proposal pages: the list (sorts, filters, pages), submitting, one proposal with its thread,
supporting and withdrawing, and for staff: the official answer and paper contributions.

Support buttons work as plain POSTs (303 back to where they were) and with htmx (the
``support`` block of the page's own template, announced in the status region).
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_303_SEE_OTHER,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_429_TOO_MANY_REQUESTS,
)
from litestar.utils.scope.state import ScopeState

from beteiligung.accounts.guards import permission_required
from beteiligung.accounts.permissions import Perm
from beteiligung.comments.views import THREAD_BLOCKS, THREAD_TEMPLATE, ThreadForms, parse_sort, thread_context
from beteiligung.consultations.listing import access_consultation
from beteiligung.consultations.models import Consultation
from beteiligung.consultations.permissions import (
    Rules,
    enforce,
    feature_open,
    why_not_propose,
    why_not_support,
)
from beteiligung.consultations.phases import PHASE_NAMES, Feature
from beteiligung.db import utcnow
from beteiligung.i18n import gettext as _
from beteiligung.i18n import ngettext
from beteiligung.live.routes import next_change, watermark
from beteiligung.mail.service import Mailer
from beteiligung.moderation.actions import account_key
from beteiligung.moderation.limits import posting_refused, retry_header, too_many_posts
from beteiligung.moderation.routes import screen_contribution
from beteiligung.proposals import actions
from beteiligung.proposals.forms import AnswerForm, OfflineProposalForm, ProposalForm
from beteiligung.proposals.models import ANSWER_NAMES, SOURCE_NAMES, AnswerState, Proposal, Source
from beteiligung.proposals.queries import (
    SORT_NAMES,
    ProposalFilters,
    Sort,
    access_proposal,
    get_proposal,
    list_proposals,
    supported_ids,
)
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
)

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
    params: dict[str, str] = {"sortierung": sort.value}
    if topic:
        params["thema"] = topic
    if state:
        params["status"] = state
    if sort == Sort.RANDOM:
        params["seed"] = str(filters.seed)
    now = utcnow()
    htmx = is_htmx(request)
    return render(
        request,
        "proposals/list.html",
        {
            "consultation": consultation,
            "page": page,
            "supported": supported,
            "filters": filters,
            "params": params,
            "rules": Rules(actor, consultation, now),
            "sort_names": SORT_NAMES,
            "answer_names": ANSWER_NAMES,
            "source_names": SOURCE_NAMES,
            "phase": consultation.active_phase(now),
            "phase_names": PHASE_NAMES,
            "view": "liste",
            "next_url": str(request.url.path) + ("?" + request.url.query if request.url.query else ""),
            "live_url": f"/live/vorhaben/{consultation.slug}?seit={since}",
            "live_next_change": next_change(consultation, now),
            "list_url": f"/vorhaben/{consultation.slug}/vorschlaege?" + urlencode(params),
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


@get("/vorhaben/{slug:str}/vorschlaege/neu", name="proposals.new")
async def new_proposal_page(request: Req, db_session: DB, slug: FromPath[str]) -> Template:
    consultation = await _propose_access(request, db_session, slug)
    form = ProposalForm(topics=consultation.topics)
    return render(request, "proposals/new.html", {"form": form, "consultation": consultation})


@post(
    "/vorhaben/{slug:str}/vorschlaege/neu",
    name="proposals.submit",
    opt={"form": ("proposals/new.html", ProposalForm)},
)
async def submit_proposal(request: Req, db_session: DB, slug: FromPath[str]) -> Response[Any]:
    consultation = await _propose_access(request, db_session, slug)
    form = ProposalForm(await form_data(request), topics=consultation.topics)
    if not form.validate():
        return render(
            request,
            "proposals/new.html",
            {"form": form, "consultation": consultation},
            block="form",
            status=HTTP_422_UNPROCESSABLE_ENTITY,
        )
    refused = await posting_refused(request, account_key(request.state.actor.user_id))
    if refused is not None:  # the hard limit: refused, with the text kept in the form
        form.add_error(None, too_many_posts(refused))
        return render(
            request,
            "proposals/new.html",
            {"form": form, "consultation": consultation},
            block="form",
            status=HTTP_429_TOO_MANY_REQUESTS,
            headers=retry_header(refused),
        )
    now = utcnow()
    text = f"{form.cleaned['title']}\n{form.cleaned['body']}\n{form.cleaned['place']}"
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
        screening=await screen_contribution(request, db_session, consultation, text, now),
        now=now,
    )
    if proposal.is_public:
        flash(request, _("Vielen Dank! Ihr Vorschlag ist veröffentlicht."))
    else:
        flash(
            request,
            _(
                "Vielen Dank! Ihr Vorschlag wartet auf Freigabe durch die Moderation. Erst dann sehen ihn andere."
            ),
        )
    return redirect_after_post(request, f"/vorschlaege/{proposal.id}")


# --------------------------------------------------------------------------------------------
# One proposal
# --------------------------------------------------------------------------------------------
async def proposal_page_response(
    request: Req,
    db: Any,
    proposal: Proposal,
    *,
    sort: str | None = None,
    forms: ThreadForms | None = None,
    status: int = 200,
    block: str | None = None,
    announce: str | None = None,
    focus: int | None = None,
    since: str | None = None,
) -> Template:
    """The proposal page, or with htmx one of its blocks (``support``, ``answer``, the thread's)."""
    if since is None:
        since = await watermark(request)
    now = utcnow()
    actor = request.state.actor
    consultation = proposal.consultation
    ctx = await thread_context(
        db,
        org_id=request.state.org.id,
        actor=actor,
        consultation=consultation,
        proposal_id=proposal.id,
        sort=parse_sort(sort),
        forms=forms,
        focus=focus,
    )
    ctx.update(
        consultation=consultation,
        proposal=proposal,
        p=proposal,
        supported=await supported_ids(db, actor.user_id, [proposal.id]),
        rules=Rules(actor, consultation, now),
        now=now,
        answer_names=ANSWER_NAMES,
        source_names=SOURCE_NAMES,
        view="seite",
        next_url=f"/vorschlaege/{proposal.id}",
        show_comments=proposal.is_public,  # a held proposal has no public discussion yet
        live_url=f"/live/vorschlaege/{proposal.id}?seit={since}",
        live_next_change=next_change(consultation, now),
    )
    template = "proposals/page.html"
    if block in THREAD_BLOCKS and is_htmx(request):
        template = THREAD_TEMPLATE
    return render(request, template, ctx, block=block, status=status, announce=announce)


@get("/vorschlaege/{proposal_id:int}", name="proposals.page")
async def proposal_page(
    request: Req, db_session: DB, proposal_id: FromPath[int], kommentare: FromQuery[str] = ""
) -> Template:
    since = await watermark(request)  # before reading anything the page shows
    proposal = await access_proposal(db_session, request.state.actor, request.state.org.id, proposal_id)
    return await proposal_page_response(
        request, db_session, proposal, sort=kommentare, block="comments" if kommentare else None, since=since
    )


# Live refreshes: the page's own blocks, re-rendered for this viewer (docs/live-updates.md).
PROPOSAL_PARTS = {"unterstuetzung": "support", "antwort": "answer", "kommentare": "comments"}


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
        return Redirect(path=f"/vorschlaege/{proposal.id}", status_code=HTTP_303_SEE_OTHER)
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
                "rules": Rules(actor, proposal.consultation, utcnow()),
                "view": "liste",
                "next_url": back,
            },
            block="support",
        )
    return await proposal_page_response(request, db_session, proposal, sort=kommentare, block=block)


async def _support_response(request: Req, db: Any, proposal_id: FromPath[int], message: str) -> Response[Any]:
    data = await form_data(request)
    proposal = await get_proposal(db, proposal_id)
    assert proposal is not None
    count = ngettext("%(num)s Unterstützung.", "%(num)s Unterstützungen.", proposal.support_count)
    if not is_htmx(request):
        flash(request, f"{message} {count}")
        fallback = f"/vorschlaege/{proposal_id}"
        return Redirect(path=safe_next(str(data.get("next") or ""), fallback), status_code=HTTP_303_SEE_OTHER)
    actor = request.state.actor
    view = "liste" if data.get("view") == "liste" else "seite"
    template = "proposals/list.html" if view == "liste" else "proposals/page.html"
    return render(
        request,
        template,
        {
            "p": proposal,
            "supported": await supported_ids(db, actor.user_id, [proposal.id]),
            "rules": Rules(actor, proposal.consultation, utcnow()),
            "view": view,
            "next_url": safe_next(str(data.get("next") or ""), f"/vorschlaege/{proposal_id}"),
            "focus_support": True,
        },
        block="support",
        announce=f"{message} {count}",
    )


@post("/vorschlaege/{proposal_id:int}/unterstuetzen", name="proposals.support")
async def support_submit(request: Req, db_session: DB, proposal_id: FromPath[int]) -> Response[Any]:
    actor = request.state.actor
    proposal = await access_proposal(db_session, actor, request.state.org.id, proposal_id)
    enforce(why_not_support(actor, proposal, proposal.consultation, utcnow()))
    await actions.support_proposal(
        db_session, proposal_id=proposal.id, consultation_id=proposal.consultation_id, user_id=actor.user_id
    )
    return await _support_response(request, db_session, proposal_id, _("Sie unterstützen diesen Vorschlag."))


@post("/vorschlaege/{proposal_id:int}/zurueckziehen", name="proposals.withdraw")
async def withdraw_submit(request: Req, db_session: DB, proposal_id: FromPath[int]) -> Response[Any]:
    actor = request.state.actor
    proposal = await access_proposal(db_session, actor, request.state.org.id, proposal_id)
    # Withdrawing follows the same rule as supporting: only while supports are open.
    enforce(why_not_support(actor, proposal, proposal.consultation, utcnow()))
    await actions.withdraw_support(
        db_session, proposal_id=proposal.id, consultation_id=proposal.consultation_id, user_id=actor.user_id
    )
    return await _support_response(
        request, db_session, proposal_id, _("Sie haben Ihre Unterstützung zurückgezogen.")
    )


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
async def answer_submit(request: Req, db_session: DB, proposal_id: FromPath[int]) -> Response[Any]:
    proposal = await access_proposal(db_session, request.state.actor, request.state.org.id, proposal_id)
    form = AnswerForm(await form_data(request))
    if not form.validate():
        return render(
            request,
            "proposals/answer.html",
            {"form": form, "proposal": proposal},
            block="form",
            status=HTTP_422_UNPROCESSABLE_ENTITY,
        )
    mailer: Mailer = request.app.state["mailer"]
    await actions.answer_proposal(
        db_session,
        mailer,
        proposal=proposal,
        state=AnswerState(form.cleaned["state"]),
        text=form.cleaned["text"],
        staff_id=request.state.actor.user_id,
        now=utcnow(),
        proposal_url=f"{settings_of(request).resolved_base_url}/vorschlaege/{proposal.id}",
        org_name=request.state.org.name,
    )
    flash(request, _("Die Antwort ist veröffentlicht."))
    return redirect_after_post(request, f"/vorschlaege/{proposal.id}#antwort")


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
async def record_proposal_submit(request: Req, db_session: DB, slug: FromPath[str]) -> Response[Any]:
    consultation = await access_consultation(db_session, request.state.actor, request.state.org.id, slug)
    form = OfflineProposalForm(await form_data(request), topics=consultation.topics)
    if not form.validate():
        return render(
            request,
            "proposals/record.html",
            {"form": form, "consultation": consultation},
            block="form",
            status=HTTP_422_UNPROCESSABLE_ENTITY,
        )
    proposal = await actions.record_offline_proposal(
        db_session,
        consultation=consultation,
        recorded_by_id=request.state.actor.user_id,
        source=Source(form.cleaned["source"]),
        source_note=form.cleaned["source_note"],
        title=form.cleaned["title"],
        body=form.cleaned["body"],
        topic_id=form.topic_id(),
        place=form.cleaned["place"],
        submission_key=form.cleaned["submission_key"],
    )
    flash(request, _("Der Beitrag ist erfasst und als solcher gekennzeichnet."))
    return redirect_after_post(request, f"/vorschlaege/{proposal.id}")


ROUTES = [
    proposals_page,
    new_proposal_page,
    submit_proposal,
    proposal_page,
    proposal_part_page,
    support_submit,
    withdraw_submit,
    answer_page,
    answer_submit,
    record_proposal_page,
    record_proposal_submit,
]
