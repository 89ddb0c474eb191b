"""The speaker list (Redeliste) through HTTP: participants ask to speak (point of order first),
see their place and withdraw; staff call, reorder, remove and finish; without JavaScript (303 and
a flash) and with htmx (the speakers block); refusals for scheduled meetings, visitors and
residents on staff routes; guests where the meeting allows them."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from beteiligung.meetings.models import MeetingSpeaker, SpeakerStatus
from tests.conftest import login, make_user, post_form
from tests.meeting_factories import make_meeting
from tests.participation_factories import run_sql

HX = {"HX-Request": "true"}


async def _entries(settings: Any, meeting_id: int) -> list[MeetingSpeaker]:
    async def load(db: Any) -> list[MeetingSpeaker]:
        stmt = (
            select(MeetingSpeaker).where(MeetingSpeaker.meeting_id == meeting_id).order_by(MeetingSpeaker.id)
        )
        return list((await db.scalars(stmt)).all())

    return await run_sql(settings, load)  # type: ignore[no-any-return]


async def _waiting_names(settings: Any, meeting_id: int) -> list[str]:
    rows = [e for e in await _entries(settings, meeting_id) if e.status == SpeakerStatus.WAITING]
    return [e.display_name for e in sorted(rows, key=lambda e: (e.position, e.id))]


def _by_name(entries: list[MeetingSpeaker], name: str) -> MeetingSpeaker:
    """The person's latest entry (a withdrawn request stays as a row)."""
    return [e for e in entries if e.display_name == name][-1]


async def _as(client: Any, email: str) -> Any:
    """Switch the test's one client to another person (the app runs on the test's event loop,
    so a second client would start a second app)."""
    await post_form(client, "/abmelden", {})
    await login(client, email)
    return client


async def test_speaker_list_flow(client, settings):
    meeting_id = await make_meeting(settings, state="live", speaking_seconds=120)
    room = f"/veranstaltungen/{meeting_id}"
    url = f"{room}/redeliste"
    admin = f"/verwaltung/veranstaltungen/{meeting_id}/redeliste"
    for email, name in (
        ("heide@example.org", "Heide aus Kaltenmoor"),
        ("jens@example.org", "Jens vom Stint"),
        ("mia@example.org", "Mia am Sande"),
    ):
        await make_user(settings, email=email, display_name=name)
    await make_user(settings, email="staff@example.org", role="staff", display_name="Sitzungsleitung")
    heide, jens, mia, staff = "heide@example.org", "jens@example.org", "mia@example.org", "staff@example.org"

    # Without JavaScript: 303 back to the room's list, the place in a flash message.
    await _as(client, heide)
    r = await post_form(client, url, {"aktion": "melden"})
    assert r.status_code == 303 and r.headers["location"] == f"{room}#meeting-{meeting_id}-speakers"
    page = await client.get(room)
    assert "Sie sind Nr. 1 auf der Redeliste." in page.text
    assert "Ihre Wortmeldung ist eingetragen: Sie sind Nr. 1 auf der Redeliste." in page.text
    assert "Wortmeldung zurückziehen" in page.text and "Zu Wort melden" not in page.text
    assert "Aufrufen" not in page.text  # no staff controls for participants
    # A second request changes nothing (a double click): one waiting entry.
    r = await post_form(client, url, {"aktion": "melden"}, htmx=True)
    assert r.status_code == 200 and "<html" not in r.text and "Sie sind Nr. 1 auf der Redeliste." in r.text
    assert "Sie stehen bereits auf der Redeliste" in r.headers["hx-trigger"]
    assert len(await _entries(settings, meeting_id)) == 1
    r = await post_form(client, url, {"aktion": "unbekannt"})
    assert r.status_code == 409

    # With htmx: the speakers block; a point of order goes before normal requests, after
    # earlier points of order (request order).
    await _as(client, jens)
    r = await post_form(client, url, {"aktion": "melden"}, htmx=True)
    assert r.status_code == 200 and f'id="meeting-{meeting_id}-speakers"' in r.text
    assert "Sie sind Nr. 2 auf der Redeliste." in r.text
    await _as(client, mia)
    r = await post_form(client, url, {"aktion": "melden", "geschaeftsordnung": "on"}, htmx=True)
    assert "Sie sind Nr. 1 auf der Redeliste." in r.text and "zur Geschäftsordnung" in r.text
    await _as(client, jens)
    r = await post_form(client, url, {"aktion": "zurueckziehen"})
    assert r.status_code == 303
    r = await post_form(client, url, {"aktion": "melden", "geschaeftsordnung": "on"}, htmx=True)
    assert "Sie sind Nr. 2 auf der Redeliste." in r.text
    assert await _waiting_names(settings, meeting_id) == [
        "Mia am Sande",
        "Jens vom Stint",
        "Heide aus Kaltenmoor",
    ]
    await _as(client, heide)
    page = await client.get(room)
    assert "Sie sind Nr. 3 auf der Redeliste." in page.text

    # Residents may not use the staff controls.
    entries = await _entries(settings, meeting_id)
    mia_id = _by_name(entries, "Mia am Sande").id
    heide_id = _by_name(entries, "Heide aus Kaltenmoor").id
    jens_id = _by_name(entries, "Jens vom Stint").id
    r = await post_form(client, f"{admin}/{mia_id}", {"aktion": "aufrufen"})
    assert r.status_code == 403
    r = await post_form(client, admin, {"aktion": "naechste"})
    assert r.status_code == 403

    # Staff: the next speaker, then a given one (the previous one is done).
    await _as(client, staff)
    page = await client.get(room)
    assert '<span class="kern-sr-only" hx-ignore>: Mia am Sande</span>' in page.text  # labels name the entry
    r = await post_form(client, admin, {"aktion": "naechste"})
    assert r.status_code == 303
    entries = await _entries(settings, meeting_id)
    mia_entry = _by_name(entries, "Mia am Sande")
    assert mia_entry.status == SpeakerStatus.SPEAKING and mia_entry.called_at is not None
    page = await client.get(room)
    assert "Mia am Sande hat das Wort." in page.text and "Es spricht" in page.text
    timer = re.search(r'data-speaker-timer\s+data-remaining="(\d+)"', page.text)
    assert timer and 0 < int(timer.group(1)) <= 120
    assert "Redezeit bis" in page.text and 'role="timer"' in page.text
    part = page.text.split(f'id="meeting-{meeting_id}-speakers"')[1].split("</section>")[0]
    assert "aria-live" not in part

    r = await post_form(client, f"{admin}/{heide_id}", {"aktion": "hoch"}, htmx=True)
    assert r.status_code == 200 and "<html" not in r.text
    assert "Heide aus Kaltenmoor ist jetzt Nr. 1 der Redeliste." in r.headers["hx-trigger"]
    assert await _waiting_names(settings, meeting_id) == ["Heide aus Kaltenmoor", "Jens vom Stint"]
    r = await post_form(client, f"{admin}/{heide_id}", {"aktion": "hoch"})
    assert r.status_code == 409  # already at the top
    r = await post_form(client, f"{admin}/{heide_id}", {"aktion": "runter"})
    assert r.status_code == 303
    assert await _waiting_names(settings, meeting_id) == ["Jens vom Stint", "Heide aus Kaltenmoor"]
    r = await post_form(client, f"{admin}/{jens_id}", {"aktion": "runter"}, htmx=True)
    assert r.status_code == 200
    assert await _waiting_names(settings, meeting_id) == ["Heide aus Kaltenmoor", "Jens vom Stint"]

    r = await post_form(client, f"{admin}/{jens_id}", {"aktion": "aufrufen"}, htmx=True)
    assert r.status_code == 200 and "Jens vom Stint hat das Wort." in r.headers["hx-trigger"]
    entries = await _entries(settings, meeting_id)
    done = _by_name(entries, "Mia am Sande")
    assert done.status == SpeakerStatus.DONE and done.finished_at is not None
    assert _by_name(entries, "Jens vom Stint").status == SpeakerStatus.SPEAKING
    r = await post_form(client, f"{admin}/{jens_id}", {"aktion": "aufrufen"})
    assert r.status_code == 409  # speaking already, not waiting
    await _as(client, jens)
    page = await client.get(room)
    assert "Sie haben das Wort." in page.text

    await _as(client, staff)
    r = await post_form(client, f"{admin}/{heide_id}", {"aktion": "entfernen"})
    assert r.status_code == 303
    assert (
        _by_name(await _entries(settings, meeting_id), "Heide aus Kaltenmoor").status == SpeakerStatus.REMOVED
    )
    r = await post_form(client, f"{admin}/{heide_id}", {"aktion": "entfernen"})
    assert r.status_code == 409
    r = await post_form(client, admin, {"aktion": "naechste"})
    assert r.status_code == 409  # nobody waits

    r = await post_form(client, f"{admin}/{heide_id}", {"aktion": "beenden"})
    assert r.status_code == 409  # not the current speaker
    r = await post_form(client, f"{admin}/{jens_id}", {"aktion": "beenden"}, htmx=True)
    assert (
        r.status_code == 200 and "Der Redebeitrag von Jens vom Stint ist beendet." in r.headers["hx-trigger"]
    )
    assert "Niemand wartet auf das Wort." in r.text and "Es spricht" not in r.text
    assert all(e.status != SpeakerStatus.SPEAKING for e in await _entries(settings, meeting_id))
    r = await post_form(client, f"{admin}/{jens_id}", {"aktion": "quatsch"})
    assert r.status_code == 409
    r = await post_form(client, f"{admin}/999999", {"aktion": "aufrufen"})
    assert r.status_code == 404

    # Removed: Heide may ask again; withdrawing without a request is a friendly no-op.
    await _as(client, heide)
    page = await client.get(room)
    assert "Zu Wort melden" in page.text and "Sie sind Nr." not in page.text
    r = await post_form(client, url, {"aktion": "zurueckziehen"}, htmx=True)
    assert r.status_code == 200 and "Sie stehen nicht auf der Redeliste." in r.headers["hx-trigger"]


async def test_refusals(client, settings):
    meeting_id = await make_meeting(settings, state="scheduled")
    url = f"/veranstaltungen/{meeting_id}/redeliste"
    admin = f"/verwaltung/veranstaltungen/{meeting_id}/redeliste"
    # Visitors are sent to the login.
    r = await post_form(client, url, {"aktion": "melden"})
    assert r.status_code == 303 and r.headers["location"].startswith("/anmelden")
    r = await post_form(client, admin, {"aktion": "naechste"})
    assert r.status_code in (303, 401) and "/verwaltung" not in r.headers.get("location", "")

    await make_user(settings, email="heide@example.org", display_name="Heide")
    await login(client, "heide@example.org")
    page = await client.get(f"/veranstaltungen/{meeting_id}")
    assert "Wortmeldungen sind möglich, sobald die Veranstaltung läuft." in page.text
    assert "Zu Wort melden" not in page.text
    r = await post_form(client, url, {"aktion": "melden"})
    assert r.status_code == 409 and "sobald die Veranstaltung läuft" in r.text
    assert await _entries(settings, meeting_id) == []
    r = await post_form(client, admin, {"aktion": "naechste"})
    assert r.status_code == 403

    # Staff controls of a meeting that is not live are refused too.
    await make_user(settings, email="staff@example.org", role="staff", display_name="Sitzungsleitung")
    await login(client, "staff@example.org")
    r = await post_form(client, admin, {"aktion": "naechste"})
    assert r.status_code == 409
    r = await post_form(client, "/veranstaltungen/999999/redeliste", {"aktion": "melden"})
    assert r.status_code == 404
    r = await post_form(client, "/verwaltung/veranstaltungen/999999/redeliste/1", {"aktion": "aufrufen"})
    assert r.status_code == 404


async def test_guest_asks_to_speak(client, settings):
    meeting_id = await make_meeting(settings, state="live", allow_guests=True)
    room = f"/veranstaltungen/{meeting_id}"
    page = await client.get(room)
    assert "geben Sie oben einen Anzeigenamen an" in page.text
    r = await post_form(client, f"{room}/redeliste", {"aktion": "melden"})
    assert r.status_code == 303 and r.headers["location"].startswith("/anmelden")  # no name yet
    r = await post_form(client, f"{room}/gast", {"name": "Gast vom Sande"})
    assert r.status_code == 303
    r = await post_form(client, f"{room}/redeliste", {"aktion": "melden"}, htmx=True)
    assert (
        r.status_code == 200 and "Sie sind Nr. 1 auf der Redeliste." in r.text and "Gast vom Sande" in r.text
    )
    (entry,) = await _entries(settings, meeting_id)
    assert (
        entry.user_id is None and entry.voter_key.startswith("g:") and entry.display_name == "Gast vom Sande"
    )
    # A signed-in person does not see the guest's entry as their own.
    await make_user(settings, email="heide@example.org", display_name="Heide")
    await login(client, "heide@example.org")
    page = await client.get(room)
    assert "Gast vom Sande" in page.text and "Sie sind Nr." not in page.text
