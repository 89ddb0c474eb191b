"""The presenter view through HTTP: the page with the join URL as text and as a QR code, the
current agenda item, the spotlight question, the poll's results, the current speaker; its live
parts (and only public content on them)."""

from __future__ import annotations

import re
from typing import Any

from beteiligung.consultations.states import Visibility
from beteiligung.db import utcnow
from beteiligung.meetings.models import (
    Meeting,
    MeetingPoll,
    MeetingPollOption,
    MeetingQuestion,
    MeetingSpeaker,
    PollResults,
    PollState,
    QuestionStatus,
    SpeakerStatus,
)
from tests.meeting_factories import make_meeting
from tests.participation_factories import run_sql

HX = {"HX-Request": "true"}
PARTS = ("stand", "tagesordnung", "im-fokus", "abstimmung", "redeliste", "anwesend")


async def _add(settings: Any, *rows: Any) -> None:
    async def add(db: Any) -> None:
        for row in rows:
            db.add(row)
            await db.flush()
        await db.commit()

    await run_sql(settings, add)


async def _spotlight(settings: Any, meeting_id: int, question_id: int) -> None:
    async def set_spotlight(db: Any) -> None:
        meeting = await db.get(Meeting, meeting_id)
        meeting.spotlight_question_id = question_id
        await db.commit()

    await run_sql(settings, set_spotlight)


async def test_presenter_page_and_parts(client, settings):
    meeting_id = await make_meeting(settings, state="live", speaking_seconds=300)
    url = f"/veranstaltungen/{meeting_id}/praesentation"

    page = await client.get(url)
    assert page.status_code == 200
    assert '<html lang="de">' in page.text and "<title>Präsentation: Virtuelle Bürgerversammlung" in page.text
    join = f"http://testserver.local/veranstaltungen/{meeting_id}"
    assert f'<p class="presenter-join__url">{join}</p>' in page.text
    svg = re.search(r"<svg role=\"img\" aria-label=\"([^\"]+)\"[^>]*>(.*?)</svg>", page.text, re.S)
    assert svg and svg.group(1) == f"QR-Code: {join}" and "<path" in svg.group(2)
    assert "style=" not in page.text  # no inline styles under the CSP
    assert f"/live/veranstaltungen/{meeting_id}?seit=" in page.text and "&amp;praesentation=1" in page.text
    assert "Begrüßung" in page.text and "Punkt 1 von 3" in page.text  # the current agenda item
    assert "Gerade wird keine Frage beantwortet." in page.text
    assert "Gerade läuft keine Abstimmung." in page.text
    assert "Gerade spricht niemand von der Redeliste." in page.text
    for key in ("state", "agenda", "spotlight", "poll", "speakers", "presence"):
        assert f'data-live-key="meeting-{meeting_id}-{key}"' in page.text, key
    assert 'src="/static/js/meeting.js' in page.text

    # A held question never shows; the published one in the spotlight does.
    now = utcnow()
    held = MeetingQuestion(
        meeting_id=meeting_id,
        voter_key="u:1",
        guest_name="Anonym",
        body="Gehaltene Frage",
        submission_key="a",
        visibility=Visibility.HELD,
        status=QuestionStatus.SPOTLIGHT,
    )
    shown = MeetingQuestion(
        meeting_id=meeting_id,
        voter_key="g:x",
        guest_name="Gast vom Sande",
        body="Wann kommt der Radweg an der Ilmenau?",
        submission_key="b",
        status=QuestionStatus.SPOTLIGHT,
        vote_count=7,
    )
    # A poll with results shown after closing, open: no counts on the projector yet.
    poll = MeetingPoll(
        meeting_id=meeting_id,
        question="Welches Projekt zuerst?",
        state=PollState.OPEN,
        results=PollResults.AFTER_CLOSE,
        opened_at=now,
        ballot_count=4,
    )
    poll.options = [
        MeetingPollOption(position=1, label="Radweg", vote_count=3),
        MeetingPollOption(position=2, label="Spielplatz", vote_count=1),
    ]
    speaker = MeetingSpeaker(
        meeting_id=meeting_id,
        voter_key="u:2",
        display_name="Heide aus Kaltenmoor",
        position=1,
        status=SpeakerStatus.SPEAKING,
        called_at=now,
    )
    waiting = MeetingSpeaker(
        meeting_id=meeting_id,
        voter_key="u:3",
        display_name="Jens vom Stint",
        position=2,
        point_of_order=True,
    )
    await _add(settings, held, shown, poll, speaker, waiting)
    await _spotlight(settings, meeting_id, held.id)

    r = await client.get(f"{url}/live/im-fokus", headers=HX)
    assert r.status_code == 200 and "<html" not in r.text
    assert "Gehaltene Frage" not in r.text
    assert "Wann kommt der Radweg an der Ilmenau?" in r.text and "Frage von Gast vom Sande" in r.text
    assert "7 Stimmen" in r.text

    r = await client.get(f"{url}/live/abstimmung", headers=HX)
    assert "Welches Projekt zuerst?" in r.text and "Abstimmung läuft" in r.text
    assert "4 Personen haben abgestimmt." in r.text
    assert "Radweg" not in r.text and "sobald die Abstimmung geschlossen ist" in r.text

    async def close(db: Any) -> None:
        p = await db.get(MeetingPoll, poll.id)
        p.state = PollState.CLOSED
        p.closed_at = utcnow()
        await db.commit()

    await run_sql(settings, close)
    r = await client.get(f"{url}/live/abstimmung", headers=HX)
    assert "Ergebnis der Abstimmung" in r.text
    assert "3 Stimmen (75\u202f%)" in r.text and "1 Stimme (25\u202f%)" in r.text
    assert 'width="75"' in r.text and 'aria-hidden="true"' in r.text  # the bar repeats the text

    r = await client.get(f"{url}/live/redeliste", headers=HX)
    assert "Es spricht: Heide aus Kaltenmoor" in r.text and "Redezeit bis" in r.text
    remaining = re.search(r'data-remaining="(-?\d+)"', r.text)
    assert remaining and 0 < int(remaining.group(1)) <= 300
    assert 'role="timer"' in r.text and "aria-live" not in r.text
    assert "Jens vom Stint" in r.text and "zur Geschäftsordnung" in r.text

    for part in PARTS:
        r = await client.get(f"{url}/live/{part}", headers=HX)
        assert r.status_code == 200 and "<html" not in r.text, part
        assert f'data-live-key="meeting-{meeting_id}-' in r.text, part
        assert f'data-live-src="{url}/live/{part}"' in r.text, part
    r = await client.get(f"{url}/live/tagesordnung")
    assert r.status_code == 303 and r.headers["location"] == url  # without htmx: the page
    assert (await client.get(f"{url}/live/fragen", headers=HX)).status_code == 404
    assert (await client.get(f"{url}/live/unbekannt", headers=HX)).status_code == 404
    assert (await client.get("/veranstaltungen/999999/praesentation")).status_code == 404


async def test_presenter_before_the_meeting(client, settings):
    meeting_id = await make_meeting(settings, state="scheduled")
    page = await client.get(f"/veranstaltungen/{meeting_id}/praesentation")
    assert page.status_code == 200 and "Geplant" in page.text and "Beginn:" in page.text
    assert "Stadt der Arbeit und Ideen" in page.text  # the whole agenda until it starts
    assert "Die Redeliste ist geöffnet, während die Veranstaltung läuft." in page.text
    room = await client.get(f"/veranstaltungen/{meeting_id}")
    assert f'href="/veranstaltungen/{meeting_id}/praesentation"' in room.text
