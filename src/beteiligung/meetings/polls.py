"""Meeting room part: live polls (Abstimmungen), docs/meetings.md.

Staff prepare polls per agenda item (drafts, which only staff see), open one at a time, close
it, or delete a draft. Participants (signed-in people, or guests where the meeting allows them)
vote once in the open poll. Results are shown live or only after closing, as staff chose; staff
always see them. Every count is exact: a ballot is a row unique per (poll, participant), and the
counters beside it (``MeetingPoll.ballot_count``, ``MeetingPollOption.vote_count``) grow in the
same transaction only when that row was inserted, and only while the poll is still open.

Routes (each answers the room's ``poll`` block with htmx, otherwise post/redirect/get):

* ``POST /veranstaltungen/{id}/abstimmungen/{poll_id}/stimme``: vote (``option``, repeated).
* ``POST /verwaltung/veranstaltungen/{id}/abstimmungen``: prepare a poll (staff).
* ``POST /verwaltung/veranstaltungen/{id}/abstimmungen/{poll_id}``: ``aktion`` = ``oeffnen``,
  ``schliessen`` or ``loeschen`` (staff).

This module is imported by ``meetings.routes`` (which lists its routes), so it imports the room's
response helper only inside the handlers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from litestar import Request, Response, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.status_codes import HTTP_400_BAD_REQUEST
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.accounts.guards import permission_required
from beteiligung.accounts.permissions import Perm
from beteiligung.consultations.permissions import Denied, enforce
from beteiligung.db import insert_ignoring_duplicates, utcnow
from beteiligung.i18n import gettext as _
from beteiligung.live.events import MeetingPollChanged, MeetingVotesChanged
from beteiligung.live.publish import queue_coalesced, queue_event
from beteiligung.meetings.models import (
    Meeting,
    MeetingPoll,
    MeetingPollBallot,
    MeetingPollChoice,
    MeetingPollOption,
    MeetingState,
    PollResults,
    PollState,
)
from beteiligung.meetings.permissions import Participant
from beteiligung.meetings.queries import access_meeting
from beteiligung.meetings.views import Viewer
from beteiligung.web.context import DB
from beteiligung.web.errors import ActionConflict, PublicHTTPException
from beteiligung.web.forms import Field, Form
from beteiligung.web.params import parse_int
from beteiligung.web.responses import flash, is_htmx, redirect_after_post

Req = Request[Any, Any, Any]
STAFF_GUARDS = [permission_required(Perm.CONSULTATION_MANAGE)]
MIN_OPTIONS, MAX_OPTIONS = 2, 10
OPTION_MAX_LENGTH = 200
NO_ITEM = "-"


# ---------------------------------------------------------------------------------------------
# The staff form
# ---------------------------------------------------------------------------------------------
def parse_options(text: str) -> list[str]:
    """One answer option a line; empty lines and list bullets are dropped."""
    lines = (line.strip().lstrip("-*•").strip() for line in text.splitlines())
    return [line for line in lines if line]


class PollForm(Form):
    id: ClassVar[str] = "poll"

    def __init__(
        self,
        data: Any = None,
        *,
        initial: Any = None,
        agenda: Sequence[Any] = (),
        current_item_id: int | None = None,
    ) -> None:
        self.fields = (  # type: ignore[misc]
            Field("question", "Frage", max_length=300, min_length=3, autocomplete="off"),
            Field(
                "options",
                "Antwortmöglichkeiten",
                kind="textarea",
                max_length=MAX_OPTIONS * (OPTION_MAX_LENGTH + 2),
                rows=4,
                hint="Eine je Zeile: 2 bis 10, jede höchstens 200 Zeichen lang.",
            ),
            Field(
                "kind",
                "Art der Abstimmung",
                kind="select",
                choices=(
                    ("single", "Eine Antwort (Einfachauswahl)"),
                    ("multiple", "Mehrere Antworten möglich (Mehrfachauswahl)"),
                ),
            ),
            Field(
                "results",
                "Ergebnisse für Teilnehmende",
                kind="select",
                choices=(
                    (PollResults.LIVE.value, "Live: nach der eigenen Stimme, während abgestimmt wird"),
                    (PollResults.AFTER_CLOSE.value, "Erst, wenn die Abstimmung geschlossen ist"),
                ),
                hint="Die Verwaltung sieht die Ergebnisse immer.",
            ),
            Field(
                "agenda_item",
                "Zum Tagesordnungspunkt",
                kind="select",
                choices=((NO_ITEM, "Keinem bestimmten Punkt"), *((str(i.id), i.title) for i in agenda)),
            ),
        )
        defaults = {
            "kind": "single",
            "results": PollResults.LIVE.value,
            "agenda_item": str(current_item_id) if current_item_id else NO_ITEM,
        }
        super().__init__(data, initial={**defaults, **(initial or {})})

    def clean(self) -> None:
        if "options" not in self.cleaned:
            return
        options = parse_options(self.cleaned["options"] or "")
        seen: set[str] = set()
        duplicates = []
        for option in options:
            key = " ".join(option.casefold().split())
            if key in seen:
                duplicates.append(option)
            seen.add(key)
        too_long = [o for o in options if len(o) > OPTION_MAX_LENGTH]
        if len(options) < MIN_OPTIONS:
            self.add_error(
                "options", _("Bitte geben Sie mindestens zwei Antwortmöglichkeiten an, eine je Zeile.")
            )
        elif len(options) > MAX_OPTIONS:
            self.add_error(
                "options",
                _(
                    "Bitte geben Sie höchstens %(max)s Antwortmöglichkeiten an (derzeit %(n)s).",
                    max=MAX_OPTIONS,
                    n=len(options),
                ),
            )
        elif too_long:
            self.add_error(
                "options",
                _(
                    "Jede Antwortmöglichkeit darf höchstens %(max)s Zeichen lang sein (zu lang: „%(option)s…“).",
                    max=OPTION_MAX_LENGTH,
                    option=too_long[0][:40],
                ),
            )
        elif duplicates:
            self.add_error(
                "options",
                _(
                    "Jede Antwortmöglichkeit darf nur einmal vorkommen (doppelt: „%(option)s“).",
                    option=duplicates[0][:60],
                ),
            )
        else:
            self.cleaned["option_list"] = options

    def values(self) -> dict[str, Any]:
        c = self.cleaned
        item = c["agenda_item"]
        return {
            "question": c["question"],
            "options": c["option_list"],
            "multiple": c["kind"] == "multiple",
            "results": PollResults(c["results"]),
            "agenda_item_id": None if item == NO_ITEM else int(item),
        }


# ---------------------------------------------------------------------------------------------
# Rules (pure: no I/O; the caller loads the poll and the meeting's open poll)
# ---------------------------------------------------------------------------------------------
def why_not_prepare(meeting: Meeting) -> Denied | None:
    if meeting.state == MeetingState.ENDED:
        return Denied(409, "Die Veranstaltung ist beendet.")
    return None


def why_not_open(meeting: Meeting, poll: MeetingPoll, open_poll: MeetingPoll | None) -> Denied | None:
    """One poll is open at a time; opening another never closes the running one silently."""
    if poll.state != PollState.DRAFT:
        return Denied(409, "Diese Abstimmung wurde bereits geöffnet.")
    if meeting.state != MeetingState.LIVE:
        return Denied(409, "Abstimmungen lassen sich öffnen, sobald die Veranstaltung läuft.")
    if open_poll is not None:
        return Denied(
            409,
            "Es läuft bereits eine Abstimmung („%(question)s“). Bitte schließen Sie sie zuerst.",
            {"question": open_poll.question},
        )
    return None


def why_not_close(poll: MeetingPoll) -> Denied | None:
    if poll.state != PollState.OPEN:
        return Denied(409, "Diese Abstimmung ist nicht geöffnet.")
    return None


def why_not_delete(poll: MeetingPoll) -> Denied | None:
    if poll.state != PollState.DRAFT:
        return Denied(
            409,
            "Nur Entwürfe lassen sich löschen. Geöffnete und abgeschlossene Abstimmungen bleiben für das Protokoll erhalten.",
        )
    return None


def why_not_vote(viewer: Viewer, meeting: Meeting, poll: MeetingPoll) -> Denied | None:
    denied = viewer.why_not("take_part", meeting)
    if denied is not None:
        return denied
    if poll.state == PollState.CLOSED:
        return Denied(409, "Die Abstimmung ist geschlossen.")
    if poll.state != PollState.OPEN:
        return Denied(409, "Diese Abstimmung ist nicht geöffnet.")
    return None


def results_visible(viewer: Viewer, meeting: Meeting, poll: MeetingPoll, *, voted: bool) -> bool:
    """Staff always; everyone once the poll is closed; while it is open and its results are live,
    those who voted and those who cannot vote (visitors watching). Participants who may still
    vote see the standings only after their own vote."""
    if viewer.staff or poll.state == PollState.CLOSED:
        return True
    if poll.state != PollState.OPEN or poll.results != PollResults.LIVE:
        return False
    return voted or viewer.why_not("take_part", meeting) is not None


def denied_text(denied: Denied) -> str:
    """A refusal's message in the visitor's language (dates formatted), for the page."""
    from beteiligung.i18n import format_datetime

    params = {k: format_datetime(v) if isinstance(v, datetime) else v for k, v in denied.params.items()}
    return _(denied.message, **params)


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------
def percent(part: int, whole: int) -> int:
    """Whole percent, rounded half up (0 when nobody voted)."""
    if whole <= 0:
        return 0
    return (part * 200 + whole) // (whole * 2)


@dataclass(frozen=True)
class OptionResult:
    id: int
    label: str
    votes: int
    percent: int  # of the ballots (multiple choice: the shares add up to more than 100)

    @property
    def bar(self) -> int:
        """The bar's width class in steps of 5 (``poll-bar__fill--0`` … ``--100``)."""
        return min(100, max(0, 5 * round(self.percent / 5)))


def poll_results(poll: MeetingPoll) -> list[OptionResult]:
    """Each option with its votes and share of the ballots, in the options' order."""
    return [
        OptionResult(
            id=o.id, label=o.label, votes=o.vote_count, percent=percent(o.vote_count, poll.ballot_count)
        )
        for o in poll.options
    ]


@dataclass(frozen=True)
class PollCard:
    """One poll as this viewer sees it."""

    poll: MeetingPoll
    agenda_title: str | None
    results: list[OptionResult] | None  # None: not (yet) for this viewer


# ---------------------------------------------------------------------------------------------
# Reads
# ---------------------------------------------------------------------------------------------
async def list_polls(db: AsyncSession, meeting: Meeting) -> list[MeetingPoll]:
    """All polls of the meeting, oldest first, with fresh counts (a vote in this session's
    transaction updated them in SQL, not in the loaded objects)."""
    stmt = (
        select(MeetingPoll)
        .where(MeetingPoll.meeting_id == meeting.id)
        .order_by(MeetingPoll.id)
        .execution_options(populate_existing=True)
    )
    return list((await db.scalars(stmt)).all())


async def has_voted(db: AsyncSession, poll: MeetingPoll, participant: Participant | None) -> bool:
    if participant is None:
        return False
    found = await db.scalar(
        select(MeetingPollBallot.id).where(
            MeetingPollBallot.poll_id == poll.id, MeetingPollBallot.voter_key == participant.voter_key
        )
    )
    return found is not None


async def get_poll(db: AsyncSession, meeting: Meeting, poll_id: int) -> MeetingPoll:
    """The meeting's poll (another meeting's id is 404)."""
    poll = await db.get(MeetingPoll, poll_id, populate_existing=True)
    if poll is None or poll.meeting_id != meeting.id:
        raise NotFoundException()
    return poll


async def room_context(db: AsyncSession, meeting: Meeting, viewer: Viewer) -> dict[str, Any]:
    """What the room's polls block needs for this viewer: the open poll (with the vote form or,
    after voting, the results as set), the closed polls with their final results, and for staff
    the drafts and the form to prepare one."""
    polls = await list_polls(db, meeting)
    titles = {item.id: item.title for item in meeting.agenda}
    open_poll = next((p for p in polls if p.state == PollState.OPEN), None)
    voted = await has_voted(db, open_poll, viewer.participant) if open_poll else False
    denied = why_not_vote(viewer, meeting, open_poll) if open_poll and not voted else None
    may_vote = open_poll is not None and not voted and denied is None

    def card(poll: MeetingPoll, show: bool) -> PollCard:
        return PollCard(
            poll=poll,
            agenda_title=titles.get(poll.agenda_item_id) if poll.agenda_item_id else None,
            results=poll_results(poll) if show else None,
        )

    return {
        "poll_open": card(open_poll, results_visible(viewer, meeting, open_poll, voted=voted))
        if open_poll
        else None,
        "poll_voted": voted,
        "poll_may_vote": may_vote,
        "poll_denied": denied,
        "poll_denied_text": denied_text(denied) if denied else "",
        "poll_closed": [card(p, True) for p in reversed(polls) if p.state == PollState.CLOSED],
        "poll_drafts": [card(p, True) for p in polls if p.state == PollState.DRAFT] if viewer.staff else [],
        "poll_form": PollForm(agenda=meeting.agenda, current_item_id=meeting.current_item_id)
        if viewer.staff
        else None,
        "poll_vote_error": None,
        "PollResults": PollResults,
    }


# ---------------------------------------------------------------------------------------------
# Writes (permissions checked by the caller; each queues its live event and commits)
# ---------------------------------------------------------------------------------------------
async def create_poll(db: AsyncSession, meeting: Meeting, values: dict[str, Any]) -> MeetingPoll:
    poll = MeetingPoll(
        meeting_id=meeting.id,
        agenda_item_id=values["agenda_item_id"],
        question=values["question"],
        multiple=values["multiple"],
        results=values["results"],
        state=PollState.DRAFT,
    )
    poll.options = [
        MeetingPollOption(position=n, label=label) for n, label in enumerate(values["options"], start=1)
    ]
    db.add(poll)
    # Drafts are for staff only; the event carries no content and each viewer's fragment is
    # rendered for them, so it may go out on the meeting's channel.
    queue_event(db, MeetingPollChanged(meeting_id=meeting.id))
    await db.commit()
    return poll


async def _open_poll_locked(db: AsyncSession, meeting: Meeting) -> MeetingPoll | None:
    """The meeting's open poll, read while holding the meeting's row lock (PostgreSQL; SQLite
    serialises writers anyway), so two staff members can't open two polls at once."""
    await db.execute(select(Meeting.id).where(Meeting.id == meeting.id).with_for_update())
    return await db.scalar(
        select(MeetingPoll).where(MeetingPoll.meeting_id == meeting.id, MeetingPoll.state == PollState.OPEN)
    )


async def open_poll(db: AsyncSession, meeting: Meeting, poll: MeetingPoll, now: datetime) -> None:
    """Open a draft; refused (409) while another poll of the meeting is open."""
    running = await _open_poll_locked(db, meeting)
    denied = why_not_open(meeting, poll, running)
    if denied is not None:
        await db.rollback()
        enforce(denied)
    result = await db.execute(
        update(MeetingPoll)
        .where(MeetingPoll.id == poll.id, MeetingPoll.state == PollState.DRAFT)
        .values(state=PollState.OPEN, opened_at=now)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        await db.rollback()
        enforce(Denied(409, "Diese Abstimmung wurde bereits geöffnet."))
    queue_event(db, MeetingPollChanged(meeting_id=meeting.id))
    await db.commit()


async def close_poll(db: AsyncSession, meeting: Meeting, poll: MeetingPoll, now: datetime) -> None:
    """Close the open poll. A vote still in flight either counted before this or is refused."""
    result = await db.execute(
        update(MeetingPoll)
        .where(MeetingPoll.id == poll.id, MeetingPoll.state == PollState.OPEN)
        .values(state=PollState.CLOSED, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        await db.rollback()
        enforce(Denied(409, "Diese Abstimmung ist nicht geöffnet."))
    queue_event(db, MeetingPollChanged(meeting_id=meeting.id))
    await db.commit()


async def close_open_polls(db: AsyncSession, meeting: Meeting, now: datetime) -> int:
    """Close whatever poll is open (for the end of the meeting); the caller commits."""
    result = await db.execute(
        update(MeetingPoll)
        .where(MeetingPoll.meeting_id == meeting.id, MeetingPoll.state == PollState.OPEN)
        .values(state=PollState.CLOSED, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    count = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if count:
        queue_event(db, MeetingPollChanged(meeting_id=meeting.id))
    return count


async def delete_poll(db: AsyncSession, meeting: Meeting, poll: MeetingPoll) -> None:
    """Delete a draft (an opened poll stays, for the minutes)."""
    result = await db.execute(
        delete(MeetingPoll)
        .where(MeetingPoll.id == poll.id, MeetingPoll.state == PollState.DRAFT)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        await db.rollback()
        enforce(why_not_delete(poll) or Denied(409, "Diese Abstimmung ist kein Entwurf mehr."))
    queue_event(db, MeetingPollChanged(meeting_id=meeting.id))
    await db.commit()


class AlreadyVoted(Exception):
    pass


class PollClosed(Exception):
    pass


async def cast_ballot(
    db: AsyncSession, poll: MeetingPoll, participant: Participant, option_ids: Sequence[int]
) -> None:
    """Record one participant's ballot. Precondition: ``option_ids`` belong to ``poll`` and suit
    its kind. Raises :class:`AlreadyVoted` (nothing written) or :class:`PollClosed` (rolled back).

    The ballot row goes in first (``ON CONFLICT DO NOTHING`` on (poll, voter)); only when it was
    written do its choices and the counters follow, in the same transaction. Counters are taken
    in one order (options by id, then the poll) so concurrent ballots never deadlock; the poll's
    counter moves only while the poll is open, re-checked under its row lock, so a ballot racing
    the close is either counted before it or refused."""
    inserted = await insert_ignoring_duplicates(
        db,
        MeetingPollBallot.__table__,
        {"poll_id": poll.id, "voter_key": participant.voter_key, "user_id": participant.user_id},
    )
    if not inserted:
        await db.rollback()  # end the write transaction now (SQLite: the session store writes next)
        raise AlreadyVoted()
    ballot_id = await db.scalar(
        select(MeetingPollBallot.id).where(
            MeetingPollBallot.poll_id == poll.id, MeetingPollBallot.voter_key == participant.voter_key
        )
    )
    chosen = sorted(set(option_ids))
    now = utcnow()
    await db.execute(
        insert(MeetingPollChoice),
        [{"ballot_id": ballot_id, "option_id": oid, "created_at": now, "updated_at": now} for oid in chosen],
    )
    for oid in chosen:
        await db.execute(
            update(MeetingPollOption)
            .where(MeetingPollOption.id == oid, MeetingPollOption.poll_id == poll.id)
            .values(vote_count=MeetingPollOption.vote_count + 1)
            .execution_options(synchronize_session=False)
        )
    result = await db.execute(
        update(MeetingPoll)
        .where(MeetingPoll.id == poll.id, MeetingPoll.state == PollState.OPEN)
        .values(ballot_count=MeetingPoll.ballot_count + 1)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        await db.rollback()
        raise PollClosed()
    queue_coalesced(db, MeetingVotesChanged(meeting_id=poll.meeting_id))  # a burst: one refresh
    await db.commit()


# ---------------------------------------------------------------------------------------------
# Routes
# ---------------------------------------------------------------------------------------------
class TamperedVote(PublicHTTPException):
    status_code = HTTP_400_BAD_REQUEST


def _room_url(meeting: Meeting) -> str:
    return f"/veranstaltungen/{meeting.id}"


def _back(request: Req, meeting: Meeting, message: str) -> Response[Any]:
    flash(request, message)
    return redirect_after_post(request, f"{_room_url(meeting)}#meeting-{meeting.id}-poll")


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
    from beteiligung.meetings.routes import room_response
    from beteiligung.meetings.views import viewer_of

    meeting = await access_meeting(db_session, request.state.org.id, meeting_id)
    poll = await get_poll(db_session, meeting, poll_id)
    viewer = await viewer_of(request, db_session, meeting, utcnow())
    if poll.state == PollState.DRAFT:
        raise NotFoundException()  # drafts are invisible to participants
    enforce(why_not_vote(viewer, meeting, poll))
    participant = viewer.participant
    assert participant is not None  # take_part admits nobody without a participant identity
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
    except AlreadyVoted:
        raise ActionConflict(detail=_("Sie haben bereits abgestimmt.")) from None
    except PollClosed:
        raise ActionConflict(detail=_("Die Abstimmung ist geschlossen.")) from None
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
    from beteiligung.meetings.routes import room_response

    meeting = await access_meeting(db_session, request.state.org.id, meeting_id)
    enforce(why_not_prepare(meeting))
    form = PollForm(
        dict((await request.form()).items()), agenda=meeting.agenda, current_item_id=meeting.current_item_id
    )
    if not form.validate():
        return await room_response(
            request, db_session, meeting, block="poll", status=422, extra={"poll_form": form}
        )
    poll = await create_poll(db_session, meeting, form.values())
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
    from beteiligung.meetings.routes import room_response

    meeting = await access_meeting(db_session, request.state.org.id, meeting_id)
    poll = await get_poll(db_session, meeting, poll_id)
    action = str((await request.form()).get("aktion") or "")
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
    if is_htmx(request):
        return await room_response(request, db_session, meeting, block="poll", announce=message)
    return _back(request, meeting, message)


ROUTES: list[Any] = [poll_vote_submit, poll_create_submit, poll_action_submit]
