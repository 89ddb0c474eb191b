"""Meeting room part: the live Q&A (Fragen aus dem Publikum), docs/meetings.md.

Participants (signed-in people, or guests with a chosen name where the meeting allows them) ask
questions and upvote the questions of others, once each. Questions pass the moderation as the
meeting says (``Meeting.question_moderation``): pre-moderation (the default) holds every
question in the organisation's moderation queue until a moderator approves it; post-moderation
publishes at once unless an automatic check (links, blocklist, repetition, rate) holds it. A held
question is seen by its asker only (marked "wartet auf Freigabe", matched by the voter key) and
publishes nothing on the meeting's channel until it is approved; a hidden one leaves the
Netiquette placeholder. Staff put one question on screen ("wird beantwortet", the spotlight) and
mark questions answered with an optional short note.

Every count is exact: a vote is a row unique per (question, participant), and
``MeetingQuestion.vote_count`` changes in the same transaction only when that row was inserted or
deleted.

Routes (each answers the room's ``questions`` block with htmx, otherwise post/redirect/get):

* ``POST /veranstaltungen/{id}/fragen``: ask (``body``, ``agenda_item``, ``submission_key``).
* ``POST /veranstaltungen/{id}/fragen/{question_id}/stimme``: upvote (``zuruecknehmen=1``: take
  the vote back).
* ``POST /verwaltung/veranstaltungen/{id}/fragen/{question_id}``: ``aktion`` = ``fokus``
  (spotlight), ``beantwortet`` (with ``notiz``) or ``offen`` (back to the open questions); staff.

The sort (``?fragen=stimmen|neu``) travels in the query of every link, form and live source of
the part, so it survives posts and live refreshes without JavaScript state. This module is
imported by ``meetings.routes`` (which lists its routes), so it imports the room's response helper
only inside the handlers.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, ClassVar

from litestar import Request, Response, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY, HTTP_429_TOO_MANY_REQUESTS
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.elements import ColumnElement

from beteiligung.accounts.guards import permission_required
from beteiligung.accounts.models import Role, User
from beteiligung.accounts.permissions import Perm
from beteiligung.consultations.permissions import Denied, enforce
from beteiligung.consultations.states import Visibility
from beteiligung.db import insert_ignoring_duplicates, utcnow
from beteiligung.i18n import gettext as _
from beteiligung.i18n import lazy
from beteiligung.live.events import MeetingQuestionsChanged
from beteiligung.live.publish import queue_coalesced, queue_event
from beteiligung.meetings.models import (
    QUESTION_STATUS_NAMES,
    Meeting,
    MeetingQuestion,
    MeetingQuestionVote,
    MeetingState,
    QuestionStatus,
)
from beteiligung.meetings.permissions import Participant
from beteiligung.meetings.queries import access_meeting
from beteiligung.meetings.views import Viewer, viewer_of
from beteiligung.moderation.actions import Screening, open_review, remember_post, screen_question
from beteiligung.moderation.explain import HeldExplanation, explain_hold
from beteiligung.moderation.limits import posting_refused, retry_header, too_many_posts
from beteiligung.moderation.models import Review
from beteiligung.web.context import DB
from beteiligung.web.errors import ActionConflict
from beteiligung.web.forms import Field, Form
from beteiligung.web.params import parse_int
from beteiligung.web.responses import flash, form_data, is_htmx, redirect_after_post

Req = Request[Any, Any, Any]
STAFF_GUARDS = [permission_required(Perm.CONSULTATION_MANAGE)]
BODY_MAX_LENGTH = 1000
NOTE_MAX_LENGTH = 1000

# ?fragen= value -> label (German msgid)
SORTS: dict[str, str] = {
    "stimmen": lazy("Meiste Stimmen zuerst"),
    "neu": lazy("Neueste zuerst"),
}
DEFAULT_SORT = "stimmen"


def parse_sort(value: str | None) -> str:
    return value if value in SORTS else DEFAULT_SORT


# ---------------------------------------------------------------------------------------------
# Forms
# ---------------------------------------------------------------------------------------------
QUESTION_BODY = Field(
    "body",
    "Ihre Frage",
    kind="textarea",
    max_length=BODY_MAX_LENGTH,
    min_length=3,
    rows=3,
    hint="Höchstens 1000 Zeichen. Ihre Frage erscheint mit Ihrem Anzeigenamen; bitte beachten Sie die Netiquette.",
)
QUESTION_AGENDA_ITEM = Field(
    "agenda_item",
    "Zum Tagesordnungspunkt",
    kind="select",
    required=False,
    choices=(("", "Allgemeine Frage (kein bestimmter Punkt)"),),
)
QUESTION_SUBMISSION_KEY = Field(
    "submission_key", "Formularkennung", kind="hidden", required=False, max_length=64
)
ANSWER_NOTE = Field(
    "notiz",
    "Kurze Antwort für das Protokoll",
    kind="textarea",
    required=False,
    max_length=NOTE_MAX_LENGTH,
    rows=2,
    hint="Optional, höchstens 1000 Zeichen. Sie erscheint bei der Frage und im Protokoll.",
)


class QuestionForm(Form):
    """A new question; the agenda item defaults to the current one."""

    id: ClassVar[str] = "question-new"
    fields: ClassVar[tuple[Field, ...]] = (QUESTION_BODY, QUESTION_AGENDA_ITEM, QUESTION_SUBMISSION_KEY)

    def __init__(self, data: Mapping[str, Any] | None = None, *, meeting: Meeting) -> None:
        choices = (
            *QUESTION_AGENDA_ITEM.choices,
            *((str(item.id), f"{item.position}. {item.title}") for item in meeting.agenda),
        )
        self.fields = (  # type: ignore[misc]
            QUESTION_BODY,
            replace(QUESTION_AGENDA_ITEM, choices=choices),
            QUESTION_SUBMISSION_KEY,
        )
        current = str(meeting.current_item_id or "")
        initial = {"submission_key": uuid.uuid4().hex, "agenda_item": current}
        if data is not None and "agenda_item" not in data:
            data = {**data, "agenda_item": current}  # not sent (no agenda on the form): the current item
        super().__init__(data, initial=initial)

    @property
    def agenda_item_id(self) -> int | None:
        value = self.cleaned.get("agenda_item") or ""
        return parse_int(value)


class AnswerForm(Form):
    """Staff mark a question answered, with an optional note. ``place`` tells the list's form
    (``fragen``) from the spotlight's (``im-fokus``), so their ids stay unique on the page."""

    id: ClassVar[str] = "answer"
    fields: ClassVar[tuple[Field, ...]] = (ANSWER_NOTE,)

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        question_id: int = 0,
        place: str = "fragen",
        initial: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(data, initial=initial)
        self.question_id = question_id
        self.place = place
        prefix = "spotlight-answer" if place == "im-fokus" else "answer"
        self.id = f"{prefix}-{question_id}"  # type: ignore[misc]


def answer_form(question: MeetingQuestion, place: str) -> AnswerForm:
    return AnswerForm(question_id=question.id, place=place, initial={"notiz": question.answer_note})


# ---------------------------------------------------------------------------------------------
# Permissions (pure)
# ---------------------------------------------------------------------------------------------
STAFF_ACTIONS = ("fokus", "beantwortet", "offen")


def why_not_upvote_question(question: MeetingQuestion, participant: Participant) -> Denied | None:
    """Beyond taking part (Viewer.why_not("upvote")): the question itself."""
    if question.voter_key == participant.voter_key:
        return Denied(403, "Ihre eigene Frage können Sie nicht unterstützen.")
    if question.status == QuestionStatus.ANSWERED:
        return Denied(409, "Diese Frage ist bereits beantwortet.")
    return None


def why_not_handle_question(meeting: Meeting, question: MeetingQuestion, action: str) -> Denied | None:
    """Staff controls of a question (the route's guard checked the permission)."""
    if not question.is_public:
        return Denied(
            409, "Diese Frage ist nicht öffentlich: Sie wartet auf die Moderation oder wurde entfernt."
        )
    if meeting.minutes_published_at is not None:
        return Denied(409, "Das Protokoll ist veröffentlicht; die Fragen bleiben, wie sie sind.")
    if action == "fokus":
        if meeting.state != MeetingState.LIVE:
            return Denied(409, "Eine Frage kann nur in der laufenden Veranstaltung beantwortet werden.")
        if question.status == QuestionStatus.ANSWERED:
            return Denied(409, "Diese Frage ist bereits beantwortet.")
    return None


# ---------------------------------------------------------------------------------------------
# Reads
# ---------------------------------------------------------------------------------------------
@dataclass
class QuestionItem:
    """One question as this viewer sees it."""

    question: MeetingQuestion
    name: str  # the asker's display name ("" for a deleted account)
    guest: bool
    badge: str  # "staff", "moderator" or "": the asker speaks for the town
    agenda_title: str
    own: bool  # asked by this viewer (same voter key)
    voted: bool  # this viewer upvoted it
    moderation: str = ""  # "" (public), "held" (the viewer's own, waiting), "hidden" (placeholder)
    rule: int | None = None  # the Netiquette rule of a hidden question
    held_why: HeldExplanation | None = None  # "held": why it waits (moderation/explain.py)

    @property
    def id(self) -> int:
        return self.question.id


@dataclass
class QuestionsView:
    sort: str
    open: list[QuestionItem] = field(default_factory=list)  # open and in the spotlight
    answered: list[QuestionItem] = field(default_factory=list)
    spotlight: QuestionItem | None = None
    open_count: int = 0  # public questions only
    answered_count: int = 0
    held_count: int = 0  # waiting in the moderation queue (shown to moderators only)

    @property
    def total(self) -> int:
        return self.open_count + self.answered_count


def _badge(user: User | None, org_id: int) -> str:
    if user is None:
        return ""
    roles = {m.role for m in user.memberships if m.organisation_id == org_id}
    if roles & {Role.STAFF, Role.ADMIN}:
        return "staff"
    if Role.MODERATOR in roles:
        return "moderator"
    return ""


async def load_questions(
    db: AsyncSession,
    meeting: Meeting,
    *,
    voter_key: str | None,
    sort: str = DEFAULT_SORT,
    moderator: bool = False,
) -> QuestionsView:
    """The meeting's public questions, the viewer's own held ones and the placeholders of hidden
    ones, with askers, badges and the viewer's votes (a fixed number of queries)."""
    visible: list[ColumnElement[bool]] = [
        MeetingQuestion.visibility.in_((Visibility.PUBLISHED, Visibility.HIDDEN))
    ]
    if voter_key:
        visible.append(MeetingQuestion.voter_key == voter_key)
    rows = list(
        (
            await db.scalars(
                select(MeetingQuestion)
                .where(MeetingQuestion.meeting_id == meeting.id, or_(*visible))
                .order_by(MeetingQuestion.created_at, MeetingQuestion.id)
                .execution_options(populate_existing=True)  # counters change by UPDATE statements
            )
        ).all()
    )
    author_ids = {q.author_id for q in rows if q.author_id is not None}
    users = (
        {
            u.id: u
            for u in await db.scalars(
                select(User).where(User.id.in_(author_ids)).options(selectinload(User.memberships))
            )
        }
        if author_ids
        else {}
    )
    ids = [q.id for q in rows if q.is_public]
    voted: set[int] = set()
    if voter_key and ids:
        voted = set(
            (
                await db.scalars(
                    select(MeetingQuestionVote.question_id).where(
                        MeetingQuestionVote.voter_key == voter_key, MeetingQuestionVote.question_id.in_(ids)
                    )
                )
            ).all()
        )
    hidden_ids = [q.id for q in rows if q.visibility != Visibility.PUBLISHED]  # hidden, and own held
    reviews: dict[int, Review] = {}
    if hidden_ids:
        found = await db.scalars(select(Review).where(Review.meeting_question_id.in_(hidden_ids)))
        reviews = {r.meeting_question_id: r for r in found if r.meeting_question_id is not None}
    titles = {item.id: item.title for item in meeting.agenda}

    view = QuestionsView(sort=sort)
    for q in rows:
        user = users.get(q.author_id) if q.author_id is not None else None
        item = QuestionItem(
            question=q,
            name=q.guest_name
            if q.author_id is None and q.guest_name
            else (user.display_name if user else ""),
            guest=q.author_id is None and bool(q.guest_name),
            badge=_badge(user, meeting.organisation_id),
            agenda_title=titles.get(q.agenda_item_id or 0, ""),
            own=bool(voter_key) and q.voter_key == voter_key,
            voted=q.id in voted,
        )
        review = reviews.get(q.id)
        if q.visibility == Visibility.HIDDEN:
            item.moderation, item.rule = "hidden", review.rule if review else None
        elif q.visibility == Visibility.HELD:
            item.moderation = "held"
            item.held_why = explain_hold(
                review.trigger if review else None,
                review.auto_codes if review else (),
                meeting=True,
                guest=q.author_id is None,
            )
        if q.status == QuestionStatus.ANSWERED and q.is_public:
            view.answered.append(item)
            view.answered_count += 1
        else:
            view.open.append(item)
            view.open_count += int(q.is_public)
        if q.is_public and q.id == meeting.spotlight_question_id and q.status == QuestionStatus.SPOTLIGHT:
            view.spotlight = item
    if sort == "neu":
        view.open.sort(key=lambda i: (i.question.created_at, i.id), reverse=True)
    else:  # most votes first; of equal votes the earlier question first
        view.open.sort(key=lambda i: (-i.question.vote_count, i.question.created_at, i.id))
    view.open.sort(key=lambda i: i.moderation != "held")  # the asker's own waiting ones on top
    view.answered.sort(key=lambda i: (i.question.answered_at or i.question.created_at, i.id), reverse=True)
    if moderator:
        view.held_count = int(
            await db.scalar(
                select(func.count())
                .select_from(MeetingQuestion)
                .where(
                    MeetingQuestion.meeting_id == meeting.id, MeetingQuestion.visibility == Visibility.HELD
                )
            )
            or 0
        )
    return view


async def room_context(db: AsyncSession, meeting: Meeting, viewer: Viewer) -> dict[str, Any]:
    """What the room's questions and spotlight blocks need for this viewer."""
    sort = parse_sort(viewer.params.get("fragen"))
    voter_key = viewer.participant.voter_key if viewer.participant else None
    questions = await load_questions(db, meeting, voter_key=voter_key, sort=sort, moderator=viewer.moderator)
    return {
        "qa": questions,
        "question_form": QuestionForm(meeting=meeting),
        "question_sorts": SORTS,
        "question_status_names": QUESTION_STATUS_NAMES,
        "QuestionStatus": QuestionStatus,
        "new_answer_form": answer_form,
        "answer_forms": {},
        "ask_denied": viewer.why_not("ask", meeting),
        "upvote_denied": viewer.why_not("upvote", meeting),
    }


# ---------------------------------------------------------------------------------------------
# Writes
# ---------------------------------------------------------------------------------------------
async def ask_question(
    db: AsyncSession,
    *,
    meeting: Meeting,
    participant: Participant,
    body: str,
    agenda_item_id: int | None,
    submission_key: str,
    screening: Screening,
    org_id: int,
    now: datetime,
) -> tuple[MeetingQuestion, bool]:
    """Store the question (the same form sent twice gives the first one's question). A held one
    goes to the moderation queue and publishes nothing in the room; a public one tells the room.
    Returns the question and whether it is new."""
    created = await insert_ignoring_duplicates(
        db,
        MeetingQuestion.__table__,
        {
            "meeting_id": meeting.id,
            "consultation_id": meeting.consultation_id,
            "agenda_item_id": agenda_item_id,
            "author_id": participant.user_id,
            "voter_key": participant.voter_key,
            "guest_name": participant.display_name if participant.is_guest else "",
            "body": body,
            "submission_key": submission_key,
            "visibility": screening.visibility.value,
            "status": QuestionStatus.OPEN.value,
            "answer_note": "",
            "answered_at": None,
            "vote_count": 0,
        },
    )
    question = (
        await db.scalars(
            select(MeetingQuestion).where(
                MeetingQuestion.meeting_id == meeting.id,
                MeetingQuestion.voter_key == participant.voter_key,
                MeetingQuestion.submission_key == submission_key,
            )
        )
    ).one()
    if created:
        if screening.held and screening.trigger is not None:
            await open_review(
                db,
                org_id=org_id,
                target=question,
                trigger=screening.trigger,
                reasons=screening.reasons,
                now=now,
            )
        else:
            queue_event(db, MeetingQuestionsChanged(meeting_id=meeting.id))
        await remember_post(db, screening, now)
    await db.commit()
    return question, created


async def upvote_question(
    db: AsyncSession, *, question: MeetingQuestion, participant: Participant, take_back: bool = False
) -> bool:
    """One vote per participant (a second one changes nothing); ``take_back`` removes it. The
    counter moves only with the row. Returns whether anything changed."""
    if take_back:
        result = await db.execute(
            delete(MeetingQuestionVote).where(
                MeetingQuestionVote.question_id == question.id,
                MeetingQuestionVote.voter_key == participant.voter_key,
            )
        )
        changed = bool(result.rowcount)  # type: ignore[attr-defined]
        step = -1
    else:
        changed = await insert_ignoring_duplicates(
            db,
            MeetingQuestionVote.__table__,
            {"question_id": question.id, "voter_key": participant.voter_key, "user_id": participant.user_id},
        )
        step = 1
    if changed:
        await db.execute(
            update(MeetingQuestion)
            .where(MeetingQuestion.id == question.id)
            .values(vote_count=MeetingQuestion.vote_count + step)
            .execution_options(synchronize_session=False)
        )
        # Upvotes come in bursts: one refresh per window for every screen, not one per vote.
        queue_coalesced(db, MeetingQuestionsChanged(meeting_id=question.meeting_id))
    await db.commit()
    await db.refresh(question)
    return changed


async def _lock_meeting(db: AsyncSession, meeting: Meeting) -> None:
    """Staff actions on a meeting's questions one at a time (PostgreSQL row lock; SQLite
    serialises writers anyway), so two spotlights never stay at once."""
    await db.execute(select(Meeting.id).where(Meeting.id == meeting.id).with_for_update())


async def spotlight(db: AsyncSession, *, meeting: Meeting, question: MeetingQuestion) -> None:
    """Put the question on screen ("wird beantwortet"); the previous one goes back to the open
    questions (an answered one stays answered)."""
    await _lock_meeting(db, meeting)
    await db.execute(
        update(MeetingQuestion)
        .where(
            MeetingQuestion.meeting_id == meeting.id,
            MeetingQuestion.status == QuestionStatus.SPOTLIGHT,
            MeetingQuestion.id != question.id,
        )
        .values(status=QuestionStatus.OPEN)
        .execution_options(synchronize_session=False)
    )
    question.status = QuestionStatus.SPOTLIGHT
    meeting.spotlight_question_id = question.id
    queue_event(db, MeetingQuestionsChanged(meeting_id=meeting.id))
    await db.commit()


async def mark_answered(
    db: AsyncSession, *, meeting: Meeting, question: MeetingQuestion, note: str, now: datetime
) -> None:
    """Answered, with the note; leaves the spotlight if it was there."""
    await _lock_meeting(db, meeting)
    question.status = QuestionStatus.ANSWERED
    question.answer_note = note
    question.answered_at = now
    if meeting.spotlight_question_id == question.id:
        meeting.spotlight_question_id = None
    queue_event(db, MeetingQuestionsChanged(meeting_id=meeting.id))
    await db.commit()


async def reopen(db: AsyncSession, *, meeting: Meeting, question: MeetingQuestion) -> None:
    """Back to the open questions (out of the spotlight, or answered by mistake). The note stays
    for a later answer."""
    await _lock_meeting(db, meeting)
    question.status = QuestionStatus.OPEN
    question.answered_at = None
    if meeting.spotlight_question_id == question.id:
        meeting.spotlight_question_id = None
    queue_event(db, MeetingQuestionsChanged(meeting_id=meeting.id))
    await db.commit()


# ---------------------------------------------------------------------------------------------
# Routes
# ---------------------------------------------------------------------------------------------
def _room_url(meeting: Meeting, sort: str, anchor: str = "") -> str:
    query = f"?fragen={sort}" if sort != DEFAULT_SORT else ""
    return f"/veranstaltungen/{meeting.id}{query}{'#' + anchor if anchor else ''}"


async def _question_of(db: AsyncSession, meeting: Meeting, question_id: int) -> MeetingQuestion:
    question = await db.get(MeetingQuestion, question_id)
    if question is None or question.meeting_id != meeting.id:
        raise NotFoundException()
    return question


@post("/veranstaltungen/{meeting_id:int}/fragen", name="meetings.questions.ask")
async def ask_submit(request: Req, db_session: DB, meeting_id: FromPath[int]) -> Response[Any]:
    from beteiligung.meetings.routes import room_response

    meeting = await access_meeting(db_session, request.state.org.id, meeting_id)
    now = utcnow()
    viewer = await viewer_of(request, db_session, meeting, now)
    enforce(viewer.why_not("ask", meeting))
    participant = viewer.participant
    assert participant is not None  # why_not("ask") refuses everyone without one
    sort = parse_sort(request.query_params.get("fragen"))
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
    if question.is_public:
        message = _("Ihre Frage ist veröffentlicht.")
    else:  # not a success yet: why it waits and what happens next (issue 20)
        why = explain_hold(screening.trigger, screening.reasons, meeting=True, guest=participant.is_guest)
        message = _("Ihre Frage wartet auf Freigabe durch die Moderation. Erst dann sehen sie andere.")
        message = f"{message} {why.text()}"
    if not is_htmx(request):
        flash(request, message, "success" if question.is_public else "info")
        return redirect_after_post(request, _room_url(meeting, sort, f"frage-{question.id}"))
    return await room_response(
        request,
        db_session,
        meeting,
        block="questions",
        announce=message,
        extra={"question_focus": question.id},
    )


@post("/veranstaltungen/{meeting_id:int}/fragen/{question_id:int}/stimme", name="meetings.questions.upvote")
async def upvote_submit(
    request: Req, db_session: DB, meeting_id: FromPath[int], question_id: FromPath[int]
) -> Response[Any]:
    from beteiligung.meetings.routes import room_response

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
    message = (
        _("Sie unterstützen diese Frage nicht mehr.") if take_back else _("Sie unterstützen diese Frage.")
    )
    if not is_htmx(request):
        flash(request, message)
        sort = parse_sort(request.query_params.get("fragen"))
        return redirect_after_post(request, _room_url(meeting, sort, f"frage-{question.id}"))
    return await room_response(
        request,
        db_session,
        meeting,
        block="questions",
        announce=message,
        extra={"question_focus_vote": question.id},
    )


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
    from beteiligung.meetings.admin import load_meeting
    from beteiligung.meetings.routes import room_response

    meeting = await load_meeting(db_session, request, meeting_id)
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
    message = _(STAFF_MESSAGES[action])
    if not is_htmx(request):
        flash(request, message)
        sort = parse_sort(request.query_params.get("fragen"))
        anchor = f"meeting-{meeting.id}-spotlight" if action == "fokus" else f"frage-{question.id}"
        return redirect_after_post(request, _room_url(meeting, sort, anchor))
    return await room_response(request, db_session, meeting, block=block, announce=message)


ROUTES: list[Any] = [ask_submit, upvote_submit, staff_question_submit]
