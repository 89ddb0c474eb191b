"""The minutes (Protokoll) of a meeting: drafted when it ends, edited and published by staff
(docs/meetings.md).

* When a meeting ends, :func:`on_meeting_ended` closes a poll still open, finishes the current
  speaker and drafts the minutes as Markdown into ``Meeting.minutes``, but only while that is
  empty: ending a reopened meeting again keeps what staff wrote.
* The draft is composed from the rows alone (:func:`compose_minutes` is pure): the overview
  (date, times, format, place, participant numbers), the agenda with start times, and per agenda
  item the published questions with votes, status and answer notes, the polls with exact
  results, and the speaker order. Held or hidden questions never appear, and questions appear
  without names (the speaker list carries the display names people chose for it).
* Staff edit the draft at ``/verwaltung/veranstaltungen/{id}/protokoll``, create it anew from the
  data, publish it (``minutes_published_at``) or withdraw it; only once the meeting has ended.
* Everyone reads published minutes at ``/veranstaltungen/{id}/protokoll`` (sanitised HTML with a
  print stylesheet) and downloads them as Markdown (``…/protokoll.md``); before publication the
  pages are 404 except for staff, who see the draft marked "Entwurf".

The minutes are a document of the town, so their text is German whatever language the staff
member's browser uses; the pages around them are translated as usual.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from babel.dates import format_date, format_time
from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.accounts.guards import permission_required
from beteiligung.accounts.permissions import Perm
from beteiligung.consultations.models import Consultation
from beteiligung.consultations.permissions import Denied, enforce
from beteiligung.consultations.states import Visibility
from beteiligung.db import utcnow
from beteiligung.i18n import gettext as _
from beteiligung.i18n import local_tz
from beteiligung.live.events import MeetingStateChanged
from beteiligung.live.publish import queue_event
from beteiligung.meetings import polls
from beteiligung.meetings.models import (
    FORMAT_NAMES,
    QUESTION_STATUS_NAMES,
    STATE_NAMES,
    VIDEO_NAMES,
    AgendaItem,
    Meeting,
    MeetingFormat,
    MeetingPoll,
    MeetingPollOption,
    MeetingQuestion,
    MeetingSpeaker,
    MeetingState,
    PollState,
    QuestionStatus,
    SpeakerStatus,
    VideoKind,
)
from beteiligung.meetings.permissions import is_staff
from beteiligung.meetings.queries import access_meeting, consultation_of, registration_count
from beteiligung.web.context import DB
from beteiligung.web.errors import ActionConflict
from beteiligung.web.forms import Field, Form
from beteiligung.web.responses import flash, redirect_after_post, render

Req = Request[Any, Any, Any]
MINUTES_MAX_LENGTH = 50_000
PUBLIC_TEMPLATE = "meetings/minutes.html"
ADMIN_TEMPLATE = "admin/meetings/minutes.html"


# ---------------------------------------------------------------------------------------------
# Markdown helpers
# ---------------------------------------------------------------------------------------------
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")
_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
_BLOCK_START = re.compile(r"^(\d+)([.)])|^([-+=])")


def md_text(text: str) -> str:
    """Text written by people (a question, an option, a name) as literal Markdown on one line:
    line breaks collapse, and what Markdown would read as markup (emphasis, links, headings,
    table cells, list markers at the start) is escaped. The HTML is sanitised anyway; this
    keeps a question from reshaping the document."""
    flat = " ".join(text.split())
    flat = _ENTITY.sub(r"\\&", _INLINE_SPECIAL.sub(r"\\\1", flat))
    return _BLOCK_START.sub(lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[3]}", flat)


def _local(value: datetime) -> datetime:
    return value.astimezone(local_tz())


def _date(value: datetime) -> str:
    return format_date(_local(value), format="full", locale="de")  # "Donnerstag, 12. März 2027"


def _time(value: datetime) -> str:
    return format_time(_local(value), "HH:mm", locale="de")


def _at(value: datetime, day: datetime) -> str:
    """ "18:05 Uhr", or with the date when ``value`` is not on ``day``'s date (local time)."""
    if _local(value).date() == _local(day).date():
        return f"{_time(value)} Uhr"
    return f"{format_date(_local(value), format='long', locale='de')}, {_time(value)} Uhr"


def _span(start: datetime, end: datetime) -> str:
    if _local(start).date() == _local(end).date():
        return f"{_time(start)} bis {_time(end)} Uhr"
    return f"{_at(start, start)} bis {_at(end, start)}"


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


# ---------------------------------------------------------------------------------------------
# The draft
# ---------------------------------------------------------------------------------------------
@dataclass
class MinutesData:
    """Everything the minutes show, read once (see :func:`load_minutes_data`)."""

    meeting: Meeting
    consultation: Consultation | None
    registrations: int
    questions: list[MeetingQuestion]  # published only, most votes first
    polls: list[MeetingPoll]  # opened or closed (no drafts), in the order they were opened
    options: dict[int, list[MeetingPollOption]]  # poll id -> options in their order
    speakers: list[MeetingSpeaker]  # done, in the order they spoke


async def load_minutes_data(db: AsyncSession, meeting: Meeting) -> MinutesData:
    """Read the meeting's rows fresh (counters move by UPDATE statements, so the loaded objects
    may be stale within this session)."""
    fresh = {"populate_existing": True}
    questions = list(
        (
            await db.scalars(
                select(MeetingQuestion)
                .where(
                    MeetingQuestion.meeting_id == meeting.id,
                    MeetingQuestion.visibility == Visibility.PUBLISHED,
                )
                .order_by(MeetingQuestion.vote_count.desc(), MeetingQuestion.created_at, MeetingQuestion.id)
                .execution_options(**fresh)
            )
        ).all()
    )
    poll_rows = list(
        (
            await db.scalars(
                select(MeetingPoll)
                .where(MeetingPoll.meeting_id == meeting.id, MeetingPoll.state != PollState.DRAFT)
                .execution_options(**fresh)
            )
        ).all()
    )
    poll_rows.sort(key=lambda p: (p.opened_at or p.created_at, p.id))
    options: dict[int, list[MeetingPollOption]] = defaultdict(list)
    if poll_rows:
        for option in await db.scalars(
            select(MeetingPollOption)
            .where(MeetingPollOption.poll_id.in_([p.id for p in poll_rows]))
            .order_by(MeetingPollOption.position, MeetingPollOption.id)
            .execution_options(**fresh)
        ):
            options[option.poll_id].append(option)
    speakers = list(
        (
            await db.scalars(
                select(MeetingSpeaker)
                .where(MeetingSpeaker.meeting_id == meeting.id, MeetingSpeaker.status == SpeakerStatus.DONE)
                .execution_options(**fresh)
            )
        ).all()
    )
    speakers.sort(key=lambda s: (s.called_at or s.finished_at or s.created_at, s.position, s.id))
    return MinutesData(
        meeting=meeting,
        consultation=await consultation_of(db, meeting),
        registrations=await registration_count(db, meeting),
        questions=questions,
        polls=poll_rows,
        options=dict(options),
        speakers=speakers,
    )


@dataclass
class _Section:
    questions: list[MeetingQuestion] = field(default_factory=list)
    polls: list[MeetingPoll] = field(default_factory=list)
    speakers: list[MeetingSpeaker] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.questions or self.polls or self.speakers)


def _overview(data: MinutesData) -> list[str]:
    m = data.meeting
    start = m.started_at or m.starts_at
    lines = ["## Überblick", "", f"- **Datum:** {_date(start)}"]
    if m.started_at and m.ended_at:
        lines.append(
            f"- **Zeit:** {_span(m.started_at, m.ended_at)} (geplant: {_span(m.starts_at, m.ends_at)})"
        )
    else:
        lines.append(f"- **Zeit (geplant):** {_span(m.starts_at, m.ends_at)}")
    lines.append(f"- **Form:** {FORMAT_NAMES[m.format]}")
    if m.format == MeetingFormat.HYBRID and m.place:
        lines.append(f"- **Ort:** {md_text(m.place)}")
    if m.video_kind != VideoKind.NONE:
        lines.append(f"- **Übertragung:** {VIDEO_NAMES[m.video_kind]}")
    if data.consultation is not None:
        lines.append(f"- **Zum Vorhaben:** {md_text(data.consultation.title)}")
    attendance = []
    if m.peak_participants:
        attendance.append(
            f"höchstens {_count(m.peak_participants, 'Person', 'Personen')} gleichzeitig im Online-Raum"
        )
    if data.registrations or m.registration_required:
        attendance.append(_count(data.registrations, "Anmeldung", "Anmeldungen"))
    if attendance:
        lines.append(f"- **Teilnahme:** {'; '.join(attendance)}")
    answered = sum(1 for q in data.questions if q.status == QuestionStatus.ANSWERED)
    lines.append(
        f"- **Fragen aus dem Publikum:** {len(data.questions)}"
        + (f", davon {answered} beantwortet" if data.questions else "")
    )
    lines.append(f"- **Abstimmungen:** {len(data.polls)}")
    lines.append(f"- **Wortmeldungen:** {len(data.speakers)}")
    return lines


def _agenda(meeting: Meeting) -> list[str]:
    lines = ["## Tagesordnung", ""]
    day = meeting.started_at or meeting.starts_at
    for n, item in enumerate(meeting.agenda, start=1):
        when = f" (aufgerufen um {_at(item.started_at, day)})" if item.started_at else " (nicht aufgerufen)"
        lines.append(f"{n}. {md_text(item.title)}{when}")
    return lines


def _questions(questions: list[MeetingQuestion]) -> list[str]:
    lines = ["### Fragen aus dem Publikum", ""]
    for n, q in enumerate(questions, start=1):
        lines.append(f"{n}. {md_text(q.body)}")
        lines.append(f"   - {_count(q.vote_count, 'Stimme', 'Stimmen')} · {QUESTION_STATUS_NAMES[q.status]}")
        if q.answer_note.strip():
            lines.append(f"   - Antwort: {md_text(q.answer_note)}")
    return lines


def _poll(poll: MeetingPoll, options: list[MeetingPollOption], day: datetime) -> list[str]:
    kind = "Mehrfachauswahl" if poll.multiple else "Einfachauswahl"
    facts = [kind, _count(poll.ballot_count, "Stimmabgabe", "Stimmabgaben")]
    if poll.opened_at:
        facts.append(f"geöffnet um {_at(poll.opened_at, day)}")
    if poll.closed_at:
        facts.append(f"geschlossen um {_at(poll.closed_at, day)}")
    lines = [f"### Abstimmung: {md_text(poll.question)}", "", " · ".join(facts), ""]
    lines += ["| Antwort | Stimmen | Anteil |", "| --- | ---: | ---: |"]
    for option in options:
        share = polls.percent(option.vote_count, poll.ballot_count)
        lines.append(f"| {md_text(option.label)} | {option.vote_count} | {share} % |")
    if poll.multiple:
        lines += [
            "",
            "Anteile bezogen auf die Stimmabgaben; bei Mehrfachauswahl kann ihre Summe über 100 % liegen.",
        ]
    return lines


def _speakers(speakers: list[MeetingSpeaker]) -> list[str]:
    lines = ["### Wortmeldungen (Redeliste)", ""]
    for n, s in enumerate(speakers, start=1):
        mark = " (zur Geschäftsordnung)" if s.point_of_order else ""
        lines.append(f"{n}. {md_text(s.display_name)}{mark}")
    return lines


def _section(
    title: str, item: AgendaItem | None, part: _Section, day: datetime, data: MinutesData
) -> list[str]:
    lines = [title, ""]
    if item is not None and item.description.strip():
        lines += [md_text(item.description), ""]
    if item is not None:
        lines += [
            f"Aufgerufen um {_at(item.started_at, day)}." if item.started_at else "Nicht aufgerufen.",
            "",
        ]
    if part.empty:
        lines += ["Keine Fragen, Abstimmungen oder Wortmeldungen.", ""]
    if part.questions:
        lines += [*_questions(part.questions), ""]
    for poll in part.polls:
        lines += [*_poll(poll, data.options.get(poll.id, []), day), ""]
    if part.speakers:
        lines += [*_speakers(part.speakers), ""]
    return lines


def compose_minutes(data: MinutesData) -> str:
    """The Markdown draft (pure: no I/O, no clock). Headings start at level 2; the page and the
    download put the meeting's title above them."""
    meeting = data.meeting
    day = meeting.started_at or meeting.starts_at
    items = {item.id for item in meeting.agenda}
    parts: dict[int | None, _Section] = defaultdict(_Section)
    for q in data.questions:
        parts[q.agenda_item_id if q.agenda_item_id in items else None].questions.append(q)
    for p in data.polls:
        parts[p.agenda_item_id if p.agenda_item_id in items else None].polls.append(p)
    for s in data.speakers:
        parts[s.agenda_item_id if s.agenda_item_id in items else None].speakers.append(s)

    lines = [*_overview(data), ""]
    if meeting.agenda:
        lines += [*_agenda(meeting), ""]
        for n, item in enumerate(meeting.agenda, start=1):
            lines += _section(f"## TOP {n}: {md_text(item.title)}", item, parts[item.id], day, data)
    general = parts.get(None)
    if general is not None and not general.empty:
        title = "## Ohne Tagesordnungspunkt" if meeting.agenda else "## Verlauf"
        lines += _section(title, None, general, day, data)
    elif not meeting.agenda:
        lines += ["## Verlauf", "", "Keine Fragen, Abstimmungen oder Wortmeldungen.", ""]
    lines += [
        "---",
        "",
        "*Aus den Daten der Veranstaltung erstellt. Fragen aus dem Publikum stehen ohne Namen im "
        "Protokoll, Wortmeldungen mit dem Anzeigenamen, unter dem sich die Person gemeldet hat.*",
    ]
    return "\n".join(lines).strip() + "\n"


async def draft_minutes(db: AsyncSession, meeting: Meeting) -> str:
    return compose_minutes(await load_minutes_data(db, meeting))


def minutes_document(meeting: Meeting) -> str:
    """The minutes as a standalone Markdown file: the title above the text."""
    body = meeting.minutes.strip()
    return f"# Protokoll: {md_text(meeting.title)}\n\n{body}\n"


async def on_meeting_ended(db: AsyncSession, meeting: Meeting, now: datetime) -> None:
    """Called by ``actions.change_state`` inside its transaction (it commits and publishes), after
    it closed the open poll and finished the current speaker. Writes the draft, unless there is
    text already (a meeting reopened and ended again keeps the staff's edits; "Entwurf neu
    erzeugen" replaces it)."""
    if not (meeting.minutes or "").strip():
        meeting.minutes = await draft_minutes(db, meeting)


# ---------------------------------------------------------------------------------------------
# The consultation page's list of meetings
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MeetingLink:
    meeting: Meeting
    state_name: str  # German msgid
    badge: str  # KERN badge variant
    minutes_url: str | None  # published minutes only


BADGES = {MeetingState.LIVE: "success", MeetingState.SCHEDULED: "info", MeetingState.ENDED: "warning"}


async def consultation_meetings(db: AsyncSession, consultation: Consultation) -> list[MeetingLink]:
    """The consultation's meetings (live, upcoming, then past), with their published minutes."""
    from beteiligung.meetings.queries import list_meetings

    meetings = await list_meetings(db, consultation.organisation_id, consultation_id=consultation.id)
    return [
        MeetingLink(
            meeting=m,
            state_name=STATE_NAMES[m.state],
            badge=BADGES[m.state],
            minutes_url=f"/veranstaltungen/{m.id}/protokoll" if m.minutes_published_at else None,
        )
        for m in meetings
    ]


# ---------------------------------------------------------------------------------------------
# Forms and rules
# ---------------------------------------------------------------------------------------------
class MinutesForm(Form):
    id: ClassVar[str] = "minutes"
    fields: ClassVar[tuple[Field, ...]] = (
        Field(
            "minutes",
            "Text des Protokolls (Markdown)",
            kind="textarea",
            required=False,
            max_length=MINUTES_MAX_LENGTH,
            rows=24,
            hint=(
                "Höchstens 50.000 Zeichen. Abschnitte beginnen mit ##, Unterabschnitte mit ###; "
                "Listen mit - oder 1., Tabellen mit |. Die Überschrift mit dem Titel der "
                "Veranstaltung wird automatisch ergänzt."
            ),
        ),
    )


class RegenerateForm(Form):
    id: ClassVar[str] = "minutes-regenerate"
    fields: ClassVar[tuple[Field, ...]] = (
        Field(
            "bestaetigen",
            "Ja, den bisherigen Text ersetzen",
            kind="checkbox",
            hint="Alle Änderungen am bisherigen Text gehen dabei verloren.",
        ),
    )


def why_not_edit_minutes(meeting: Meeting) -> Denied | None:
    """Minutes exist once the meeting has ended (the caller's guard checked the permission)."""
    if meeting.state != MeetingState.ENDED:
        return Denied(409, "Das Protokoll gibt es erst, wenn die Veranstaltung beendet ist.")
    return None


# ---------------------------------------------------------------------------------------------
# Public pages
# ---------------------------------------------------------------------------------------------
def _visible(request: Req, meeting: Meeting) -> bool:
    """Published minutes are public; staff also see the draft."""
    from litestar.exceptions import NotFoundException

    staff = is_staff(request.state.actor)
    if meeting.minutes_published_at is None and not staff:
        raise NotFoundException()
    return staff


@get("/veranstaltungen/{meeting_id:int}/protokoll", name="meetings.minutes")
async def meeting_minutes_page(request: Req, db_session: DB, meeting_id: FromPath[int]) -> Template:
    meeting = await access_meeting(db_session, request.state.org.id, meeting_id)
    staff = _visible(request, meeting)
    return render(
        request,
        PUBLIC_TEMPLATE,
        {
            "meeting": meeting,
            "consultation": await consultation_of(db_session, meeting),
            "staff": staff,
            "draft": meeting.minutes_published_at is None,
            "ended": meeting.state == MeetingState.ENDED,
        },
    )


@get("/veranstaltungen/{meeting_id:int}/protokoll.md", name="meetings.minutes_file")
async def meeting_minutes_file(request: Req, db_session: DB, meeting_id: FromPath[int]) -> Response[str]:
    meeting = await access_meeting(db_session, request.state.org.id, meeting_id)
    _visible(request, meeting)
    draft = "-entwurf" if meeting.minutes_published_at is None else ""
    return Response(
        minutes_document(meeting),
        media_type="text/markdown",  # Litestar adds "; charset=utf-8" to text/*
        headers={
            "Content-Disposition": f'attachment; filename="protokoll-veranstaltung-{meeting.id}{draft}.md"',
            "Cache-Control": "no-store" if draft else "no-cache",
        },
    )


# ---------------------------------------------------------------------------------------------
# Staff page
# ---------------------------------------------------------------------------------------------
def _admin_url(meeting: Meeting) -> str:
    return f"/verwaltung/veranstaltungen/{meeting.id}/protokoll"


def _admin_page(
    request: Req,
    meeting: Meeting,
    *,
    form: MinutesForm | None = None,
    regenerate: RegenerateForm | None = None,
    block: str | None = None,
    status: int = 200,
) -> Template:
    return render(
        request,
        ADMIN_TEMPLATE,
        {
            "meeting": meeting,
            "form": form or MinutesForm(initial={"minutes": meeting.minutes}),
            "regenerate_form": regenerate or RegenerateForm(),
            "action": _admin_url(meeting),
        },
        block=block,
        status=status,
    )


async def _staff_meeting(request: Req, db: AsyncSession, meeting_id: int) -> Meeting:
    from beteiligung.meetings.admin import load_meeting

    meeting = await load_meeting(db, request, meeting_id)
    enforce(why_not_edit_minutes(meeting))
    return meeting


GUARDS = [permission_required(Perm.CONSULTATION_MANAGE)]


@get("/verwaltung/veranstaltungen/{meeting_id:int}/protokoll", name="admin.meeting.minutes", guards=GUARDS)
async def meeting_minutes_admin_page(request: Req, db_session: DB, meeting_id: FromPath[int]) -> Template:
    meeting = await _staff_meeting(request, db_session, meeting_id)
    return _admin_page(request, meeting)


@post(
    "/verwaltung/veranstaltungen/{meeting_id:int}/protokoll",
    name="admin.meeting.minutes.submit",
    guards=GUARDS,
)
async def meeting_minutes_submit(request: Req, db_session: DB, meeting_id: FromPath[int]) -> Response[Any]:
    """``aktion``: ``speichern`` (the text), ``veroeffentlichen`` (save the text if sent, then
    publish), ``neu`` (draft anew from the data, with ``bestaetigen``) or ``zurueckziehen``."""
    meeting = await _staff_meeting(request, db_session, meeting_id)
    data = await request.form()
    values = {key: data.get(key) for key in data}
    action = str(values.get("aktion") or "")
    now = utcnow()
    published = meeting.minutes_published_at is not None

    if action == "neu":
        regenerate = RegenerateForm(values)
        if not regenerate.validate():
            return _admin_page(request, meeting, regenerate=regenerate, block="regenerate", status=422)
        meeting.minutes = await draft_minutes(db_session, meeting)
        message = _("Der Entwurf ist aus den Daten der Veranstaltung neu erzeugt.")
    elif action in ("speichern", "veroeffentlichen"):
        form = MinutesForm({"minutes": meeting.minutes, **values})
        if form.validate() and action == "veroeffentlichen" and not form.cleaned["minutes"]:
            form.add_error("minutes", _("Ein leeres Protokoll kann nicht veröffentlicht werden."))
        if form.has_errors:
            return _admin_page(request, meeting, form=form, block="form", status=422)
        meeting.minutes = form.cleaned["minutes"]
        if action == "veroeffentlichen" and not published:
            meeting.minutes_published_at = now
            message = _("Das Protokoll ist veröffentlicht.")
        else:
            message = _("Das Protokoll ist gespeichert.")
    elif action == "zurueckziehen":
        if not published:
            raise ActionConflict(detail=_("Das Protokoll ist nicht veröffentlicht."))
        meeting.minutes_published_at = None
        message = _("Das Protokoll ist zurückgezogen. Nur die Verwaltung sieht es jetzt.")
    else:
        raise ActionConflict(detail=_("Unbekannte Aktion."))
    if published or meeting.minutes_published_at is not None:
        # Published minutes appeared, changed or went: the room's pages may link them.
        queue_event(db_session, MeetingStateChanged(meeting_id=meeting.id))
    await db_session.commit()
    flash(request, message)
    return redirect_after_post(request, _admin_url(meeting))


ROUTES: list[Any] = [
    meeting_minutes_page,
    meeting_minutes_file,
    meeting_minutes_admin_page,
    meeting_minutes_submit,
]
