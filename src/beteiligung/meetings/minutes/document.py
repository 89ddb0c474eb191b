"""The minutes' draft: the meeting's rows (one read) composed into Markdown (pure)."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from babel.dates import format_date, format_time
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.consultations.models import Consultation
from beteiligung.consultations.states import Visibility
from beteiligung.i18n import local_tz
from beteiligung.meetings.models import (
    FORMAT_NAMES,
    QUESTION_STATUS_NAMES,
    VIDEO_NAMES,
    AgendaItem,
    Meeting,
    MeetingFormat,
    MeetingPoll,
    MeetingPollOption,
    MeetingQuestion,
    MeetingSpeaker,
    PollState,
    QuestionStatus,
    SpeakerStatus,
    VideoKind,
)
from beteiligung.meetings.polls.queries import percent
from beteiligung.meetings.queries import consultation_of, registration_count

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
        share = percent(option.vote_count, poll.ballot_count)
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
