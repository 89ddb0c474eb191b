"""Demo meetings of the Hansestadt Lüneburg in the consultation "ISEK 2030+: Stadt der Arbeit und
Ideen" (docs/meetings.md): one in each state a visitor meets.

1. **Live now:** "Virtuelle Bürgerversammlung: Stadt der Arbeit und Ideen", started 20 minutes
   ago, on agenda item 2 of 4; guests may take part; questions are pre-moderated. Five questions
   were approved by the demo moderator and carry upvotes from demo residents and guests (one is
   answered with a note, one is on screen in the spotlight); one more waits in the moderation
   queue. A warm-up poll is closed, a poll on the item's goals is open with ballots; one person
   has spoken and two wait on the speaker list.
2. **Next week:** a hybrid citizens' meeting in the Huldigungssaal of the Rathaus, with
   registration and a BigBlueButton room on the town's server.
3. **Ended:** the online kick-off two to three weeks ago (a weekday evening of the information
   phase), with answered questions, a multiple-choice poll, the speaker order and its published
   minutes (drafted by :mod:`beteiligung.meetings.minutes` from these rows, as ending a meeting
   does).

Questions of the pre-moderated meeting pass the moderation's own actions (``open_review``,
``decide``), so reviews, audit entries and the askers' notifications are what the app writes.
Votes, ballots and choices are rows; the counters beside them are set to the number of rows, so
they are exact (tests/integration/test_demo_seed.py compares them). Times are relative to
``now``. Idempotent: nothing happens once the consultation has a meeting.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.accounts import actions as accounts
from beteiligung.accounts.models import Role, User
from beteiligung.consultations.models import Consultation
from beteiligung.consultations.states import ModerationMode, Visibility
from beteiligung.demo.participation import ARBEIT_SLUG, DAY, HOUR, MINUTE, RESIDENTS, demo_actor
from beteiligung.i18n import local_tz
from beteiligung.meetings.minutes.document import draft_minutes
from beteiligung.meetings.models import (
    AgendaItem,
    Meeting,
    MeetingFormat,
    MeetingPoll,
    MeetingPollBallot,
    MeetingPollChoice,
    MeetingPollOption,
    MeetingQuestion,
    MeetingQuestionVote,
    MeetingRegistration,
    MeetingSpeaker,
    MeetingState,
    PollResults,
    PollState,
    QuestionStatus,
    SpeakerStatus,
    VideoKind,
)
from beteiligung.moderation.actions import Decision, decide, open_review
from beteiligung.moderation.models import Trigger
from beteiligung.organisations.models import Organisation

LIVE_TITLE = "Virtuelle Bürgerversammlung: Stadt der Arbeit und Ideen"
SCHEDULED_TITLE = "Bürgerversammlung im Rathaus: Innenstadt, Leerstand und neue Nutzungen"
ENDED_TITLE = "Online-Auftakt: ISEK 2030+ „Stadt der Arbeit und Ideen“"
BBB = "https://bbb.stadt.lueneburg.de"  # an embed origin the demo organisation allows
RATHAUS = "Rathaus Lüneburg, Huldigungssaal, Am Ochsenmarkt 1, 21335 Lüneburg"


def guest_key(name: str) -> str:
    """A demo guest's voter key, shaped like the app's (``g:`` + a keyed hash)."""
    return "g:" + hashlib.sha256(f"demo-meeting-guest:{name}".encode()).hexdigest()[:48]


# Guests of the demo meetings: names they chose for the room.
GUESTS = ("Ute aus Adendorf", "Gast aus Reppenstedt", "Familie Behrens", "Student:in am Campus")


@dataclass(frozen=True)
class Q:
    """A question: ``author`` a resident key or ``"guest:<name>"``; ``item`` its agenda position
    (None: a general question); ``voters`` resident keys or guest names."""

    author: str
    ago: timedelta
    item: int | None
    body: str
    voters: tuple[str, ...] = ()
    status: QuestionStatus = QuestionStatus.OPEN
    note: str = ""
    answered_ago: timedelta | None = None
    held: bool = False


@dataclass(frozen=True)
class Poll:
    item: int
    question: str
    options: tuple[str, ...]
    ballots: Mapping[str, tuple[int, ...]]  # voter -> chosen option indexes
    opened_ago: timedelta
    closed_ago: timedelta | None = None
    multiple: bool = False
    results: PollResults = PollResults.LIVE


@dataclass(frozen=True)
class Speaker:
    who: str
    item: int
    status: SpeakerStatus
    called_ago: timedelta | None = None
    spoke: timedelta = 2 * MINUTE
    point_of_order: bool = False


@dataclass(frozen=True)
class DemoMeeting:
    title: str
    description: str
    state: MeetingState
    starts_in: timedelta  # from now (negative: in the past)
    length: timedelta
    agenda: tuple[tuple[str, str], ...]
    format: MeetingFormat = MeetingFormat.ONLINE
    place: str = ""
    video_kind: VideoKind = VideoKind.NONE
    video_url: str = ""
    registration_required: bool = False
    allow_guests: bool = False
    moderation: ModerationMode = ModerationMode.PRE
    local_start: tuple[int, int] | None = None  # (hour, minute) in Lüneburg: a fixed start time
    started_late: timedelta = timedelta(0)
    item_starts: tuple[timedelta, ...] = ()  # after the start, per agenda item that was called
    current_item: int | None = None
    ended_after: timedelta | None = None
    peak: int = 0
    registrations: tuple[str, ...] = ()
    questions: tuple[Q, ...] = ()
    polls: tuple[Poll, ...] = ()
    speakers: tuple[Speaker, ...] = field(default_factory=tuple)
    publish_after: timedelta | None = None  # minutes published this long after the end


LIVE = DemoMeeting(
    title=LIVE_TITLE,
    description=(
        "Wie bleibt Lüneburg ein zukunftssicherer Wirtschaftsstandort mit lebendiger Innenstadt? "
        "Die Stabsstelle Nachhaltige Stadtentwicklung stellt die Ziele des Handlungsfelds "
        "**„Stadt der Arbeit und Ideen“** im ISEK 2030+ vor und beantwortet Ihre Fragen.\n\n"
        "Sie können ohne Konto als Gast teilnehmen: Fragen stellen, Fragen anderer unterstützen, "
        "abstimmen und sich zu Wort melden. Fragen erscheinen nach Freigabe durch die Moderation."
    ),
    state=MeetingState.LIVE,
    starts_in=-20 * MINUTE,
    length=2 * HOUR,
    agenda=(
        ("Begrüßung und Ablauf", "Stabsstelle Nachhaltige Stadtentwicklung"),
        (
            "Ziele des Handlungsfelds „Stadt der Arbeit und Ideen“",
            "Innenstadt und Leerstand, Gewerbeflächen, Universität und Fachkräfte",
        ),
        ("Ihre Vorschläge aus der Online-Beteiligung", "Logistik-Hub, Click & Collect, Repair-Café"),
        ("Wie es weitergeht", "Unterstützungsphase, Prüfung durch die Fachbereiche, Beschluss im Rat"),
    ),
    video_kind=VideoKind.BIGBLUEBUTTON,
    video_url=f"{BBB}/rooms/isek-arbeit-und-ideen/join",
    allow_guests=True,
    moderation=ModerationMode.PRE,
    item_starts=(0 * MINUTE, 8 * MINUTE),
    current_item=2,
    peak=14,
    registrations=("jonas", "lena", "ochtmissen"),
    questions=(
        Q(
            "jonas",
            2 * HOUR,
            2,
            "Wie will die Stadt verhindern, dass die Innenstadt ausdünnt, wenn weitere große "
            "Geschäfte schließen? Gibt es schon ein Leerstandsmanagement?",
            voters=("mareike", "lena", "kalle", "Ute aus Adendorf"),
            status=QuestionStatus.SPOTLIGHT,
        ),
        Q(
            "lena",
            1 * HOUR + 10 * MINUTE,
            2,
            "Gibt es schon Ideen, wie mehr Absolvent:innen der Leuphana nach dem Studium in "
            "Lüneburg bleiben?",
            voters=("jonas", "mareike"),
            status=QuestionStatus.ANSWERED,
            note=(
                "Das ISEK 2030+ sieht neue Kooperationsmodelle von Stadt, Universität und "
                "Wirtschaft vor. Vorschläge dazu sammeln wir gerade in dieser Beteiligung; bitte "
                "reichen Sie Ihre Idee dort ein."
            ),
            answered_ago=5 * MINUTE,
        ),
        Q(
            "handwerk",
            40 * MINUTE,
            2,
            "Wann kommen die neuen Gewerbeflächen am Bilmer Berg? Betriebe im Roten Feld suchen "
            "dringend Platz, um zu wachsen.",
            voters=("ochtmissen", "kalle", "Gast aus Reppenstedt"),
        ),
        Q(
            "ochtmissen",
            15 * MINUTE,
            2,
            "Wie kommen Beschäftigte ohne Auto in die Gewerbegebiete? Zu Schichtbeginn fahren kaum "
            "Busse, und sichere Radwege fehlen.",
            voters=("jonas", "handwerk", "mareike", "lena", "Ute aus Adendorf", "Familie Behrens"),
        ),
        Q(
            "guest:Ute aus Adendorf",
            12 * MINUTE,
            None,
            "Wird es die Präsentation nach der Veranstaltung zum Nachlesen geben?",
            voters=("kalle",),
        ),
        Q(
            "kalle",
            3 * MINUTE,
            2,
            "Warum redet die Stadt über Click & Collect, während die Parkhäuser am Wochenende voll "
            "sind? Erst einmal die Parkgebühren senken, dann kommen die Leute auch wieder.",
            held=True,
        ),
    ),
    polls=(
        Poll(
            1,
            "Von wo nehmen Sie heute teil?",
            ("Von zu Hause", "Vom Arbeitsplatz", "Unterwegs"),
            {
                "jonas": (0,),
                "mareike": (0,),
                "lena": (2,),
                "ochtmissen": (0,),
                "handwerk": (1,),
                "kalle": (0,),
                "Ute aus Adendorf": (0,),
                "Gast aus Reppenstedt": (1,),
                "Familie Behrens": (0,),
            },
            opened_ago=18 * MINUTE,
            closed_ago=15 * MINUTE,
        ),
        Poll(
            2,
            "Welches Ziel des Handlungsfelds ist Ihnen am wichtigsten?",
            (
                "Leerstand in der Innenstadt mit neuen Nutzungen füllen",
                "Gewerbeflächen für Betriebe, die wachsen wollen",
                "Absolvent:innen und Fachkräfte in Lüneburg halten",
            ),
            {
                "jonas": (0,),
                "mareike": (0,),
                "lena": (2,),
                "handwerk": (1,),
                "ochtmissen": (1,),
                "Ute aus Adendorf": (0,),
                "Familie Behrens": (2,),
            },
            opened_ago=4 * MINUTE,
        ),
    ),
    speakers=(
        Speaker("mareike", 2, SpeakerStatus.DONE, called_ago=9 * MINUTE, spoke=3 * MINUTE),
        Speaker("jonas", 2, SpeakerStatus.WAITING),
        Speaker("handwerk", 2, SpeakerStatus.WAITING),
    ),
)

SCHEDULED = DemoMeeting(
    title=SCHEDULED_TITLE,
    description=(
        "Leerstände in der Innenstadt sollen neue Nutzungen finden: Wohnen, Lernorte, "
        "stadtverträgliche Produktion. Wir diskutieren mit Ihnen, wie das gelingen kann.\n\n"
        "Die Versammlung findet im **Huldigungssaal des Rathauses** statt und wird zugleich online "
        "übertragen. Für die Plätze im Saal bitten wir um Anmeldung; online können Sie mit Ihrem "
        "Konto Fragen stellen, abstimmen und sich zu Wort melden."
    ),
    state=MeetingState.SCHEDULED,
    starts_in=7 * DAY,
    length=2 * HOUR,
    local_start=(18, 0),
    agenda=(
        ("Begrüßung", "Oberbürgermeisterin der Hansestadt Lüneburg"),
        ("Strukturwandel im Einzelhandel", "Was das Gutachten zur Innenstadt zeigt"),
        ("Neue Nutzungen für leere Läden", "Wohnen, Lernorte, gläserne Werkstätten"),
        ("Fragen aus dem Saal und online", ""),
    ),
    format=MeetingFormat.HYBRID,
    place=RATHAUS,
    video_kind=VideoKind.BIGBLUEBUTTON,
    video_url=f"{BBB}/rooms/isek-innenstadt/join",
    registration_required=True,
    registrations=("jonas", "mareike", "lena", "kalle"),
)

ENDED = DemoMeeting(
    title=ENDED_TITLE,
    description=(
        "Zum Start der Online-Beteiligung stellte die Stabsstelle Nachhaltige Stadtentwicklung "
        "das Handlungsfeld „Stadt der Arbeit und Ideen“ und den Ablauf der Beteiligung vor."
    ),
    state=MeetingState.ENDED,
    starts_in=-19 * DAY,
    length=1 * HOUR + 30 * MINUTE,
    local_start=(18, 0),
    agenda=(
        ("Begrüßung", ""),
        ("Das Handlungsfeld im Überblick", "Wirtschaftsstandort, Innenstadt, Universität, Gewerbegebiete"),
        ("So läuft die Beteiligung", "Information, Vorschläge sammeln, Unterstützen, Prüfung, Ergebnis"),
        ("Fragen und Austausch", ""),
    ),
    video_kind=VideoKind.JITSI,
    video_url="https://meet.jit.si/lueneburg-isek-auftakt",
    allow_guests=True,
    moderation=ModerationMode.POST,
    started_late=2 * MINUTE,
    item_starts=(0 * MINUTE, 6 * MINUTE, 31 * MINUTE, 44 * MINUTE),
    ended_after=1 * HOUR + 34 * MINUTE,
    peak=31,
    registrations=("jonas", "mareike", "lena", "ochtmissen", "handwerk"),
    questions=(
        Q(
            "ochtmissen",
            -20 * MINUTE,
            2,
            "Gehört der emissionsfreie Lieferverkehr bis 2030 auch zu diesem Handlungsfeld?",
            voters=("jonas", "lena", "Ute aus Adendorf"),
            status=QuestionStatus.ANSWERED,
            note=(
                "Ja. Das ISEK 2030+ nennt eine emissionsfreie Lieferlogistik bis 2030 als Ziel, "
                "zum Beispiel mit gemeinsamen Logistik-Hubs und Click-&-Collect-Stationen."
            ),
            answered_ago=-27 * MINUTE,
        ),
        Q(
            "lena",
            -25 * MINUTE,
            2,
            "Wie viele Studierende hat die Leuphana, und werden sie in der Beteiligung eigens angesprochen?",
            voters=("mareike", "Student:in am Campus"),
            status=QuestionStatus.ANSWERED,
            note=(
                "Knapp 10.000 Studierende, etwa 10 % der Stadtbevölkerung. Wir werben für die "
                "Beteiligung auch auf dem Campus."
            ),
            answered_ago=-33 * MINUTE,
        ),
        Q(
            "jonas",
            -40 * MINUTE,
            3,
            "Bis wann kann man Vorschläge einreichen?",
            voters=("handwerk",),
            status=QuestionStatus.ANSWERED,
            note="Fünf Wochen lang; das Ende der Phase steht auf der Seite des Vorhabens.",
            answered_ago=-42 * MINUTE,
        ),
        Q(
            "guest:Gast aus Reppenstedt",
            -52 * MINUTE,
            4,
            "Können auch Menschen aus dem Landkreis mitmachen, die in Lüneburg arbeiten?",
            voters=("kalle", "handwerk", "Familie Behrens"),
            status=QuestionStatus.ANSWERED,
            note="Ja, die Beteiligung ist offen für alle, die in Lüneburg leben, arbeiten oder lernen.",
            answered_ago=-58 * MINUTE,
        ),
    ),
    polls=(
        Poll(
            4,
            "Wie haben Sie von dieser Veranstaltung erfahren?",
            (
                "Website der Hansestadt",
                "Zeitung oder Radio",
                "Freund:innen, Familie, Kolleg:innen",
                "Soziale Medien",
            ),
            {
                "jonas": (0, 3),
                "mareike": (2,),
                "lena": (3,),
                "ochtmissen": (0,),
                "handwerk": (1, 2),
                "kalle": (1,),
                "Ute aus Adendorf": (1,),
                "Gast aus Reppenstedt": (2,),
                "Familie Behrens": (0, 1),
                "Student:in am Campus": (3,),
            },
            opened_ago=-60 * MINUTE,
            closed_ago=-65 * MINUTE,
            multiple=True,
            results=PollResults.AFTER_CLOSE,
        ),
    ),
    speakers=(
        Speaker("handwerk", 4, SpeakerStatus.DONE, called_ago=-67 * MINUTE, spoke=3 * MINUTE),
        Speaker(
            "kalle", 4, SpeakerStatus.DONE, called_ago=-71 * MINUTE, spoke=1 * MINUTE, point_of_order=True
        ),
        Speaker("lena", 4, SpeakerStatus.DONE, called_ago=-73 * MINUTE, spoke=4 * MINUTE),
    ),
    publish_after=2 * DAY,
)

DEMO_MEETINGS = (LIVE, SCHEDULED, ENDED)


def _start(spec: DemoMeeting, now: datetime) -> datetime:
    at = now + spec.starts_in
    if spec.local_start is None:
        return at
    hour, minute = spec.local_start
    local = at.astimezone(local_tz())
    while local.weekday() >= 4:  # an evening from Monday to Thursday
        local += DAY
    return local.replace(hour=hour, minute=minute, second=0, microsecond=0).astimezone(UTC)


class _Clock:
    """Times of a meeting's events. Positive ``ago`` counts back from now (the live meeting);
    negative ``ago`` counts forward from the start (a past meeting, told from its start)."""

    def __init__(self, now: datetime, start: datetime) -> None:
        self.now, self.start = now, start

    def __call__(self, ago: timedelta) -> datetime:
        return self.now - ago if ago >= timedelta(0) else self.start - ago


async def seed_meetings(
    db: AsyncSession, org: Organisation, users: Mapping[Role, User], now: datetime
) -> bool:
    """Load the demo meetings once; False (and no change) when the ISEK consultation has
    meetings already or the demo participation is missing."""
    consultation = (
        await db.scalars(
            select(Consultation).where(
                Consultation.organisation_id == org.id, Consultation.slug == ARBEIT_SLUG
            )
        )
    ).first()
    if consultation is None:
        return False
    if await db.scalar(
        select(func.count()).select_from(Meeting).where(Meeting.consultation_id == consultation.id)
    ):
        return False
    people: dict[str, User] = {}
    for resident in RESIDENTS:
        user = await accounts.get_user_by_email(db, resident.email)
        if user is None:
            return False
        people[resident.key] = user
    moderator = users[Role.MODERATOR]
    for spec in DEMO_MEETINGS:
        await _meeting(db, org, consultation, spec, people, moderator, now)
    await db.commit()
    return True


def _voter(who: str, people: Mapping[str, User]) -> tuple[str, int | None]:
    """(voter key, user id) of a resident key or a guest's name."""
    if who in people:
        return f"u:{people[who].id}", people[who].id
    return guest_key(who), None


async def _meeting(
    db: AsyncSession,
    org: Organisation,
    consultation: Consultation,
    spec: DemoMeeting,
    people: Mapping[str, User],
    moderator: User,
    now: datetime,
) -> Meeting:
    starts_at = _start(spec, now)
    clock = _Clock(now, starts_at)
    created = min(now - 10 * DAY, starts_at - 10 * DAY)
    meeting = Meeting(
        organisation_id=org.id,
        consultation_id=consultation.id,
        title=spec.title,
        description=spec.description,
        starts_at=starts_at,
        ends_at=starts_at + spec.length,
        format=spec.format,
        place=spec.place,
        video_kind=spec.video_kind,
        video_url=spec.video_url,
        registration_required=spec.registration_required,
        allow_guests=spec.allow_guests,
        question_moderation=spec.moderation,
        speaking_seconds=180,
        state=spec.state,
        peak_participants=spec.peak,
        created_at=created,
        updated_at=created,
    )
    meeting.agenda = [
        AgendaItem(position=n, title=title, description=description, created_at=created, updated_at=created)
        for n, (title, description) in enumerate(spec.agenda, start=1)
    ]
    db.add(meeting)
    await db.flush()
    items = {item.position: item for item in meeting.agenda}
    if spec.state != MeetingState.SCHEDULED:
        meeting.started_at = starts_at + spec.started_late
        for position, after in enumerate(spec.item_starts, start=1):
            items[position].started_at = meeting.started_at + after
        if spec.current_item is not None:
            meeting.current_item_id = items[spec.current_item].id
    if spec.ended_after is not None:
        meeting.ended_at = starts_at + spec.ended_after

    for who in spec.registrations:
        db.add(MeetingRegistration(meeting_id=meeting.id, user_id=people[who].id, created_at=created + DAY))

    for q in spec.questions:
        question = await _question(db, org, meeting, q, items, people, moderator, clock)
        if q.status == QuestionStatus.SPOTLIGHT:
            meeting.spotlight_question_id = question.id

    for poll in spec.polls:
        await _poll(db, meeting, poll, items, people, clock)

    position = 0
    for s in spec.speakers:
        position += 1
        key, user_id = _voter(s.who, people)
        called = clock(s.called_ago) if s.called_ago is not None else None
        requested = (called - MINUTE) if called else now - 2 * MINUTE + timedelta(seconds=position)
        db.add(
            MeetingSpeaker(
                meeting_id=meeting.id,
                agenda_item_id=items[s.item].id,
                user_id=user_id,
                voter_key=key,
                display_name=people[s.who].display_name if s.who in people else s.who,
                point_of_order=s.point_of_order,
                position=position,
                status=s.status,
                called_at=called,
                finished_at=called + s.spoke if called and s.status == SpeakerStatus.DONE else None,
                created_at=requested,
                updated_at=requested,
            )
        )
    await db.flush()

    if spec.state == MeetingState.ENDED and meeting.ended_at is not None:
        meeting.minutes = await draft_minutes(db, meeting)
        if spec.publish_after is not None:
            meeting.minutes_published_at = meeting.ended_at + spec.publish_after
    await db.flush()
    return meeting


async def _question(
    db: AsyncSession,
    org: Organisation,
    meeting: Meeting,
    q: Q,
    items: Mapping[int, AgendaItem],
    people: Mapping[str, User],
    moderator: User,
    clock: _Clock,
) -> MeetingQuestion:
    """The question as asked at its time; in a pre-moderated meeting it enters the queue and is
    approved by the demo moderator a minute later (unless ``held``)."""
    asked = clock(q.ago)
    guest = q.author.startswith("guest:")
    name = q.author.removeprefix("guest:")
    key, user_id = _voter(name, people) if not guest else (guest_key(name), None)
    pre = meeting.question_moderation == ModerationMode.PRE
    question = MeetingQuestion(
        meeting_id=meeting.id,
        consultation_id=meeting.consultation_id,
        agenda_item_id=items[q.item].id if q.item is not None else None,
        author_id=user_id,
        voter_key=key,
        guest_name=name if guest else "",
        body=q.body,
        submission_key=uuid.uuid4().hex,
        visibility=Visibility.HELD if pre else Visibility.PUBLISHED,
        status=QuestionStatus.OPEN,
        vote_count=0,
        created_at=asked,
        updated_at=asked,
    )
    db.add(question)
    await db.flush()
    if pre:
        # As screen_question decides for a pre-moderated meeting (no automatic check applies).
        review = await open_review(db, org_id=org.id, target=question, trigger=Trigger.PRE, now=asked)
        if not q.held:
            await decide(
                db,
                review=review,
                decision=Decision.APPROVE,
                moderator=demo_actor(moderator, Role.MODERATOR),
                rule=None,
                reason_text="",
                now=asked + MINUTE,
            )
    if q.held:
        return question
    question.status = q.status
    if q.status == QuestionStatus.ANSWERED:
        question.answer_note = q.note
        question.answered_at = clock(q.answered_ago or timedelta(0))
    _votes(db, question, q.voters, people, asked)
    return question


def _votes(
    db: AsyncSession,
    question: MeetingQuestion,
    voters: Sequence[str],
    people: Mapping[str, User],
    asked: datetime,
) -> None:
    for n, who in enumerate(voters, start=1):
        key, user_id = _voter(who, people)
        assert key != question.voter_key, "nobody upvotes their own question"
        at = asked + n * MINUTE / 2
        db.add(
            MeetingQuestionVote(
                question_id=question.id, voter_key=key, user_id=user_id, created_at=at, updated_at=at
            )
        )
    question.vote_count = len(voters)


async def _poll(
    db: AsyncSession,
    meeting: Meeting,
    spec: Poll,
    items: Mapping[int, AgendaItem],
    people: Mapping[str, User],
    clock: _Clock,
) -> MeetingPoll:
    """A poll with its ballots and choices; the counters are the numbers of those rows."""
    opened = clock(spec.opened_ago)
    poll = MeetingPoll(
        meeting_id=meeting.id,
        agenda_item_id=items[spec.item].id,
        question=spec.question,
        multiple=spec.multiple,
        state=PollState.CLOSED if spec.closed_ago is not None else PollState.OPEN,
        results=spec.results,
        opened_at=opened,
        closed_at=clock(spec.closed_ago) if spec.closed_ago is not None else None,
        ballot_count=len(spec.ballots),
        created_at=opened - 10 * MINUTE,
        updated_at=opened,
    )
    poll.options = [
        MeetingPollOption(
            position=n,
            label=label,
            vote_count=sum(n - 1 in chosen for chosen in spec.ballots.values()),
        )
        for n, label in enumerate(spec.options, start=1)
    ]
    db.add(poll)
    await db.flush()
    for n, (who, chosen) in enumerate(spec.ballots.items(), start=1):
        assert chosen and (spec.multiple or len(chosen) == 1)
        key, user_id = _voter(who, people)
        at = opened + n * timedelta(seconds=10)
        ballot = MeetingPollBallot(
            poll_id=poll.id, voter_key=key, user_id=user_id, created_at=at, updated_at=at
        )
        db.add(ballot)
        await db.flush()
        for index in chosen:
            db.add(
                MeetingPollChoice(
                    ballot_id=ballot.id, option_id=poll.options[index].id, created_at=at, updated_at=at
                )
            )
    return poll
