"""The Q&A's routes: ask, upvote, and staff controls (spotlight, answered, open again); each
answers the room's ``questions`` (or ``spotlight``) block with htmx, otherwise post/redirect/get."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY, HTTP_429_TOO_MANY_REQUESTS
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.accounts.guards import permission_required
from beteiligung.accounts.permissions import Perm
from beteiligung.consultations.permissions import enforce
from beteiligung.db import utcnow
from beteiligung.i18n import gettext as _
from beteiligung.i18n import lazy
from beteiligung.meetings.models import (
    Meeting,
    MeetingQuestion,
)
from beteiligung.meetings.queries import access_meeting
from beteiligung.meetings.questions.actions import (
    ask_question,
    mark_answered,
    reopen,
    spotlight,
    upvote_question,
)
from beteiligung.meetings.questions.forms import DEFAULT_SORT, AnswerForm, QuestionForm, parse_sort
from beteiligung.meetings.questions.permissions import (
    STAFF_ACTIONS,
    why_not_handle_question,
    why_not_upvote_question,
)
from beteiligung.meetings.routes import room_response
from beteiligung.meetings.views import viewer_of
from beteiligung.moderation.actions import screen_question
from beteiligung.moderation.explain import explain_hold
from beteiligung.moderation.limits import posting_refused, retry_header, too_many_posts
from beteiligung.web.context import DB
from beteiligung.web.errors import ActionConflict
from beteiligung.web.responses import flash, form_data, is_htmx, redirect_after_post
from beteiligung.web.urls import url

Req = Request[Any, Any, Any]
STAFF_GUARDS = [permission_required(Perm.CONSULTATION_MANAGE)]


async def _answer(
    request: Req,
    db: AsyncSession,
    meeting: Meeting,
    message: str,
    block: str,
    anchor: str,
    extra: dict[str, Any] | None = None,
    kind: str = "success",
) -> Response[Any]:
    """With htmx the part's block (``extra`` says where the focus goes), else back to the room at
    ``anchor``; the sort (``?fragen=``) is kept either way."""
    if is_htmx(request):
        return await room_response(request, db, meeting, block=block, announce=message, extra=extra)
    flash(request, message, kind)
    sort = parse_sort(request.query_params.get("fragen"))
    query = {"fragen": sort} if sort != DEFAULT_SORT else None
    return redirect_after_post(
        request, url("meetings.room", meeting_id=meeting.id, query=query, anchor=anchor)
    )


async def _question_of(db: AsyncSession, meeting: Meeting, question_id: int) -> MeetingQuestion:
    question = await db.get(MeetingQuestion, question_id)
    if question is None or question.meeting_id != meeting.id:
        raise NotFoundException()
    return question


@post("/veranstaltungen/{meeting_id:int}/fragen", name="meetings.questions.ask")
async def ask_submit(request: Req, db_session: DB, meeting_id: FromPath[int]) -> Response[Any]:
    meeting = await access_meeting(db_session, request.state.org.id, meeting_id)
    now = utcnow()
    viewer = await viewer_of(request, db_session, meeting, now)
    enforce(viewer.why_not("ask", meeting))
    participant = viewer.participant
    assert participant is not None  # why_not("ask") refuses everyone without one
    form = QuestionForm(await form_data(request), meeting=meeting)
    if not form.validate():
        return await room_response(
            request,
            db_session,
            meeting,
            block="questions",
            status=HTTP_422_UNPROCESSABLE_ENTITY,
            extra={"question_form": form},
        )
    refused = await posting_refused(request, participant.voter_key)
    if refused is not None:  # the hard limit: refused, with the text kept in the form
        form.add_error(None, too_many_posts(refused))
        response = await room_response(
            request,
            db_session,
            meeting,
            block="questions",
            status=HTTP_429_TOO_MANY_REQUESTS,
            extra={"question_form": form},
        )
        response.headers.update(retry_header(refused))
        return response
    user = request.state.user
    screening = await screen_question(
        db_session,
        actor=request.state.actor,
        account_created_at=user.created_at if user is not None else None,
        org_id=request.state.org.id,
        meeting_id=meeting.id,
        mode=meeting.question_moderation,
        voter_key=participant.voter_key,
        text=form.cleaned["body"],
        now=now,
    )
    question, _created = await ask_question(
        db_session,
        meeting=meeting,
        participant=participant,
        body=form.cleaned["body"],
        agenda_item_id=form.agenda_item_id,
        submission_key=form.cleaned["submission_key"] or uuid.uuid4().hex,
        screening=screening,
        org_id=request.state.org.id,
        now=now,
    )
    await db_session.commit()
    if question.is_public:
        message = _("Ihre Frage ist veröffentlicht.")
    else:  # not a success yet: why it waits and what happens next (issue 20)
        why = explain_hold(screening.trigger, screening.reasons, meeting=True, guest=participant.is_guest)
        message = _("Ihre Frage wartet auf Freigabe durch die Moderation. Erst dann sehen sie andere.")
        message = f"{message} {why.text()}"
    kind = "success" if question.is_public else "info"
    extra = {"question_focus": question.id}
    return await _answer(
        request, db_session, meeting, message, "questions", f"frage-{question.id}", extra, kind
    )


@post("/veranstaltungen/{meeting_id:int}/fragen/{question_id:int}/stimme", name="meetings.questions.upvote")
async def upvote_submit(
    request: Req, db_session: DB, meeting_id: FromPath[int], question_id: FromPath[int]
) -> Response[Any]:
    meeting = await access_meeting(db_session, request.state.org.id, meeting_id)
    question = await _question_of(db_session, meeting, question_id)
    if not question.is_public:
        raise NotFoundException()  # held or hidden: as if it did not exist
    viewer = await viewer_of(request, db_session, meeting, utcnow())
    enforce(viewer.why_not("upvote", meeting))
    participant = viewer.participant
    assert participant is not None
    enforce(why_not_upvote_question(question, participant))
    take_back = str((await form_data(request)).get("zuruecknehmen") or "") == "1"
    await upvote_question(db_session, question=question, participant=participant, take_back=take_back)
    await db_session.commit()
    message = (
        _("Sie unterstützen diese Frage nicht mehr.") if take_back else _("Sie unterstützen diese Frage.")
    )
    extra = {"question_focus_vote": question.id}
    return await _answer(request, db_session, meeting, message, "questions", f"frage-{question.id}", extra)


STAFF_MESSAGES = {
    "fokus": lazy("Die Frage wird jetzt beantwortet und ist für alle hervorgehoben."),
    "beantwortet": lazy("Die Frage ist als beantwortet markiert."),
    "offen": lazy("Die Frage ist wieder bei den offenen Fragen."),
}


@post(
    "/verwaltung/veranstaltungen/{meeting_id:int}/fragen/{question_id:int}",
    name="admin.meeting.question",
    guards=STAFF_GUARDS,
)
async def staff_question_submit(
    request: Req, db_session: DB, meeting_id: FromPath[int], question_id: FromPath[int]
) -> Response[Any]:
    """``aktion`` = ``fokus``, ``beantwortet`` (with ``notiz``) or ``offen``; ``ort`` = the part
    the form is in (``fragen`` or ``im-fokus``), whose block comes back with htmx."""
    meeting = await access_meeting(db_session, request.state.org.id, meeting_id)
    question = await _question_of(db_session, meeting, question_id)
    data = await form_data(request)
    action = str(data.get("aktion") or "")
    place = "im-fokus" if data.get("ort") == "im-fokus" else "fragen"
    block = "spotlight" if place == "im-fokus" else "questions"
    if action not in STAFF_ACTIONS:
        raise ActionConflict(detail=_("Unbekannte Aktion."))
    enforce(why_not_handle_question(meeting, question, action))
    if action == "fokus":
        await spotlight(db_session, meeting=meeting, question=question)
    elif action == "offen":
        await reopen(db_session, meeting=meeting, question=question)
    else:
        form = AnswerForm(data, question_id=question.id, place=place)
        if not form.validate():
            return await room_response(
                request,
                db_session,
                meeting,
                block=block,
                status=HTTP_422_UNPROCESSABLE_ENTITY,
                extra={"answer_forms": {f"{place}-{question.id}": form}},
            )
        await mark_answered(
            db_session, meeting=meeting, question=question, note=form.cleaned["notiz"] or "", now=utcnow()
        )
    await db_session.commit()
    message = _(STAFF_MESSAGES[action])
    anchor = f"meeting-{meeting.id}-spotlight" if action == "fokus" else f"frage-{question.id}"
    return await _answer(request, db_session, meeting, message, block, anchor)


ROUTES: list[Any] = [ask_submit, upvote_submit, staff_question_submit]
