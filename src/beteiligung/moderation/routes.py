"""Moderation routes (docs/moderation.md).

* The queue ``/moderation``: every open item of the organisation, oldest first, with filters by
  consultation and reason; claim, release, decide, note, bulk. Each action answers the page
  (303 without JS) or, with htmx, the page's ``queue`` block. The queue refreshes live over
  ``/live/moderation`` (moderators only).
* Flags: ``/kommentare/{id}/melden`` and ``/vorschlaege/{id}/melden`` (a form page, works without
  JavaScript).

Only moderators (Perm.MODERATION_QUEUE_REVIEW) reach the queue; a guard refuses everyone else
with 401/403, fragment routes included.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, ServerSentEvent, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_422_UNPROCESSABLE_ENTITY

from beteiligung.accounts.guards import permission_required
from beteiligung.accounts.permissions import Perm
from beteiligung.consultations.permissions import enforce, why_not_flag
from beteiligung.db import utcnow
from beteiligung.i18n import gettext as _
from beteiligung.i18n import ngettext
from beteiligung.live.events import ReviewQueueChanged
from beteiligung.live.publish import queue_event
from beteiligung.live.streams import moderation_channels, stream_response, watermark
from beteiligung.moderation import actions, decisions
from beteiligung.moderation.actions import Decision
from beteiligung.moderation.checks import CHECK_NAMES
from beteiligung.moderation.claims import Claims, ClaimsUnavailable
from beteiligung.moderation.forms import BulkForm, DecisionForm, FlagForm, NoteForm
from beteiligung.moderation.models import FLAG_REASON_NAMES, TRIGGER_NAMES, FlagReason, Trigger
from beteiligung.moderation.queries import STATUS_LABELS, get_review, load_queue
from beteiligung.moderation.reasons import NETIQUETTE_RULES
from beteiligung.moderation.targets import all_targets
from beteiligung.web.context import DB
from beteiligung.web.errors import ActionConflict, Refused
from beteiligung.web.params import parse_ids, parse_int
from beteiligung.web.responses import flash, form_data, is_htmx, render
from beteiligung.web.urls import url

Req = Request[Any, Any, Any]
GUARDS = [permission_required(Perm.MODERATION_QUEUE_REVIEW)]
QUEUE_TEMPLATE = "moderation/queue.html"


def claims_of(request: Req) -> Claims:
    return request.app.state["moderation_claims"]  # type: ignore[no-any-return]


# -- the queue ----------------------------------------------------------------------------------


NO_CONSULTATION = "ohne"  # ?verfahren=ohne: items outside every consultation (the town's own meetings)


def _filters(verfahren: str, grund: str) -> tuple[int | None, Trigger | None]:
    consultation_id = parse_int(verfahren, minimum=1)
    try:
        trigger = Trigger(grund) if grund else None
    except ValueError:
        trigger = None
    return consultation_id, trigger


def _filter_params(verfahren: str, grund: str) -> dict[str, Any]:
    """The queue's filters for its links, built from the parsed values (never the raw input)."""
    consultation_id, trigger = _filters(verfahren, grund)
    chosen = NO_CONSULTATION if verfahren == NO_CONSULTATION else consultation_id
    params = {"verfahren": chosen, "grund": trigger.value if trigger else None}
    return {k: v for k, v in params.items() if v}


def _filter_query(verfahren: str, grund: str) -> str:
    """The filters as a query string (without "?"), for the queue's links in the template."""
    return url("moderation.queue", query=_filter_params(verfahren, grund)).partition("?")[2]


def _decision_form(review_id: int, bound: DecisionForm | None = None) -> DecisionForm:
    form = bound or DecisionForm()
    form.id = f"decision-{review_id}"  # type: ignore[misc]
    return form


def _note_form(review: Any) -> NoteForm:
    form = NoteForm(initial={"note": review.note})
    form.id = f"note-{review.id}"  # type: ignore[misc]
    return form


async def queue_response(
    request: Req,
    db: Any,
    *,
    verfahren: str = "",
    grund: str = "",
    forms: dict[int, DecisionForm] | None = None,
    note_forms: dict[int, NoteForm] | None = None,
    bulk_form: BulkForm | None = None,
    status: int = 200,
    announce: str | None = None,
    focus: str | None = None,
    live: str = "",
) -> Template:
    """The queue page, or with htmx its ``queue`` block."""
    org_id = request.state.org.id
    mark = await watermark(request)
    consultation_id, trigger = _filters(verfahren, grund)
    without = verfahren == NO_CONSULTATION
    queue = await load_queue(
        db, org_id, consultation_id=consultation_id, without_consultation=without, trigger=trigger
    )
    holders = await claims_of(request).holders([i.review.id for i in queue.items])
    for item in queue.items:
        item.claim = holders.get(item.review.id)
    query = _filter_query(verfahren, grund)
    context = {
        "queue": queue,
        "filter_consultation": NO_CONSULTATION if without else consultation_id,
        "no_consultation": NO_CONSULTATION,
        "filter_trigger": trigger.value if trigger else "",
        "filter_query": query,
        "trigger_names": TRIGGER_NAMES,
        "check_names": CHECK_NAMES,
        "flag_reason_names": FLAG_REASON_NAMES,
        "status_labels": STATUS_LABELS,
        "netiquette": NETIQUETTE_RULES,
        "decision_forms": forms or {},
        "new_decision_form": _decision_form,
        "new_note_form": _note_form,
        "note_forms": note_forms or {},
        "bulk_form": bulk_form or BulkForm(),
        "me": request.state.actor.user_id,
        "focus": focus,
        "live_url": url("live.moderation", query={"seit": mark or None}),
        "live_next_change": "",
    }
    block = "queue" if is_htmx(request) and not live else None
    return render(
        request,
        QUEUE_TEMPLATE,
        context,
        block="queue" if (is_htmx(request) or live) else block,
        status=status,
        announce=announce,
    )


@get("/moderation", name="moderation.queue", guards=GUARDS)
async def queue_page(
    request: Req, db_session: DB, verfahren: FromQuery[str] = "", grund: FromQuery[str] = ""
) -> Template:
    return await queue_response(request, db_session, verfahren=verfahren, grund=grund)


@get("/moderation/live/warteschlange", name="moderation.queue_live", guards=GUARDS)
async def queue_part_page(
    request: Req, db_session: DB, verfahren: FromQuery[str] = "", grund: FromQuery[str] = ""
) -> Response[Any]:
    """Live refresh of the queue block for this moderator (docs/live-updates.md)."""
    if not is_htmx(request):
        return Redirect(path=url("moderation.queue"), status_code=HTTP_303_SEE_OTHER)
    return await queue_response(request, db_session, verfahren=verfahren, grund=grund, live="1")


@get("/live/moderation", name="live.moderation", guards=GUARDS, opt={"live": True})
async def moderation_stream(request: Req, db_session: DB, seit: FromQuery[str] = "") -> ServerSentEvent:
    await db_session.close()
    return await stream_response(request, moderation_channels(request.state.org.id), seit)


async def _review_or_404(request: Req, db: Any, review_id: int) -> Any:
    review = await get_review(db, request.state.org.id, review_id)
    if review is None:
        raise NotFoundException()
    return review


def _after(request: Req, data: dict[str, Any], message: str, kind: str = "success") -> Response[Any] | None:
    """Without JS: back to the queue with the message (post/redirect/get)."""
    if is_htmx(request):
        return None
    flash(request, message, kind)
    query = _filter_params(**_filter_args(data))
    return Redirect(path=url("moderation.queue", query=query), status_code=HTTP_303_SEE_OTHER)


def _filter_args(data: dict[str, Any]) -> dict[str, Any]:
    return {k: str(data.get(k) or "") for k in ("verfahren", "grund")}


async def _claim(request: Req, review_id: int) -> bool:
    actor = request.state.actor
    try:
        claim = await claims_of(request).claim(review_id, actor.user_id, actor.display_name or "")
    except ClaimsUnavailable as exc:
        raise ActionConflict(
            detail=_("Übernehmen ist gerade nicht möglich. Bitte versuchen Sie es gleich noch einmal.")
        ) from exc
    return claim.user_id == actor.user_id


@post("/moderation/{review_id:int}/uebernehmen", name="moderation.claim", guards=GUARDS)
async def claim_submit(request: Req, db_session: DB, review_id: FromPath[int]) -> Response[Any]:
    review = await _review_or_404(request, db_session, review_id)
    data = await form_data(request)
    if not review.is_open:
        raise ActionConflict(detail=_("Dieser Beitrag ist bereits entschieden."))
    if not await _claim(request, review.id):
        holders = await claims_of(request).holders([review.id])
        name = holders[review.id].name if review.id in holders else ""
        raise ActionConflict(detail=_("Dieser Beitrag ist bereits in Bearbeitung von %(name)s.", name=name))
    queue_event(db_session, ReviewQueueChanged(organisation_id=review.organisation_id, review_id=review.id))
    await db_session.commit()  # publishes the claim to the other moderators' queues
    message = _("Sie bearbeiten jetzt diesen Beitrag.")
    return _after(request, data, message) or await queue_response(
        request, db_session, **_filter_args(data), announce=message, focus=f"review-{review.id}-decision"
    )


@post("/moderation/{review_id:int}/freigeben", name="moderation.release", guards=GUARDS)
async def release_submit(request: Req, db_session: DB, review_id: FromPath[int]) -> Response[Any]:
    review = await _review_or_404(request, db_session, review_id)
    data = await form_data(request)
    await claims_of(request).release(review.id, request.state.actor.user_id)
    queue_event(db_session, ReviewQueueChanged(organisation_id=review.organisation_id, review_id=review.id))
    await db_session.commit()
    message = _("Sie haben den Beitrag wieder freigegeben; andere können ihn jetzt übernehmen.")
    return _after(request, data, message) or await queue_response(
        request, db_session, **_filter_args(data), announce=message, focus=f"review-{review.id}"
    )


DECISION_MESSAGES = {
    Decision.APPROVE: "Der Beitrag ist freigegeben.",
    Decision.HIDE: "Der Beitrag ist ausgeblendet.",
    Decision.REQUEST_EDIT: "Die verfassende Person wird um Überarbeitung gebeten.",
    Decision.DISMISS: "Die Meldungen sind verworfen; der Beitrag bleibt sichtbar.",
}


async def _require_holder(request: Req, review: Any) -> None:
    """Authorise a decision: the item is open and this moderator holds its claim (409 else)."""
    if not review.is_open:
        raise ActionConflict(detail=_("Dieser Beitrag ist bereits entschieden."))
    try:
        claim = await claims_of(request).holder(review.id)
    except ClaimsUnavailable as exc:
        # Unknown is not "nobody": telling the holder to claim first would be wrong.
        raise ActionConflict(
            detail=_("Entscheiden ist gerade nicht möglich. Bitte versuchen Sie es gleich noch einmal.")
        ) from exc
    if claim is None:
        raise ActionConflict(detail=_("Bitte übernehmen Sie den Beitrag, bevor Sie entscheiden."))
    if claim.user_id != request.state.actor.user_id:
        raise ActionConflict(detail=_("Dieser Beitrag ist in Bearbeitung von %(name)s.", name=claim.name))


@post("/moderation/{review_id:int}/entscheidung", name="moderation.decide", guards=GUARDS)
async def decide_submit(request: Req, db_session: DB, review_id: FromPath[int]) -> Response[Any]:
    review = await _review_or_404(request, db_session, review_id)
    data = await form_data(request)
    await _require_holder(request, review)
    form = DecisionForm(data)
    if form.validate():
        decision = form.cleaned["decision"]
        try:
            decided = await decisions.decide_one(
                db_session,
                review=review,
                decision=decision,
                moderator=request.state.actor,
                rule=form.rule,
                reason_text=form.cleaned["reason"],
                block_days=form.block_days,
                now=utcnow(),
            )
        except Refused as refusal:
            await db_session.rollback()
            if refusal.field is None:
                raise ActionConflict(detail=refusal.message) from None
            form.add_error(refusal.field, refusal.message)
        else:
            await db_session.commit()
            await decided.tell(db_session, claims_of(request), _mail_settings(request))
            message = _(DECISION_MESSAGES[decision])
            return _after(request, data, message) or await queue_response(
                request, db_session, **_filter_args(data), announce=message, focus="queue-title"
            )
    return await queue_response(
        request,
        db_session,
        **_filter_args(data),
        forms={review_id: form},
        status=HTTP_422_UNPROCESSABLE_ENTITY,
    )


def _mail_settings(request: Req) -> actions.MailSettings:
    return actions.MailSettings(
        mailer=request.app.state["mailer"],
        base_url=request.app.state["settings"].resolved_base_url,  # absolute even when unset
    )


@post("/moderation/{review_id:int}/notiz", name="moderation.note", guards=GUARDS)
async def note_submit(request: Req, db_session: DB, review_id: FromPath[int]) -> Response[Any]:
    review = await _review_or_404(request, db_session, review_id)
    data = await form_data(request)
    form = NoteForm(data)
    form.id = f"note-{review.id}"  # type: ignore[misc]
    if not form.validate():
        return await queue_response(
            request,
            db_session,
            **_filter_args(data),
            note_forms={review.id: form},
            status=HTTP_422_UNPROCESSABLE_ENTITY,
        )
    await actions.save_note(db_session, review=review, note=form.cleaned["note"])
    await db_session.commit()
    message = _("Die Notiz ist gespeichert.")
    return _after(request, data, message) or await queue_response(
        request, db_session, **_filter_args(data), announce=message, focus=f"review-{review.id}"
    )


@post("/moderation/sammelaktion", name="moderation.bulk", guards=GUARDS)
async def bulk_submit(request: Req, db_session: DB) -> Response[Any]:
    """One decision for many items (a spam wave): each item is claimed (items someone else holds
    are skipped and reported), decided and logged; one commit for all."""
    actor = request.state.actor
    raw = await request.form()  # a multidict: the ticked ``ids`` come as many values
    data = await form_data(request)
    ids = parse_ids(raw.getall("ids", []))
    form = BulkForm(data)
    valid = form.validate()
    if not ids:
        form.add_error(None, _("Bitte wählen Sie mindestens einen Beitrag aus."))
        valid = False
    if not valid:
        return await queue_response(
            request, db_session, **_filter_args(data), bulk_form=form, status=HTTP_422_UNPROCESSABLE_ENTITY
        )
    decided = await decisions.decide_many(
        db_session,
        org_id=request.state.org.id,
        review_ids=ids,
        claim=lambda review_id: _claim(request, review_id),
        decision=form.cleaned["decision"],
        moderator=actor,
        rule=form.rule,
        now=utcnow(),
    )
    await db_session.commit()
    await decided.tell(db_session, claims_of(request), _mail_settings(request))
    message = ngettext(
        "%(num)s Beitrag entschieden.", "%(num)s Beiträge entschieden.", len(decided.review_ids)
    )
    if decided.skipped:
        message += " " + ngettext(
            "%(num)s Beitrag übersprungen (bereits entschieden oder in Bearbeitung).",
            "%(num)s Beiträge übersprungen (bereits entschieden oder in Bearbeitung).",
            decided.skipped,
        )
    return _after(request, data, message) or await queue_response(
        request, db_session, **_filter_args(data), announce=message, focus="queue-title"
    )


# -- flags --------------------------------------------------------------------------------------

FLAG_TEMPLATE = "moderation/flag.html"


# The flag routes' path segment -> the kind of contribution (moderation.targets).
FLAG_KINDS = {"kommentare": "comment", "vorschlaege": "proposal"}


async def _flag_target(request: Req, db: Any, kind: str, target_id: int) -> tuple[Any, str]:
    target = all_targets().get(FLAG_KINDS[kind])
    if target is None or target.flag_column is None:
        raise NotFoundException()
    return await target.flag_access(db, request.state.actor, request.state.org.id, target_id)


async def _flag_page(request: Req, db: Any, kind: str, target_id: int) -> Template:
    target, back_url = await _flag_target(request, db, kind, target_id)
    enforce(why_not_flag(request.state.actor, target, utcnow()))
    return render(
        request, FLAG_TEMPLATE, {"form": FlagForm(), "target": target, "kind": kind, "back_url": back_url}
    )


async def _flag_submit(request: Req, db: Any, kind: str, target_id: int) -> Response[Any]:
    actor = request.state.actor
    target, back_url = await _flag_target(request, db, kind, target_id)
    now = utcnow()
    enforce(why_not_flag(actor, target, now))
    form = FlagForm(await form_data(request))
    if not form.validate():
        return render(
            request,
            FLAG_TEMPLATE,
            {"form": form, "target": target, "kind": kind, "back_url": back_url},
            status=HTTP_422_UNPROCESSABLE_ENTITY,
        )
    new = await actions.flag_target(
        db,
        org_id=request.state.org.id,
        target=target,
        user_id=actor.user_id,
        reason=FlagReason(form.cleaned["reason"]),
        text=form.cleaned["text"],
        now=now,
    )
    await db.commit()
    if new:
        flash(request, _("Danke für Ihre Meldung. Die Moderation prüft den Beitrag."))
    else:
        flash(request, _("Sie haben diesen Beitrag bereits gemeldet. Die Moderation prüft ihn."), "info")
    return Redirect(path=back_url, status_code=HTTP_303_SEE_OTHER)


@get("/kommentare/{comment_id:int}/melden", name="moderation.flag_comment")
async def flag_comment_page(request: Req, db_session: DB, comment_id: FromPath[int]) -> Template:
    return await _flag_page(request, db_session, "kommentare", comment_id)


@post(
    "/kommentare/{comment_id:int}/melden",
    name="moderation.flag_comment.submit",
    opt={"form": (FLAG_TEMPLATE, FlagForm)},
)
async def flag_comment_submit(request: Req, db_session: DB, comment_id: FromPath[int]) -> Response[Any]:
    return await _flag_submit(request, db_session, "kommentare", comment_id)


@get("/vorschlaege/{proposal_id:int}/melden", name="moderation.flag_proposal")
async def flag_proposal_page(request: Req, db_session: DB, proposal_id: FromPath[int]) -> Template:
    return await _flag_page(request, db_session, "vorschlaege", proposal_id)


@post(
    "/vorschlaege/{proposal_id:int}/melden",
    name="moderation.flag_proposal.submit",
    opt={"form": (FLAG_TEMPLATE, FlagForm)},
)
async def flag_proposal_submit(request: Req, db_session: DB, proposal_id: FromPath[int]) -> Response[Any]:
    return await _flag_submit(request, db_session, "vorschlaege", proposal_id)


ROUTES = [
    queue_page,
    queue_part_page,
    moderation_stream,
    claim_submit,
    release_submit,
    decide_submit,
    note_submit,
    bulk_submit,
    flag_comment_page,
    flag_comment_submit,
    flag_proposal_page,
    flag_proposal_submit,
]
