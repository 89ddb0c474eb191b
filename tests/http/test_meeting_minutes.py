"""The minutes of a meeting through HTTP, on both databases: drafted when staff end the meeting
(published questions only, exact poll results, the speaker order), edited, drafted anew,
published (with the live event), downloaded as Markdown and withdrawn; re-ending keeps the staff's
text; the public page is 404 until published and sanitised; the staff page only for staff and
only once the meeting has ended; the consultation page links published minutes."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from beteiligung.consultations.states import Visibility
from beteiligung.db import utcnow
from beteiligung.live.events import MeetingStateChanged
from beteiligung.meetings.models import (
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
    PollState,
    QuestionStatus,
    SpeakerStatus,
)
from tests.conftest import login, make_user, post_form
from tests.meeting_factories import make_meeting
from tests.participation_factories import make_consultation, run_sql

HX = {"HX-Request": "true"}
PUBLIC_QUESTION = "Wann wird der Radweg an der Ilmenau durchgehend befahrbar sein?"
# Markdown in a question must stay text in the minutes.
TRICKY_QUESTION = "# Laut [hier klicken](https://werbung.example) | Spalte | und *fett*"
HELD_QUESTION = "Diese Frage wartet noch auf die Moderation und gehört nicht ins Protokoll."
HIDDEN_QUESTION = "Diese Frage hat die Moderation ausgeblendet."


async def _logout(client: Any) -> None:
    await post_form(client, "/abmelden", {})


async def _meeting(settings: Any, meeting_id: int) -> Meeting:
    return await run_sql(settings, lambda db: db.get(Meeting, meeting_id))  # type: ignore[no-any-return]


async def _users(settings: Any) -> dict[str, int]:
    return {
        "anna": await make_user(settings, email="a@example.org", display_name="Anna Amsel"),
        "bernd": await make_user(settings, email="b@example.org", display_name="Bernd_Berg"),
        "carla": await make_user(settings, email="c@example.org", display_name="Carla vom Sande"),
        "staff": await make_user(
            settings, email="staff@example.org", display_name="Stadtentwicklung", role="staff"
        ),
        "mod": await make_user(
            settings, email="mod@example.org", display_name="Moderation", role="moderator"
        ),
    }


async def _arrange(settings: Any, meeting_id: int, users: dict[str, int]) -> None:
    """A meeting in progress: questions (published with votes, answered, held, hidden), an open
    single-choice poll with three ballots, speakers (done with a point of order, speaking now,
    waiting), two registrations and a peak of participants."""

    async def arrange(db: Any) -> None:
        meeting = await db.get(Meeting, meeting_id)
        first, second, _third = meeting.agenda
        now = utcnow()
        meeting.peak_participants = 42
        first.started_at = now - timedelta(minutes=20)
        second.started_at = now - timedelta(minutes=5)
        meeting.current_item_id = second.id

        def question(body: str, item: Any, voter: str, **values: Any) -> MeetingQuestion:
            q = MeetingQuestion(
                meeting_id=meeting.id,
                agenda_item_id=item.id if item else None,
                author_id=users.get(voter),
                voter_key=f"u:{users[voter]}",
                body=body,
                submission_key=body[:30],
                **values,
            )
            db.add(q)
            return q

        popular = question(PUBLIC_QUESTION, first, "anna")
        answered = question(
            TRICKY_QUESTION,
            second,
            "bernd",
            status=QuestionStatus.ANSWERED,
            answer_note="Im Frühjahr; die Bauarbeiten beginnen im März.",
        )
        question(HELD_QUESTION, first, "carla", visibility=Visibility.HELD)
        question(HIDDEN_QUESTION, None, "bernd", visibility=Visibility.HIDDEN)
        await db.flush()
        for q, voters in ((popular, ("bernd", "carla")), (answered, ("anna",))):
            for voter in voters:
                db.add(
                    MeetingQuestionVote(question_id=q.id, voter_key=f"u:{users[voter]}", user_id=users[voter])
                )
            q.vote_count = len(voters)

        poll = MeetingPoll(
            meeting_id=meeting.id,
            agenda_item_id=second.id,
            question="Wo soll der Logistik-Hub entstehen?",
            state=PollState.OPEN,
            opened_at=now - timedelta(minutes=3),
            ballot_count=3,
        )
        poll.options = [
            MeetingPollOption(position=1, label="Am Bahnhof", vote_count=2),
            MeetingPollOption(position=2, label="Am Stint", vote_count=1),
            MeetingPollOption(position=3, label="Im Roten Feld", vote_count=0),
        ]
        db.add(poll)
        db.add(MeetingPoll(meeting_id=meeting.id, question="Noch ein Entwurf", state=PollState.DRAFT))
        await db.flush()
        for voter, option in (("anna", 0), ("bernd", 0), ("carla", 1)):
            ballot = MeetingPollBallot(poll_id=poll.id, voter_key=f"u:{users[voter]}", user_id=users[voter])
            db.add(ballot)
            await db.flush()
            db.add(MeetingPollChoice(ballot_id=ballot.id, option_id=poll.options[option].id))

        for position, (who, status, order) in enumerate(
            (
                ("carla", SpeakerStatus.DONE, True),
                ("bernd", SpeakerStatus.SPEAKING, False),
                ("anna", SpeakerStatus.WAITING, False),
            ),
            start=1,
        ):
            names = {"anna": "Anna Amsel", "bernd": "Bernd_Berg", "carla": "Carla vom Sande"}
            db.add(
                MeetingSpeaker(
                    meeting_id=meeting.id,
                    agenda_item_id=second.id,
                    user_id=users[who],
                    voter_key=f"u:{users[who]}",
                    display_name=names[who],
                    point_of_order=order,
                    position=position,
                    status=status,
                    called_at=now - timedelta(minutes=4 - position)
                    if status != SpeakerStatus.WAITING
                    else None,
                    finished_at=now - timedelta(minutes=2) if status == SpeakerStatus.DONE else None,
                )
            )
        db.add(MeetingRegistration(meeting_id=meeting.id, user_id=users["anna"]))
        db.add(MeetingRegistration(meeting_id=meeting.id, user_id=users["bernd"]))

    await run_sql(settings, arrange)


async def _replay_until(broker: Any, channels: frozenset[str], mark: str) -> list[Any]:
    for _ in range(200):
        events = await broker.replay(channels, mark) or []
        if events:
            return [d.event for d in events]
        await asyncio.sleep(0.05)
    return []


async def test_ending_drafts_the_minutes_staff_edit_publish_and_withdraw(app, client, settings):
    from beteiligung.live.broker import MemoryBroker, RedisBroker

    cid = await make_consultation(settings)
    meeting_id = await make_meeting(
        settings,
        state="live",
        consultation_id=cid,
        format=MeetingFormat.HYBRID,
        place="Rathaus Lüneburg, Huldigungssaal",
        agenda=("Begrüßung", "Logistik in der Innenstadt", "Wie es weitergeht"),
    )
    users = await _users(settings)
    await _arrange(settings, meeting_id, users)
    base, admin = (
        f"/veranstaltungen/{meeting_id}/protokoll",
        f"/verwaltung/veranstaltungen/{meeting_id}/protokoll",
    )

    # Before the end there is nothing: 404 for the public, 409 for staff's page.
    assert (await client.get(base)).status_code == 404
    await login(client, "staff@example.org")
    assert (await client.get(admin)).status_code == 409
    assert (await post_form(client, admin, {"aktion": "speichern", "minutes": "x"})).status_code == 409
    page = await client.get(base)
    assert page.status_code == 200 and "sobald die Veranstaltung beendet ist" in page.text

    # Ending closes the poll, finishes the current speaker and drafts the minutes.
    r = await post_form(
        client,
        f"/verwaltung/veranstaltungen/{meeting_id}/status",
        {"status": "ended", "beenden_bestaetigt": "ja"},
    )
    assert r.status_code == 303

    async def after_end(db: Any) -> tuple[Any, ...]:
        poll = (await db.scalars(select(MeetingPoll).where(MeetingPoll.state != PollState.DRAFT))).one()
        speaking = (
            await db.scalars(select(MeetingSpeaker).where(MeetingSpeaker.status == SpeakerStatus.SPEAKING))
        ).all()
        return poll.state, poll.closed_at, speaking

    state, closed_at, speaking = await run_sql(settings, after_end)
    assert state == PollState.CLOSED and closed_at is not None and speaking == []
    meeting = await _meeting(settings, meeting_id)
    draft = meeting.minutes
    assert meeting.minutes_published_at is None
    for expected in (
        "## Überblick",
        "- **Form:** Hybrid: online und vor Ort",
        "- **Ort:** Rathaus Lüneburg, Huldigungssaal",
        "höchstens 42 Personen gleichzeitig im Online-Raum; 2 Anmeldungen",
        "- **Fragen aus dem Publikum:** 2, davon 1 beantwortet",
        "## Tagesordnung",
        "1. Begrüßung (aufgerufen um",
        "3. Wie es weitergeht (nicht aufgerufen)",
        "## TOP 2: Logistik in der Innenstadt",
        PUBLIC_QUESTION,
        "   - 2 Stimmen · Offen",
        "   - 1 Stimme · Beantwortet",
        "   - Antwort: Im Frühjahr; die Bauarbeiten beginnen im März.",
        "### Abstimmung: Wo soll der Logistik-Hub entstehen?",
        "Einfachauswahl · 3 Stimmabgaben",
        "| Am Bahnhof | 2 | 67 % |",
        "| Am Stint | 1 | 33 % |",
        "| Im Roten Feld | 0 | 0 % |",
        "### Wortmeldungen (Redeliste)",
        "1. Carla vom Sande (zur Geschäftsordnung)",
        "2. Bernd\\_Berg",
    ):
        assert expected in draft, expected
    # Held and hidden questions, drafts, waiting speakers and the askers' names stay out.
    for absent in (HELD_QUESTION, HIDDEN_QUESTION, "Noch ein Entwurf", "Anna Amsel"):
        assert absent not in draft, absent
    # Each question lies under its own agenda item.
    assert draft.index(PUBLIC_QUESTION) < draft.index("## TOP 2") < draft.index("Laut")

    # Staff see the draft, marked; the sanitised question is text, not a heading or a link.
    page = await client.get(base)
    assert page.status_code == 200 and "Entwurf" in page.text and "Nur die Verwaltung sieht es." in page.text
    assert "werbung.example" in page.text and 'href="https://werbung.example"' not in page.text
    assert "<h2>Laut" not in page.text and "# Laut" in page.text
    r = await client.get(f"{base}.md")
    assert r.status_code == 200 and "entwurf" in r.headers["content-disposition"]
    await _logout(client)
    assert (await client.get(base)).status_code == 404
    assert (await client.get(f"{base}.md")).status_code == 404
    await login(client, "a@example.org")
    assert (await client.get(base)).status_code == 404
    assert (await client.get(admin)).status_code == 403
    r = await post_form(client, admin, {"aktion": "veroeffentlichen"})
    assert r.status_code == 403
    await _logout(client)

    # Staff edit: too long is refused beside the field with the text kept (htmx: the form only).
    await login(client, "staff@example.org")
    page = await client.get(admin)
    assert page.status_code == 200 and "Entwurf neu erzeugen" in page.text and "Veröffentlichen" in page.text
    too_long = "Ä" * 50_001
    r = await post_form(client, admin, {"aktion": "speichern", "minutes": too_long}, htmx=True)
    assert r.status_code == 422 and "höchstens 50000 Zeichen" in r.text.replace(".", "")
    assert 'id="minutes-minutes-error"' in r.text and "<html" not in r.text and too_long in r.text
    assert (await _meeting(settings, meeting_id)).minutes == draft
    edited = draft.replace("## Überblick", "## Überblick\n\nProtokoll: Frau Beispiel, Stabsstelle.") + (
        "\n<script>alert(1)</script> [Trick](javascript:alert(1))\n"
    )
    r = await post_form(client, admin, {"aktion": "speichern", "minutes": edited}, htmx=True)
    assert r.status_code == 200 and r.headers.get("hx-redirect") == admin
    assert (await _meeting(settings, meeting_id)).minutes == edited.strip()
    assert "Das Protokoll ist gespeichert." in (await client.get(admin)).text

    # Re-ending (reopen, end again) keeps the staff's text.
    r = await post_form(client, f"/verwaltung/veranstaltungen/{meeting_id}/status", {"status": "live"})
    assert r.status_code == 303
    assert (await client.get(admin)).status_code == 409
    r = await post_form(
        client,
        f"/verwaltung/veranstaltungen/{meeting_id}/status",
        {"status": "ended", "beenden_bestaetigt": "ja"},
    )
    assert r.status_code == 303
    assert (await _meeting(settings, meeting_id)).minutes == edited.strip()

    # Publishing empty text is refused; publishing saves the text and tells the room.
    r = await post_form(client, admin, {"aktion": "veroeffentlichen", "minutes": "  "})
    assert r.status_code == 422 and "Ein leeres Protokoll kann nicht veröffentlicht werden." in r.text
    own = app.state["live_broker"]
    redis = None
    if isinstance(own, MemoryBroker):
        broker: Any = own
    else:
        from redis.asyncio import Redis

        redis = Redis.from_url(settings.redis_url)
        broker = RedisBroker(redis, settings.redis_prefix)
    try:
        mark = await broker.watermark()
        r = await post_form(client, admin, {"aktion": "veroeffentlichen", "minutes": edited})
        assert r.status_code == 303 and r.headers["location"] == admin
        events = await _replay_until(broker, frozenset({f"meeting:{meeting_id}"}), mark)
        assert MeetingStateChanged(meeting_id=meeting_id) in events
    finally:
        if redis is not None:
            await redis.aclose()
    meeting = await _meeting(settings, meeting_id)
    assert meeting.minutes_published_at is not None
    r = await post_form(client, f"/verwaltung/veranstaltungen/{meeting_id}/status", {"status": "live"})
    assert r.status_code == 409, "published minutes: the meeting stays ended"
    await _logout(client)

    # Everyone reads them now: sanitised HTML with the tables, the download, the print hint.
    page = await client.get(base)
    assert page.status_code == 200 and "Protokoll: Frau Beispiel, Stabsstelle." in page.text
    assert "<table>" in page.text and "<td>Am Bahnhof</td>" in page.text
    assert "<script>alert" not in page.text and 'href="javascript:' not in page.text
    assert "Drucken oder als PDF speichern" in page.text and "Entwurf" not in page.text
    assert f'href="{base}.md"' in page.text
    r = await client.get(f"{base}.md")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/markdown")
    assert (
        r.headers["content-disposition"] == f'attachment; filename="protokoll-veranstaltung-{meeting_id}.md"'
    )
    assert r.text.startswith("# Protokoll: Virtuelle Bürgerversammlung ISEK 2030+\n\n## Überblick")
    room = await client.get(f"/veranstaltungen/{meeting_id}")
    assert f'href="{base}"' in room.text
    consultation = await client.get("/vorhaben/isek-2030")
    assert (
        f'href="/veranstaltungen/{meeting_id}"' in consultation.text and f'href="{base}"' in consultation.text
    )

    # Drafting anew needs the confirmation, then replaces the text with the data's draft.
    await login(client, "staff@example.org")
    page = await client.get(admin)
    assert "Änderungen speichern" in page.text and "Zurückziehen" in page.text
    r = await post_form(client, admin, {"aktion": "neu"}, htmx=True)
    assert (
        r.status_code == 422
        and 'id="minutes-regenerate-bestaetigen-error"' in r.text
        and "<html" not in r.text
    )
    assert (await _meeting(settings, meeting_id)).minutes == edited.strip()
    r = await post_form(client, admin, {"aktion": "neu", "bestaetigen": "on"})
    assert r.status_code == 303
    regenerated = (await _meeting(settings, meeting_id)).minutes
    assert "Frau Beispiel" not in regenerated and "| Am Bahnhof | 2 | 67 % |" in regenerated

    # Withdrawn: a draft again, 404 for the public, not linked from the consultation.
    r = await post_form(client, admin, {"aktion": "zurueckziehen"})
    assert r.status_code == 303
    r = await post_form(client, admin, {"aktion": "zurueckziehen"})
    assert r.status_code == 409
    assert (await post_form(client, admin, {"aktion": "unsinn"})).status_code == 409
    await _logout(client)
    assert (await client.get(base)).status_code == 404
    assert f'href="{base}"' not in (await client.get("/vorhaben/isek-2030")).text


async def test_minutes_of_an_empty_meeting_and_the_moderators_role(client, settings):
    """A meeting without agenda or contributions still gets minutes; moderators are not staff."""
    meeting_id = await make_meeting(settings, state="live", agenda=())
    await make_user(settings, email="staff@example.org", role="staff")
    await make_user(settings, email="mod@example.org", role="moderator")
    await login(client, "staff@example.org")
    r = await post_form(
        client,
        f"/verwaltung/veranstaltungen/{meeting_id}/status",
        {"status": "ended", "beenden_bestaetigt": "ja"},
        htmx=True,
    )
    assert r.status_code == 200
    minutes = (await _meeting(settings, meeting_id)).minutes
    assert "## Verlauf\n\nKeine Fragen, Abstimmungen oder Wortmeldungen." in minutes
    assert "## Tagesordnung" not in minutes and "- **Abstimmungen:** 0" in minutes
    await _logout(client)
    await login(client, "mod@example.org")
    admin = f"/verwaltung/veranstaltungen/{meeting_id}/protokoll"
    assert (await client.get(admin)).status_code == 403
    assert (await post_form(client, admin, {"aktion": "veroeffentlichen"})).status_code == 403
    assert (await client.get(f"/veranstaltungen/{meeting_id}/protokoll")).status_code == 404
