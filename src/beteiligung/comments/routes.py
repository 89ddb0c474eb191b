"""Comment actions on consultations and proposals: post or reply, vote, edit, delete.

Without JavaScript each action answers 303 back to the comment (post/redirect/get), or with
errors the whole page (422) with the visitor's text in the form. With htmx it answers the
thread's ``comments`` block (or one comment's ``comment_votes`` block) and announces the result.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_303_SEE_OTHER,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_429_TOO_MANY_REQUESTS,
)

from beteiligung.comments import actions
from beteiligung.comments.forms import CommentForm, EditCommentForm
from beteiligung.comments.models import Comment
from beteiligung.comments.permissions import (
    CommentRules,
    why_not_delete,
    why_not_edit,
    why_not_reply,
    why_not_vote,
)
from beteiligung.comments.queries import Node, Thread, access_comment, my_votes
from beteiligung.comments.views import THREAD_TEMPLATE, ThreadForms, parse_sort, target_url
from beteiligung.consultations.listing import access_consultation
from beteiligung.consultations.models import Consultation
from beteiligung.consultations.page import consultation_page_response
from beteiligung.consultations.permissions import enforce, why_not_comment
from beteiligung.db import utcnow
from beteiligung.i18n import gettext as _
from beteiligung.moderation.actions import account_key, review_of
from beteiligung.moderation.limits import posting_refused, retry_header, too_many_posts
from beteiligung.moderation.models import ReviewStatus
from beteiligung.moderation.screening import screen_contribution
from beteiligung.proposals.page import held_message, proposal_page_response
from beteiligung.proposals.queries import access_proposal
from beteiligung.web.context import DB
from beteiligung.web.params import parse_int
from beteiligung.web.responses import flash, form_data, is_htmx, render

Req = Request[Any, Any, Any]


async def _thread_response(
    request: Req,
    db: Any,
    consultation: Consultation,
    proposal_id: int | None,
    *,
    sort: str | None = None,
    forms: ThreadForms | None = None,
    status: int = 200,
    announce: str | None = None,
    focus: int | None = None,
) -> Template:
    """The page that holds the thread (full), or with htmx the thread's block."""
    options = {"comments": {"sort": sort, "forms": forms, "focus": focus}}
    kwargs: dict[str, Any] = {"status": status, "block": "comments", "announce": announce, "options": options}
    if proposal_id is not None:
        proposal = await access_proposal(db, request.state.actor, request.state.org.id, proposal_id)
        return await proposal_page_response(request, db, proposal, **kwargs)
    return await consultation_page_response(request, db, consultation, **kwargs)


def _back(
    request: Req, consultation: Consultation, comment: Comment, message: str, kind: str = "success"
) -> Response[Any]:
    flash(request, message, kind)
    return Redirect(path=_comment_url(consultation, comment), status_code=HTTP_303_SEE_OTHER)


def _comment_url(consultation: Consultation, comment: Comment) -> str:
    return target_url(consultation, comment.proposal_id, anchor=f"comment-{comment.id}")


async def _done(
    request: Req,
    db: Any,
    consultation: Consultation,
    comment: Comment,
    message: str,
    *,
    sort: str | None = None,
    kind: str | None = None,
) -> Response[Any]:
    """After a change to a comment: without htmx back to it (303) with the message (an
    information while it is not public), with htmx the thread, announcing the message."""
    if not is_htmx(request):
        kind = kind or ("success" if comment.is_public else "info")
        return _back(request, consultation, comment, message, kind)
    return await _thread_response(
        request, db, consultation, comment.proposal_id, sort=sort, announce=message, focus=comment.id
    )


def _votes_block(
    request: Req,
    consultation: Consultation,
    comment: Comment,
    votes: dict[int, int],
    now: Any,
    *,
    focus: int | None = None,
    announce: str | None = None,
) -> Template:
    """One comment's votes (the ``comment_votes`` block) with the viewer's own ``votes``."""
    context: dict[str, Any] = {
        "node": Node(comment),
        "thread": Thread(roots=[], count=0, votes=votes, sort=parse_sort(None)),
        "comment_rules": CommentRules(request.state.actor, consultation, now),
    }
    if focus is not None:
        context["focus_votes"] = focus
    return render(request, THREAD_TEMPLATE, context, block="comment_votes", announce=announce)


def _parent_id(data: dict[str, Any]) -> int | None:
    value = str(data.get("parent") or "").strip()
    if not value:
        return None
    parent_id = parse_int(value)
    if parent_id is None:
        raise NotFoundException()
    return parent_id


async def _post(request: Req, db: Any, consultation: Consultation, proposal_id: int | None) -> Response[Any]:
    actor = request.state.actor
    now = utcnow()
    data = await form_data(request)
    parent_id = _parent_id(data)
    parent: Comment | None = None
    if parent_id is not None:
        parent = await db.get(Comment, parent_id)
        if parent is None or parent.consultation_id != consultation.id or parent.proposal_id != proposal_id:
            raise NotFoundException()
        enforce(why_not_reply(actor, parent, consultation, now))
    else:
        enforce(why_not_comment(actor, consultation, now))
    form = CommentForm(data, parent_id=parent_id)
    sort = str(data.get("kommentare") or "")
    if not form.validate():
        forms = ThreadForms(replies={parent_id: form}) if parent_id else ThreadForms(new=form)
        return await _thread_response(
            request,
            db,
            consultation,
            proposal_id,
            sort=sort,
            forms=forms,
            status=HTTP_422_UNPROCESSABLE_ENTITY,
        )
    refused = await posting_refused(request, account_key(actor.user_id))
    if refused is not None:  # the hard limit: refused, with the text kept in the form
        form.add_error(None, too_many_posts(refused))
        forms = ThreadForms(replies={parent_id: form}) if parent_id else ThreadForms(new=form)
        response = await _thread_response(
            request, db, consultation, proposal_id, sort=sort, forms=forms, status=HTTP_429_TOO_MANY_REQUESTS
        )
        response.headers.update(retry_header(refused))
        return response
    screening = await screen_contribution(request, db, consultation, form.cleaned["body"], now)
    comment = await actions.post_comment(
        db,
        consultation_id=consultation.id,
        proposal_id=proposal_id,
        parent=parent,
        author_id=actor.user_id,
        body=form.cleaned["body"],
        submission_key=form.cleaned["submission_key"],
        org_id=request.state.org.id,
        screening=screening,
        now=now,
    )
    await db.commit()
    if not comment.is_public:  # not a success yet: why it waits and what happens next (issue 20)
        message = held_message(
            _("Ihr Beitrag wartet auf Freigabe durch die Moderation. Erst dann sehen ihn andere."), screening
        )
    elif parent:
        message = _("Ihre Antwort ist veröffentlicht.")
    else:
        message = _("Ihr Kommentar ist veröffentlicht.")
    return await _done(request, db, consultation, comment, message, sort=sort)


@post("/vorhaben/{slug:str}/kommentare", name="comments.consultation.submit")
async def consultation_comment_submit(request: Req, db_session: DB, slug: FromPath[str]) -> Response[Any]:
    consultation = await access_consultation(db_session, request.state.actor, request.state.org.id, slug)
    return await _post(request, db_session, consultation, None)


@post("/vorschlaege/{proposal_id:int}/kommentare", name="comments.proposal.submit")
async def proposal_comment_submit(request: Req, db_session: DB, proposal_id: FromPath[int]) -> Response[Any]:
    proposal = await access_proposal(db_session, request.state.actor, request.state.org.id, proposal_id)
    return await _post(request, db_session, proposal.consultation, proposal.id)


@post("/kommentare/{comment_id:int}/bewertung", name="comments.vote")
async def vote_submit(request: Req, db_session: DB, comment_id: FromPath[int]) -> Response[Any]:
    actor = request.state.actor
    comment, consultation = await access_comment(db_session, actor, request.state.org.id, comment_id)
    now = utcnow()
    enforce(why_not_vote(actor, comment, consultation, now))
    data = await form_data(request)
    # "1" helpful, "-1" not helpful, "0" take back; "0:1"/"0:-1" take back with that button.
    value_text, _sep, button_text = str(data.get("value") or "0").partition(":")
    value = _vote_number(value_text)
    button = _vote_number(button_text) if button_text else value
    await actions.vote_comment(db_session, comment=comment, user_id=actor.user_id, value=value)
    await db_session.commit()
    await db_session.refresh(comment)
    message = {
        1: _("Sie haben den Kommentar als hilfreich bewertet."),
        -1: _("Sie haben den Kommentar als nicht hilfreich bewertet."),
        0: _("Ihre Bewertung wurde zurückgenommen."),
    }[value]
    if not is_htmx(request):
        return _back(request, consultation, comment, message)
    votes = {comment.id: value} if value else {}
    return _votes_block(request, consultation, comment, votes, now, focus=button, announce=message)


def _vote_number(text: str) -> int:
    return {"1": 1, "-1": -1}.get(text.strip(), 0)


@post("/kommentare/{comment_id:int}/bearbeiten", name="comments.edit.submit")
async def edit_submit(request: Req, db_session: DB, comment_id: FromPath[int]) -> Response[Any]:
    actor = request.state.actor
    comment, consultation = await access_comment(db_session, actor, request.state.org.id, comment_id)
    now = utcnow()
    review = await review_of(db_session, comment)
    edit_requested = review is not None and review.status == ReviewStatus.EDIT_REQUESTED
    enforce(why_not_edit(actor, comment, consultation, now, edit_requested))
    data = await form_data(request)
    form = EditCommentForm(data, comment_id=comment.id)
    if not form.validate():
        return await _thread_response(
            request,
            db_session,
            consultation,
            comment.proposal_id,
            forms=ThreadForms(edits={comment.id: form}),
            status=HTTP_422_UNPROCESSABLE_ENTITY,
        )
    screening = await screen_contribution(
        request, db_session, consultation, form.cleaned["body"], now, edit=True
    )
    await actions.edit_comment(
        db_session,
        comment=comment,
        body=form.cleaned["body"],
        now=now,
        org_id=request.state.org.id,
        screening=screening,
    )
    await db_session.commit()
    if edit_requested:
        message = _("Danke! Ihr überarbeiteter Beitrag wartet auf Freigabe durch die Moderation.")
    elif not comment.is_public:
        message = held_message(
            _("Ihr Beitrag wartet auf Freigabe durch die Moderation. Erst dann sehen ihn andere."), screening
        )
    else:
        message = _("Ihr Kommentar wurde geändert.")
    return await _done(request, db_session, consultation, comment, message)


@post("/kommentare/{comment_id:int}/loeschen", name="comments.delete.submit")
async def delete_submit(request: Req, db_session: DB, comment_id: FromPath[int]) -> Response[Any]:
    actor = request.state.actor
    comment, consultation = await access_comment(db_session, actor, request.state.org.id, comment_id)
    enforce(why_not_delete(actor, comment))
    await actions.delete_comment(db_session, comment=comment, now=utcnow())
    await db_session.commit()
    return await _done(
        request, db_session, consultation, comment, _("Ihr Kommentar wurde gelöscht."), kind="success"
    )


@get("/kommentare/{comment_id:int}/live/bewertung", name="comments.live_votes")
async def votes_part_page(request: Req, db_session: DB, comment_id: FromPath[int]) -> Response[Any]:
    """Live refresh of one comment's votes, for this viewer (docs/live-updates.md)."""
    actor = request.state.actor
    comment, consultation = await access_comment(db_session, actor, request.state.org.id, comment_id)
    if not is_htmx(request):
        return Redirect(path=_comment_url(consultation, comment), status_code=HTTP_303_SEE_OTHER)
    votes = await my_votes(db_session, actor.user_id, [comment.id])
    return _votes_block(request, consultation, comment, votes, utcnow())


ROUTES = [
    votes_part_page,
    consultation_comment_submit,
    proposal_comment_submit,
    vote_submit,
    edit_submit,
    delete_submit,
]
