"""The speaker list (Redeliste) of a meeting's room (docs/meetings.md).

While the meeting is live, a participant asks to speak (optionally "zur Geschäftsordnung"), sees
their place and may withdraw; staff call the next or a given speaker, finish the current one,
move entries up or down and remove them. The list's order is ``position`` alone: a
point-of-order request is placed before the first normal request (after earlier point-of-order
requests, so those stay in request order), and staff reorder by swapping positions.

Every change locks the meeting's row first (``SELECT … FOR UPDATE`` on PostgreSQL), so two
simultaneous requests neither get the same place nor put one participant on the list twice, and
queues ``MeetingSpeakersChanged`` for the commit to publish.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn

from litestar import Request, Response, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.accounts.guards import permission_required
from beteiligung.accounts.permissions import Perm
from beteiligung.consultations.permissions import Denied, enforce
from beteiligung.db import utcnow
from beteiligung.i18n import format_datetime
from beteiligung.i18n import gettext as _
from beteiligung.live.events import MeetingSpeakersChanged
from beteiligung.live.publish import queue_event
from beteiligung.meetings.models import Meeting, MeetingSpeaker, MeetingState, SpeakerStatus
from beteiligung.meetings.permissions import Participant
from beteiligung.meetings.queries import access_meeting
from beteiligung.meetings.views import Viewer, viewer_of
from beteiligung.web.context import DB
from beteiligung.web.forms import Field, Form
from beteiligung.web.responses import flash, is_htmx, redirect_after_post

Req = Request[Any, Any, Any]
GUARDS = [permission_required(Perm.CONSULTATION_MANAGE)]
ON_LIST = (SpeakerStatus.WAITING, SpeakerStatus.SPEAKING)


class SpeakForm(Form):
    """Asking to speak: one optional checkbox."""

    id = "speak"
    fields = (
        Field(
            "geschaeftsordnung",
            "Zur Geschäftsordnung",
            kind="checkbox",
            required=False,
            hint="Nur für Anträge zum Ablauf der Sitzung; diese Wortmeldungen kommen zuerst dran.",
        ),
    )


# ---------------------------------------------------------------------------------------------
# Reads
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SpeakerList:
    current: MeetingSpeaker | None
    waiting: list[MeetingSpeaker]

    def place_of(self, voter_key: str) -> int | None:
        """1-based place of the participant's waiting request, None when they are not waiting."""
        return next((n for n, s in enumerate(self.waiting, start=1) if s.voter_key == voter_key), None)


async def speaker_list(db: AsyncSession, meeting_id: int) -> SpeakerList:
    rows = (
        await db.scalars(
            select(MeetingSpeaker)
            .where(MeetingSpeaker.meeting_id == meeting_id, MeetingSpeaker.status.in_(ON_LIST))
            .order_by(MeetingSpeaker.position, MeetingSpeaker.id)
            .execution_options(populate_existing=True)
        )
    ).all()
    current = next((s for s in rows if s.status == SpeakerStatus.SPEAKING), None)
    return SpeakerList(current=current, waiting=[s for s in rows if s.status == SpeakerStatus.WAITING])


def speaking_until(meeting: Meeting, speaker: MeetingSpeaker | None) -> datetime | None:
    """When the current speaker's time is up (called_at + the meeting's speaking time)."""
    if speaker is None or speaker.called_at is None:
        return None
    return speaker.called_at + timedelta(seconds=meeting.speaking_seconds)


def denied_text(denied: Denied | None) -> str:
    """A refusal's reason in the visitor's language (as ``enforce`` words it)."""
    if denied is None:
        return ""
    params = {k: format_datetime(v) if isinstance(v, datetime) else v for k, v in denied.params.items()}
    return _(denied.message, **params)


async def room_context(db: AsyncSession, meeting: Meeting, viewer: Viewer) -> dict[str, Any]:
    """What the room's speakers block needs for this viewer."""
    listing = await speaker_list(db, meeting.id)
    if meeting.state != MeetingState.LIVE:
        listing = SpeakerList(current=None, waiting=[])  # the list is shown only while live
    until = speaking_until(meeting, listing.current)
    participant = viewer.participant
    denied = viewer.why_not("speak", meeting)
    return {
        "speaker_current": listing.current,
        "speaker_waiting": listing.waiting,
        "speaker_until": until,
        "speaker_remaining": int((until - viewer.now).total_seconds()) if until else 0,
        "speaker_place": listing.place_of(participant.voter_key) if participant else None,
        "speaker_is_me": bool(
            participant and listing.current and listing.current.voter_key == participant.voter_key
        ),
        "speaker_denied": denied,
        "speaker_denied_text": denied_text(denied),
        "speak_form": SpeakForm(),
    }


# ---------------------------------------------------------------------------------------------
# Writes (the caller checked the permission; each commits and publishes MeetingSpeakersChanged)
# ---------------------------------------------------------------------------------------------
async def _lock(db: AsyncSession, meeting: Meeting) -> None:
    """Serialise changes of one meeting's list (a no-op on SQLite, whose writes are serial)."""
    await db.execute(select(Meeting.id).where(Meeting.id == meeting.id).with_for_update())


async def _unchanged(db: AsyncSession) -> None:
    """Nothing to change: end the transaction to release the lock (a rollback would expire the
    loaded meeting, which the response still renders)."""
    await db.commit()


async def _changed(db: AsyncSession, meeting: Meeting) -> None:
    queue_event(db, MeetingSpeakersChanged(meeting_id=meeting.id))
    await db.commit()


async def _entry(db: AsyncSession, meeting: Meeting, speaker_id: int) -> MeetingSpeaker | None:
    return await db.scalar(
        select(MeetingSpeaker)
        .where(MeetingSpeaker.id == speaker_id, MeetingSpeaker.meeting_id == meeting.id)
        .execution_options(populate_existing=True)
    )


async def request_to_speak(
    db: AsyncSession, meeting: Meeting, participant: Participant, *, point_of_order: bool
) -> tuple[MeetingSpeaker, bool]:
    """Put the participant on the list; (their entry, False) if they are waiting already."""
    await _lock(db, meeting)
    listing = await speaker_list(db, meeting.id)
    existing = next((s for s in listing.waiting if s.voter_key == participant.voter_key), None)
    if existing is not None:
        await _unchanged(db)
        return existing, False
    last = await db.scalar(
        select(func.max(MeetingSpeaker.position)).where(MeetingSpeaker.meeting_id == meeting.id)
    )
    position = int(last or 0) + 1
    first_normal = next((s for s in listing.waiting if not s.point_of_order), None)
    if point_of_order and first_normal is not None:
        position = first_normal.position
        await db.execute(
            update(MeetingSpeaker)
            .where(
                MeetingSpeaker.meeting_id == meeting.id,
                MeetingSpeaker.status == SpeakerStatus.WAITING,
                MeetingSpeaker.position >= position,
            )
            .values(position=MeetingSpeaker.position + 1)
            .execution_options(synchronize_session=False)
        )
    entry = MeetingSpeaker(
        meeting_id=meeting.id,
        agenda_item_id=meeting.current_item_id,
        user_id=participant.user_id,
        voter_key=participant.voter_key,
        display_name=participant.display_name[:80],
        point_of_order=point_of_order,
        position=position,
        status=SpeakerStatus.WAITING,
    )
    db.add(entry)
    await _changed(db, meeting)
    return entry, True


async def withdraw(db: AsyncSession, meeting: Meeting, participant: Participant) -> bool:
    """The participant takes back their waiting request; False if there was none."""
    await _lock(db, meeting)
    listing = await speaker_list(db, meeting.id)
    entry = next((s for s in listing.waiting if s.voter_key == participant.voter_key), None)
    if entry is None:
        await _unchanged(db)
        return False
    entry.status = SpeakerStatus.WITHDRAWN
    await _changed(db, meeting)
    return True


async def call_speaker(
    db: AsyncSession, meeting: Meeting, speaker_id: int | None, now: datetime
) -> MeetingSpeaker | None:
    """Give the floor to a waiting entry (``None``: the first one); the current speaker is done.
    None when that entry is not waiting (or nobody is)."""
    await _lock(db, meeting)
    listing = await speaker_list(db, meeting.id)
    if speaker_id is None:
        entry = listing.waiting[0] if listing.waiting else None
    else:
        entry = next((s for s in listing.waiting if s.id == speaker_id), None)
    if entry is None:
        await _unchanged(db)
        return None
    if listing.current is not None:
        listing.current.status = SpeakerStatus.DONE
        listing.current.finished_at = now
    entry.status = SpeakerStatus.SPEAKING
    entry.called_at = now
    entry.agenda_item_id = meeting.current_item_id or entry.agenda_item_id  # where they spoke
    await _changed(db, meeting)
    return entry


async def finish_speaker(
    db: AsyncSession, meeting: Meeting, speaker_id: int | None, now: datetime
) -> MeetingSpeaker | None:
    """End the current contribution (``speaker_id`` must be the current speaker if given)."""
    await _lock(db, meeting)
    current = (await speaker_list(db, meeting.id)).current
    if current is None or (speaker_id is not None and current.id != speaker_id):
        await _unchanged(db)
        return None
    current.status = SpeakerStatus.DONE
    current.finished_at = now
    await _changed(db, meeting)
    return current


async def move_speaker(db: AsyncSession, meeting: Meeting, speaker_id: int, step: int) -> int | None:
    """Swap a waiting entry with its neighbour above (-1) or below (+1): its new place (1-based),
    None when it is not waiting or already at that end of the list."""
    await _lock(db, meeting)
    waiting = (await speaker_list(db, meeting.id)).waiting
    index = next((n for n, s in enumerate(waiting) if s.id == speaker_id), None)
    if index is None or not 0 <= index + step < len(waiting):
        await _unchanged(db)
        return None
    if len({s.position for s in waiting}) < len(waiting):  # never expected; keep the order total
        base = waiting[0].position
        for n, s in enumerate(waiting):
            s.position = base + n
    entry, other = waiting[index], waiting[index + step]
    entry.position, other.position = other.position, entry.position
    await _changed(db, meeting)
    return index + step + 1


async def remove_speaker(db: AsyncSession, meeting: Meeting, speaker_id: int) -> MeetingSpeaker | None:
    """Staff take a waiting entry off the list."""
    await _lock(db, meeting)
    entry = next((s for s in (await speaker_list(db, meeting.id)).waiting if s.id == speaker_id), None)
    if entry is None:
        await _unchanged(db)
        return None
    entry.status = SpeakerStatus.REMOVED
    await _changed(db, meeting)
    return entry


async def close_list(db: AsyncSession, meeting: Meeting, now: datetime) -> None:
    """When the meeting ends: the current speaker is done (inside the caller's transaction;
    the caller commits and publishes its own event)."""
    await db.execute(
        update(MeetingSpeaker)
        .where(MeetingSpeaker.meeting_id == meeting.id, MeetingSpeaker.status == SpeakerStatus.SPEAKING)
        .values(status=SpeakerStatus.DONE, finished_at=now)
        .execution_options(synchronize_session=False)
    )


# ---------------------------------------------------------------------------------------------
# Routes
# ---------------------------------------------------------------------------------------------
def _conflict(message: str) -> NoReturn:
    from beteiligung.web.errors import ActionConflict

    raise ActionConflict(detail=message)


async def _answer(
    request: Req,
    db: AsyncSession,
    meeting: Meeting,
    message: str,
    *,
    focus: tuple[int, str] | None = None,
    kind: str = "success",
) -> Response[Any]:
    """With htmx the speakers block (focus on ``(entry id, control)``), else back to the room."""
    from beteiligung.meetings.routes import meeting_url, room_response

    if is_htmx(request):
        extra = {"speaker_focus": focus} if focus else None
        return await room_response(request, db, meeting, block="speakers", announce=message, extra=extra)
    flash(request, message, kind)
    return redirect_after_post(request, f"{meeting_url(meeting)}#meeting-{meeting.id}-speakers")


@post("/veranstaltungen/{meeting_id:int}/redeliste", name="meetings.speakers")
async def speakers_submit(request: Req, db_session: DB, meeting_id: FromPath[int]) -> Response[Any]:
    """``aktion=melden`` (with ``geschaeftsordnung``) or ``aktion=zurueckziehen``."""
    meeting = await access_meeting(db_session, request.state.org.id, meeting_id)
    viewer = await viewer_of(request, db_session, meeting, utcnow())
    enforce(viewer.why_not("speak", meeting))
    participant = viewer.participant
    if participant is None:  # why_not("speak") lets only participants through
        raise NotFoundException()
    data = await request.form()
    action = str(data.get("aktion") or "")
    if action == "melden":
        form = SpeakForm(dict(data.items()))
        point_of_order = form.validate() and bool(form.cleaned["geschaeftsordnung"])
        entry, created = await request_to_speak(
            db_session, meeting, participant, point_of_order=point_of_order
        )
        place = (await speaker_list(db_session, meeting.id)).place_of(participant.voter_key)
        if not created:
            message = _("Sie stehen bereits auf der Redeliste (Nr. %(place)s).", place=place)
            return await _answer(request, db_session, meeting, message, focus=(entry.id, "own"), kind="info")
        if entry.point_of_order:
            message = _(
                "Ihre Wortmeldung zur Geschäftsordnung ist eingetragen: Sie sind Nr. %(place)s.", place=place
            )
        else:
            message = _(
                "Ihre Wortmeldung ist eingetragen: Sie sind Nr. %(place)s auf der Redeliste.", place=place
            )
        return await _answer(request, db_session, meeting, message, focus=(entry.id, "own"))
    if action == "zurueckziehen":
        if await withdraw(db_session, meeting, participant):
            message = _("Sie haben Ihre Wortmeldung zurückgezogen.")
            return await _answer(request, db_session, meeting, message, focus=(0, "speak"))
        message = _("Sie stehen nicht auf der Redeliste.")
        return await _answer(request, db_session, meeting, message, focus=(0, "speak"), kind="info")
    _conflict(_("Unbekannte Aktion."))


async def _staff_meeting(request: Req, db: AsyncSession, meeting_id: int) -> Meeting:
    meeting = await access_meeting(db, request.state.org.id, meeting_id)
    if meeting.state != MeetingState.LIVE:
        _conflict(_("Die Redeliste ist nur geöffnet, während die Veranstaltung läuft."))
    return meeting


@post("/verwaltung/veranstaltungen/{meeting_id:int}/redeliste", name="admin.meeting.speakers", guards=GUARDS)
async def speakers_admin_submit(request: Req, db_session: DB, meeting_id: FromPath[int]) -> Response[Any]:
    """``aktion=naechste``: the first waiting entry gets the floor."""
    meeting = await _staff_meeting(request, db_session, meeting_id)
    action = str((await request.form()).get("aktion") or "")
    if action != "naechste":
        _conflict(_("Unbekannte Aktion."))
    entry = await call_speaker(db_session, meeting, None, utcnow())
    if entry is None:
        _conflict(_("Niemand wartet auf das Wort."))
    message = _("%(name)s hat das Wort.", name=entry.display_name)
    return await _answer(request, db_session, meeting, message, focus=(entry.id, "beenden"))


@post(
    "/verwaltung/veranstaltungen/{meeting_id:int}/redeliste/{speaker_id:int}",
    name="admin.meeting.speaker",
    guards=GUARDS,
)
async def speaker_admin_submit(
    request: Req, db_session: DB, meeting_id: FromPath[int], speaker_id: FromPath[int]
) -> Response[Any]:
    """``aktion=aufrufen|hoch|runter|entfernen|beenden`` for one entry of the list."""
    meeting = await _staff_meeting(request, db_session, meeting_id)
    entry = await _entry(db_session, meeting, speaker_id)
    if entry is None:
        raise NotFoundException()
    name = entry.display_name
    action = str((await request.form()).get("aktion") or "")
    now = utcnow()
    if action == "aufrufen":
        if await call_speaker(db_session, meeting, speaker_id, now) is None:
            _conflict(_("%(name)s wartet nicht mehr auf das Wort.", name=name))
        message = _("%(name)s hat das Wort.", name=name)
        return await _answer(request, db_session, meeting, message, focus=(speaker_id, "beenden"))
    if action in ("hoch", "runter"):
        place = await move_speaker(db_session, meeting, speaker_id, -1 if action == "hoch" else 1)
        if place is None:
            _conflict(
                _("%(name)s steht bereits ganz oben.", name=name)
                if action == "hoch"
                else _("%(name)s steht bereits ganz unten.", name=name)
            )
        message = _("%(name)s ist jetzt Nr. %(place)s der Redeliste.", name=name, place=place)
        return await _answer(request, db_session, meeting, message, focus=(speaker_id, action))
    if action == "entfernen":
        if await remove_speaker(db_session, meeting, speaker_id) is None:
            _conflict(_("%(name)s wartet nicht mehr auf das Wort.", name=name))
        message = _("%(name)s ist von der Redeliste genommen.", name=name)
        return await _answer(request, db_session, meeting, message, focus=(0, "list"))
    if action == "beenden":
        if await finish_speaker(db_session, meeting, speaker_id, now) is None:
            _conflict(_("%(name)s hat gerade nicht das Wort.", name=name))
        message = _("Der Redebeitrag von %(name)s ist beendet.", name=name)
        return await _answer(request, db_session, meeting, message, focus=(0, "naechste"))
    _conflict(_("Unbekannte Aktion."))


ROUTES: list[Any] = [speakers_submit, speakers_admin_submit, speaker_admin_submit]
