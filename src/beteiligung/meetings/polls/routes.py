"""The polls' routes: vote; staff prepare, open, close and delete. Each answers the room's ``poll``
block with htmx, otherwise post/redirect/get."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from litestar import Request, Response, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.status_codes import HTTP_400_BAD_REQUEST

from beteiligung.accounts.guards import permission_required
from beteiligung.accounts.permissions import Perm
from beteiligung.consultations.permissions import enforce
from beteiligung.db import utcnow
from beteiligung.i18n import gettext as _
from beteiligung.meetings.models import (
    Meeting,
    MeetingPoll,
    PollState,
)
from beteiligung.meetings.polls.actions import (
    cast_ballot,
    close_poll,
    create_poll,
    delete_poll,
    open_poll,
)
from beteiligung.meetings.polls.forms import PollForm
from beteiligung.meetings.polls.permissions import (
    why_not_close,
    why_not_delete,
    why_not_prepare,
    why_not_vote,
)
from beteiligung.meetings.polls.queries import get_poll
from beteiligung.meetings.queries import access_meeting
from beteiligung.meetings.routes import room_response
from beteiligung.meetings.views import viewer_of
from beteiligung.web.context import DB
from beteiligung.web.errors import ActionConflict, PublicHTTPException, Refused
from beteiligung.web.params import parse_int
from beteiligung.web.responses import flash, form_data, is_htmx, redirect_after_post
from beteiligung.web.urls import url

Req = Request[Any, Any, Any]
STAFF_GUARDS = [permission_required(Perm.CONSULTATION_MANAGE)]


class TamperedVote(PublicHTTPException):
    status_code = HTTP_400_BAD_REQUEST


def _back(request: Req, meeting: Meeting, message: str) -> Response[Any]:
    flash(request, message)
    return redirect_after_post(
        request, url("meetings.room", meeting_id=meeting.id, anchor=f"meeting-{meeting.id}-poll")
    )


def parse_choice(poll: MeetingPoll, raw: Sequence[Any]) -> list[int] | None:
    """The chosen option ids, or None when the form holds something the poll never offered
    (not a number, another poll's option, two answers to a single-choice poll)."""
    offered = {o.id for o in poll.options}
    chosen: list[int] = []
    for value in raw:
        number = parse_int(value)
        if number is None or number not in offered:
            return None
        chosen.append(number)
    if len(set(chosen)) != len(chosen) or (not poll.multiple and len(chosen) > 1):
        return None
    return chosen


@post("/veranstaltungen/{meeting_id:int}/abstimmungen/{poll_id:int}/stimme", name="meetings.poll.vote")
async def poll_vote_submit(
    request: Req, db_session: DB, meeting_id: FromPath[int], poll_id: FromPath[int]
) -> Response[Any]:
    meeting = await access_meeting(db_session, request.state.org.id, meeting_id)
    poll = await get_poll(db_session, meeting, poll_id)
    viewer = await viewer_of(request, db_session, meeting, utcnow())
    if poll.state == PollState.DRAFT:
        raise NotFoundException()  # drafts are invisible to participants
    enforce(why_not_vote(viewer, meeting, poll))
    participant = viewer.participant
    assert participant is not None  # take_part admits nobody without a participant identity
    # ``option`` repeats (multiple choice): the raw form, not form_data's first value of each field
    chosen = parse_choice(poll, (await request.form()).getall("option", []))
    if chosen is None:
        raise TamperedVote(detail=_("Die Stimme enthält Antworten, die diese Abstimmung nicht anbietet."))
    if not chosen:
        error = (
            _("Bitte wählen Sie mindestens eine Antwort.")
            if poll.multiple
            else _("Bitte wählen Sie eine Antwort.")
        )
        return await room_response(
            request, db_session, meeting, block="poll", status=422, extra={"poll_vote_error": error}
        )
    try:
        await cast_ballot(db_session, poll, participant, chosen)
    except Refused as refusal:  # AlreadyVoted, PollClosed
        raise ActionConflict(detail=refusal.message) from None
    await db_session.commit()
    message = _("Vielen Dank, Ihre Stimme ist gezählt.")
    if is_htmx(request):
        return await room_response(request, db_session, meeting, block="poll", announce=message)
    return _back(request, meeting, message)


@post(
    "/verwaltung/veranstaltungen/{meeting_id:int}/abstimmungen",
    name="admin.meeting.poll.create",
    guards=STAFF_GUARDS,
)
async def poll_create_submit(request: Req, db_session: DB, meeting_id: FromPath[int]) -> Response[Any]:
    meeting = await access_meeting(db_session, request.state.org.id, meeting_id)
    enforce(why_not_prepare(meeting))
    form = PollForm(await form_data(request), agenda=meeting.agenda, current_item_id=meeting.current_item_id)
    if not form.validate():
        return await room_response(
            request, db_session, meeting, block="poll", status=422, extra={"poll_form": form}
        )
    poll = await create_poll(db_session, meeting, form.values())
    await db_session.commit()
    message = _("Die Abstimmung „%(question)s“ ist als Entwurf angelegt.", question=poll.question)
    if is_htmx(request):
        return await room_response(request, db_session, meeting, block="poll", announce=message)
    return _back(request, meeting, message)


ACTIONS = ("oeffnen", "schliessen", "loeschen")


@post(
    "/verwaltung/veranstaltungen/{meeting_id:int}/abstimmungen/{poll_id:int}",
    name="admin.meeting.poll.action",
    guards=STAFF_GUARDS,
)
async def poll_action_submit(
    request: Req, db_session: DB, meeting_id: FromPath[int], poll_id: FromPath[int]
) -> Response[Any]:
    """``aktion``: ``oeffnen`` (a draft; 409 while another poll is open), ``schliessen`` (the
    open poll) or ``loeschen`` (a draft)."""
    meeting = await access_meeting(db_session, request.state.org.id, meeting_id)
    poll = await get_poll(db_session, meeting, poll_id)
    action = str((await form_data(request)).get("aktion") or "")
    if action not in ACTIONS:
        raise ActionConflict(detail=_("Unbekannte Aktion."))
    now = utcnow()
    question = poll.question
    if action == "oeffnen":
        await open_poll(db_session, meeting, poll, now)
        message = _("Die Abstimmung „%(question)s“ ist geöffnet.", question=question)
    elif action == "schliessen":
        enforce(why_not_close(poll))
        await close_poll(db_session, meeting, poll, now)
        message = _("Die Abstimmung „%(question)s“ ist geschlossen.", question=question)
    else:
        enforce(why_not_delete(poll))
        await delete_poll(db_session, meeting, poll)
        message = _("Der Entwurf „%(question)s“ ist gelöscht.", question=question)
    await db_session.commit()
    if is_htmx(request):
        return await room_response(request, db_session, meeting, block="poll", announce=message)
    return _back(request, meeting, message)


ROUTES: list[Any] = [poll_vote_submit, poll_create_submit, poll_action_submit]
