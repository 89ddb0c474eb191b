"""Meetings through HTTP: the list, the room and its parts, staff create/edit with bad input,
start → next agenda item → end, registration, guests, the calendar file and the video embed
only on request."""

from __future__ import annotations

from typing import Any

from beteiligung.meetings.models import Meeting, MeetingState
from tests.conftest import login, make_user, post_form
from tests.meeting_factories import make_meeting
from tests.participation_factories import run_sql

HX = {"HX-Request": "true"}


async def _meeting(settings: Any, meeting_id: int) -> Meeting:
    return await run_sql(settings, lambda db: db.get(Meeting, meeting_id))  # type: ignore[no-any-return]


def _form(**extra: Any) -> dict[str, Any]:
    return {
        "title": "Bürgerversammlung Innenstadt",
        "consultation": "-",
        "description": "Wie soll sich die **Innenstadt** entwickeln?",
        "starts_at": "12.03.2031 18:00",
        "ends_at": "12.03.2031 20:00",
        "format": "hybrid",
        "place": "Rathaus Lüneburg, Huldigungssaal",
        "agenda": "Begrüßung\nISEK 2030+: Stadt der Arbeit und Ideen\nFragen aus dem Publikum",
        "video_kind": "jitsi",
        "video_url": "https://meet.jit.si/lueneburg-isek",
        "question_moderation": "pre",
        "speaking_seconds": "120",
        "allow_guests": "on",
    } | extra


async def test_staff_creates_runs_and_ends_a_meeting(client, settings):
    await make_user(settings, email="staff@example.org", role="staff", display_name="Stadtentwicklung")
    await login(client, "staff@example.org")
    # Bad input: every error beside its field, the values kept.
    r = await post_form(
        client,
        "/verwaltung/veranstaltungen/neu",
        _form(
            ends_at="12.03.2031 17:00", place="", video_url="http://insecure.example", speaking_seconds="5"
        ),
    )
    assert r.status_code == 422
    for message in (
        "Das Ende muss nach dem Beginn liegen.",
        "Bitte geben Sie den Ort der hybriden Veranstaltung an.",
        "mit https:// beginnt",
        "zwischen 30 und 1800 Sekunden",
    ):
        assert message in r.text
    assert "Bürgerversammlung Innenstadt" in r.text
    r = await post_form(
        client, "/verwaltung/veranstaltungen/neu", _form(title="<script>x</script> Versammlung")
    )
    assert r.status_code == 303, r.text
    url = r.headers["location"]
    meeting_id = int(url.rsplit("/", 1)[1])
    page = await client.get(url)
    assert page.status_code == 200
    assert "&lt;script&gt;x&lt;/script&gt; Versammlung" in page.text and "<script>x" not in page.text
    assert "Veranstaltung starten" in page.text and "ISEK 2030+" in page.text
    assert "<strong>Innenstadt</strong>" in page.text
    # The video is a link; nothing of it loads before the click (the origin is not allowed here).
    assert "<iframe" not in page.text and "https://meet.jit.si/lueneburg-isek" in page.text

    r = await post_form(client, f"/verwaltung/veranstaltungen/{meeting_id}/status", {"status": "ended"})
    assert r.status_code == 409  # scheduled → ended is not a transition
    r = await post_form(
        client, f"/verwaltung/veranstaltungen/{meeting_id}/status", {"status": "live"}, htmx=True
    )
    assert r.status_code == 200 and f'id="meeting-{meeting_id}-state"' in r.text and "<html" not in r.text
    meeting = await _meeting(settings, meeting_id)
    assert meeting.state == MeetingState.LIVE and meeting.current_item_id == meeting.agenda[0].id
    r = await post_form(client, f"/verwaltung/veranstaltungen/{meeting_id}/tagesordnung", {"punkt": "weiter"})
    assert r.status_code == 303
    assert (await _meeting(settings, meeting_id)).current_item_id == meeting.agenda[1].id
    page = await client.get(url)
    assert 'aria-current="step"' in page.text and "Jetzt:" in page.text
    r = await post_form(client, f"/verwaltung/veranstaltungen/{meeting_id}/tagesordnung", {"punkt": "999999"})
    assert r.status_code == 409
    r = await post_form(client, f"/verwaltung/veranstaltungen/{meeting_id}/status", {"status": "bogus"})
    assert r.status_code == 409
    r = await post_form(
        client,
        f"/verwaltung/veranstaltungen/{meeting_id}/status",
        {"status": "ended", "beenden_bestaetigt": "ja"},
    )
    assert r.status_code == 303
    assert (await _meeting(settings, meeting_id)).state == MeetingState.ENDED

    # Edit keeps agenda items whose titles stay.
    edit = await client.get(f"/verwaltung/veranstaltungen/{meeting_id}")
    assert edit.status_code == 200 and "Fragen aus dem Publikum" in edit.text
    first_id = meeting.agenda[0].id
    r = await post_form(
        client,
        f"/verwaltung/veranstaltungen/{meeting_id}",
        _form(agenda="Begrüßung\nNeuer Punkt: mit Erläuterung"),
    )
    assert r.status_code == 303
    agenda = (await _meeting(settings, meeting_id)).agenda
    assert [i.title for i in agenda] == ["Begrüßung", "Neuer Punkt"] and agenda[0].id == first_id
    assert agenda[1].description == "mit Erläuterung"


async def test_residents_and_guests_in_the_room(client, settings):
    meeting_id = await make_meeting(settings, allow_guests=True)
    listing = await client.get("/veranstaltungen")
    assert listing.status_code == 200 and "Virtuelle Bürgerversammlung ISEK 2030+" in listing.text
    page = await client.get(f"/veranstaltungen/{meeting_id}")
    assert page.status_code == 200 and "Als Gast teilnehmen" in page.text
    assert "Veranstaltung starten" not in page.text  # no staff controls for visitors
    # A guest name that is too short comes back with the error; a good one is remembered.
    r = await post_form(client, f"/veranstaltungen/{meeting_id}/gast", {"name": "x"})
    assert r.status_code == 422 and "mindestens 2 Zeichen" in r.text
    r = await post_form(client, f"/veranstaltungen/{meeting_id}/gast", {"name": "Gast vom Sande"})
    assert r.status_code == 303
    page = await client.get(f"/veranstaltungen/{meeting_id}")
    assert "Sie nehmen als Gast „Gast vom Sande“ teil." in page.text
    # Visitors can't register or control the meeting.
    r = await post_form(client, f"/veranstaltungen/{meeting_id}/anmeldung", {})
    assert r.status_code == 303 and r.headers["location"].startswith("/anmelden")  # sign in first
    r = await post_form(client, f"/verwaltung/veranstaltungen/{meeting_id}/status", {"status": "live"})
    assert r.status_code in (303, 401, 403) and "/verwaltung" not in r.headers.get("location", "")

    await make_user(settings, email="heide@example.org", display_name="Heide aus Kaltenmoor")
    await login(client, "heide@example.org")
    r = await post_form(client, f"/veranstaltungen/{meeting_id}/anmeldung", {})
    assert r.status_code == 303
    r = await post_form(client, f"/veranstaltungen/{meeting_id}/anmeldung", {}, htmx=True)  # twice: one row
    assert r.status_code == 200 and "Sie sind angemeldet." in r.text
    r = await post_form(client, f"/verwaltung/veranstaltungen/{meeting_id}/status", {"status": "live"})
    assert r.status_code == 403
    r = await post_form(client, f"/veranstaltungen/{meeting_id}/anmeldung", {"abmelden": "1"})
    assert r.status_code == 303
    page = await client.get(f"/veranstaltungen/{meeting_id}")
    assert "Zur Veranstaltung anmelden" in page.text


async def test_parts_calendar_and_video(client, settings):
    meeting_id = await make_meeting(
        settings,
        state="live",
        video_kind="bigbluebutton",
        video_url="https://bbb.stadt.lueneburg.de/b/isek-2030",
        description="Zeile eins; mit Komma, und Semikolon\nZeile zwei",
    )
    for part in ("stand", "tagesordnung", "im-fokus", "fragen", "abstimmung", "redeliste", "anwesend"):
        r = await client.get(f"/veranstaltungen/{meeting_id}/live/{part}", headers=HX)
        assert r.status_code == 200 and "<html" not in r.text, part
        assert f'data-live-key="meeting-{meeting_id}-' in r.text, part
    r = await client.get(f"/veranstaltungen/{meeting_id}/live/stand")
    assert r.status_code == 303  # without htmx: the room
    assert (await client.get(f"/veranstaltungen/{meeting_id}/live/unbekannt", headers=HX)).status_code == 404
    assert (await client.get("/veranstaltungen/999999")).status_code == 404

    ics = await client.get(f"/veranstaltungen/{meeting_id}/kalender.ics")
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    body = ics.text
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert "SUMMARY:Virtuelle Bürgerversammlung ISEK 2030+" in body
    assert "Zeile eins\\; mit Komma\\, und Semikolon\\nZeile zwei" in body.replace("\r\n ", "")
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))

    # The organisation allows this origin (the demo organisation's setting): a button, no iframe,
    # until the visitor asks for it.
    from sqlalchemy import update

    from beteiligung.organisations.models import Organisation

    await run_sql(
        settings,
        lambda db: db.execute(update(Organisation).values(embed_origins="https://bbb.stadt.lueneburg.de")),
    )
    page = await client.get(f"/veranstaltungen/{meeting_id}")
    assert "Videokonferenz hier einbetten" in page.text and "<iframe" not in page.text
    assert "frame-src" not in page.headers["content-security-policy"]
    assert page.headers["permissions-policy"].startswith("camera=()")
    r = await client.get(f"/veranstaltungen/{meeting_id}/video", headers=HX)
    assert r.status_code == 200 and r.headers["hx-redirect"] == f"/veranstaltungen/{meeting_id}?video=1#video"
    r = await client.get(f"/veranstaltungen/{meeting_id}?video=1")
    assert '<iframe class="meeting-video__frame" src="https://bbb.stadt.lueneburg.de/b/isek-2030"' in r.text
    # Exactly that origin may be framed and use camera and microphone; the marker header is gone.
    assert r.headers["content-security-policy"].endswith("; frame-src https://bbb.stadt.lueneburg.de")
    assert 'camera=(self "https://bbb.stadt.lueneburg.de")' in r.headers["permissions-policy"]
    assert "x-beteiligung-frame-origin" not in r.headers
    # A live refresh of the room's parts never carries the video (it is outside them).
    part = await client.get(f"/veranstaltungen/{meeting_id}/live/stand", headers=HX)
    assert "<iframe" not in part.text and "frame-src" not in part.headers["content-security-policy"]


async def test_ending_closes_the_open_poll_and_the_current_speaker(client, settings):
    from sqlalchemy import select

    from beteiligung.meetings.models import (
        MeetingPoll,
        MeetingPollOption,
        MeetingSpeaker,
        PollState,
        SpeakerStatus,
    )

    meeting_id = await make_meeting(settings, state="live")

    async def arrange(db: Any) -> None:
        poll = MeetingPoll(meeting_id=meeting_id, question="Weiter so?", state=PollState.OPEN)
        poll.options = [
            MeetingPollOption(position=1, label="Ja"),
            MeetingPollOption(position=2, label="Nein"),
        ]
        db.add(poll)
        db.add(
            MeetingSpeaker(
                meeting_id=meeting_id,
                voter_key="g:x",
                display_name="Gast",
                position=1,
                status=SpeakerStatus.SPEAKING,
            )
        )

    await run_sql(settings, arrange)
    await make_user(settings, email="staff@example.org", role="staff", display_name="Stadtentwicklung")
    await login(client, "staff@example.org")
    r = await post_form(
        client,
        f"/verwaltung/veranstaltungen/{meeting_id}/status",
        {"status": "ended", "beenden_bestaetigt": "ja"},
    )
    assert r.status_code == 303
    polls = await run_sql(settings, lambda db: db.scalars(select(MeetingPoll.state)))
    speakers = await run_sql(settings, lambda db: db.scalars(select(MeetingSpeaker.status)))
    assert list(polls) == [PollState.CLOSED] and list(speakers) == [SpeakerStatus.DONE]


async def test_admin_sets_the_embeddable_origins(client, settings):
    from beteiligung.organisations.models import Organisation

    await make_user(settings, email="admin@example.org", role="admin", display_name="Administration")
    await login(client, "admin@example.org")
    page = await client.get("/verwaltung/veranstaltungen/einbettung")
    assert page.status_code == 200 and "Freigegebene Ursprünge" in page.text
    r = await post_form(
        client,
        "/verwaltung/veranstaltungen/einbettung",
        {"origins": "https://bbb.example.org\njavascript:alert(1)"},
    )
    assert r.status_code == 422 and "ist kein Ursprung" in r.text and "https://bbb.example.org" in r.text
    r = await post_form(
        client,
        "/verwaltung/veranstaltungen/einbettung",
        {"origins": "https://BBB.example.org/\nhttps://bbb.example.org\nhttps://meet.jit.si"},
    )
    assert r.status_code == 303
    from sqlalchemy import select

    origins = await run_sql(settings, lambda db: db.scalar(select(Organisation.embed_origins)))
    assert origins == "https://bbb.example.org\nhttps://meet.jit.si"
