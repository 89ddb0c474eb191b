"""Live polls in the meeting room through HTTP: staff prepare (bad input beside the fields, values
kept), open one at a time, close, delete drafts; participants vote once without JavaScript and
with htmx; a second vote, a tampered option and a closed poll are refused; results live or only
after closing; guests vote where the meeting allows them; residents can't use staff routes."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import func, select, update

from beteiligung.meetings.models import (
    MeetingPoll,
    MeetingPollBallot,
    MeetingPollChoice,
    MeetingPollOption,
    PollResults,
    PollState,
)
from tests.conftest import login, make_user, post_form
from tests.meeting_factories import make_meeting
from tests.participation_factories import run_sql

HX = {"HX-Request": "true"}


def _text(html: str) -> str:
    """The page's text without tags, whitespace collapsed (for "Ja: 1 Stimme (100 %)")."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split()).replace("( ", "(").replace(" )", ")")


def _announced(response: Any) -> str:
    """The message a response announces in the page's status region (HX-Trigger)."""
    return str(json.loads(response.headers["hx-trigger"])["bt:announce"]["message"])


def _poll_block(html: str, meeting_id: int) -> str:
    """The room's poll part (it ends where the questions part begins)."""
    start = html.index(f'id="meeting-{meeting_id}-poll"')
    end = html.find(f'id="meeting-{meeting_id}-questions"', start)
    return html[start : end if end > 0 else len(html)]


async def _make_poll(
    settings: Any,
    meeting_id: int,
    *,
    question: str = "Soll der Marktplatz autofrei werden?",
    options: tuple[str, ...] = ("Ja", "Nein", "Enthaltung"),
    multiple: bool = False,
    results: str = "live",
    state: str = "open",
) -> tuple[int, list[int]]:
    async def add(db: Any) -> tuple[int, list[int]]:
        poll = MeetingPoll(
            meeting_id=meeting_id,
            question=question,
            multiple=multiple,
            results=PollResults(results),
            state=PollState(state),
        )
        poll.options = [MeetingPollOption(position=n, label=label) for n, label in enumerate(options, 1)]
        db.add(poll)
        await db.flush()
        return poll.id, [o.id for o in poll.options]

    return await run_sql(settings, add)  # type: ignore[no-any-return]


async def _poll(settings: Any, poll_id: int) -> MeetingPoll | None:
    return await run_sql(  # type: ignore[no-any-return]
        settings, lambda db: db.get(MeetingPoll, poll_id, populate_existing=True)
    )


async def _rows(settings: Any, poll_id: int) -> tuple[int, dict[int, int]]:
    """Ballot rows of the poll and choice rows per option, counted."""

    async def count(db: Any) -> tuple[int, dict[int, int]]:
        ballots = await db.scalar(
            select(func.count()).select_from(MeetingPollBallot).where(MeetingPollBallot.poll_id == poll_id)
        )
        rows = await db.execute(
            select(MeetingPollChoice.option_id, func.count())
            .join(MeetingPollOption, MeetingPollOption.id == MeetingPollChoice.option_id)
            .where(MeetingPollOption.poll_id == poll_id)
            .group_by(MeetingPollChoice.option_id)
        )
        return int(ballots or 0), {int(k): int(v) for k, v in rows.all()}

    return await run_sql(settings, count)  # type: ignore[no-any-return]


@asynccontextmanager
async def _signed_in(
    client: Any, settings: Any, email: str, *, back: str | None = None, **user: Any
) -> AsyncIterator[Any]:
    """The test's client as another (new) person for a while; afterwards signed in as ``back``
    again (or anonymous). One client: the app runs on the test's event loop."""
    await post_form(client, "/abmelden", {})
    await make_user(settings, email=email, **user)
    await login(client, email)
    try:
        yield client
    finally:
        await post_form(client, "/abmelden", {})
        if back:
            await login(client, back)


def _create_form(**extra: Any) -> dict[str, Any]:
    return {
        "question": "Wie soll der Platz Am Sande genutzt werden?",
        "options": "Markt\nSpielplatz\nGrünfläche",
        "kind": "single",
        "results": "live",
        "agenda_item": "-",
    } | extra


async def test_staff_prepare_open_close_and_delete(client, settings):
    meeting_id = await make_meeting(settings, state="live")
    await make_user(settings, email="staff@example.org", role="staff", display_name="Stadtentwicklung")
    await login(client, "staff@example.org")
    url = f"/verwaltung/veranstaltungen/{meeting_id}/abstimmungen"
    room = await client.get(f"/veranstaltungen/{meeting_id}")
    assert "Neue Abstimmung vorbereiten" in room.text
    # The agenda select defaults to the current item (the first, as the meeting is live).
    assert re.search(r'<option value="\d+" selected hx-ignore>Begrüßung</option>', room.text)

    # Bad input: each error beside its field, the values kept.
    r = await post_form(client, url, _create_form(question="", options="Nur eine"))
    assert r.status_code == 422 and "<html" in r.text
    assert "Bitte füllen Sie das Feld „Frage“ aus." in r.text
    assert "mindestens zwei Antwortmöglichkeiten" in r.text and "Nur eine</textarea>" in r.text
    assert 'id="poll-options-error"' in r.text and 'aria-invalid="true"' in r.text
    for options, message in [
        ("Ja\nja\nNein", "nur einmal vorkommen (doppelt: „ja“)"),
        ("Ja\n" + "x" * 201, "höchstens 200 Zeichen lang"),
        ("\n".join(f"Antwort {n}" for n in range(11)), "höchstens 10 Antwortmöglichkeiten"),
    ]:
        r = await post_form(client, url, _create_form(options=options), htmx=True)
        assert r.status_code == 422 and "<html" not in r.text, options
        assert message in r.text and f'id="meeting-{meeting_id}-poll"' in r.text
        assert "Wie soll der Platz Am Sande genutzt werden?" in r.text  # kept
    r = await post_form(client, url, _create_form(question="x" * 301, kind="bogus", agenda_item="999999"))
    assert r.status_code == 422
    assert "höchstens 300 Zeichen" in r.text and "Bitte wählen Sie einen der angebotenen Einträge." in r.text

    # Valid: a draft, without JavaScript (303 back to the room) and with htmx (the block).
    r = await post_form(client, url, _create_form())
    assert r.status_code == 303 and r.headers["location"].startswith(f"/veranstaltungen/{meeting_id}")
    r = await post_form(
        client,
        url,
        _create_form(
            question="Welche Öffnungszeiten?", options="Früh\nSpät", kind="multiple", results="after_close"
        ),
        htmx=True,
    )
    assert r.status_code == 200 and "<html" not in r.text
    assert "Welche Öffnungszeiten?" in r.text and "ist als Entwurf angelegt" in _announced(r)
    drafts = await run_sql(
        settings,
        lambda db: db.scalars(
            select(MeetingPoll).where(MeetingPoll.meeting_id == meeting_id).order_by(MeetingPoll.id)
        ),
    )
    first, second = list(drafts)
    assert first.state == PollState.DRAFT and [o.label for o in first.options] == [
        "Markt",
        "Spielplatz",
        "Grünfläche",
    ]
    assert second.multiple and second.results == PollResults.AFTER_CLOSE

    # Drafts are invisible to participants.
    async with _signed_in(client, settings, "heide@example.org", back="staff@example.org") as resident:
        page = await resident.get(f"/veranstaltungen/{meeting_id}")
        assert (
            "Wie soll der Platz Am Sande" not in page.text and "Neue Abstimmung vorbereiten" not in page.text
        )
        assert "Zurzeit ist keine Abstimmung geöffnet." in page.text
        r = await post_form(
            resident,
            f"/veranstaltungen/{meeting_id}/abstimmungen/{first.id}/stimme",
            {"option": str(first.options[0].id)},
        )
        assert r.status_code == 404

    action = f"{url}/{first.id}"
    r = await post_form(client, action, {"aktion": "oeffnen"}, htmx=True)
    assert r.status_code == 200 and "Abstimmung schließen" in r.text
    assert (await _poll(settings, first.id)).state == PollState.OPEN  # type: ignore[union-attr]
    # One poll at a time: opening the second is refused, nothing closes silently.
    r = await post_form(client, f"{url}/{second.id}", {"aktion": "oeffnen"})
    assert r.status_code == 409 and "Es läuft bereits eine Abstimmung" in r.text
    assert (await _poll(settings, first.id)).state == PollState.OPEN  # type: ignore[union-attr]
    assert (await _poll(settings, second.id)).state == PollState.DRAFT  # type: ignore[union-attr]
    r = await post_form(client, action, {"aktion": "oeffnen"})
    assert r.status_code == 409
    r = await post_form(client, action, {"aktion": "loeschen"})
    assert r.status_code == 409 and "Nur Entwürfe" in r.text
    r = await post_form(client, action, {"aktion": "bogus"})
    assert r.status_code == 409
    r = await post_form(client, f"{url}/999999", {"aktion": "schliessen"})
    assert r.status_code == 404

    r = await post_form(client, action, {"aktion": "schliessen"})
    assert r.status_code == 303
    closed = await _poll(settings, first.id)
    assert closed is not None and closed.state == PollState.CLOSED and closed.closed_at is not None
    r = await post_form(client, action, {"aktion": "schliessen"})
    assert r.status_code == 409
    page = await client.get(f"/veranstaltungen/{meeting_id}")
    assert "Abgeschlossene Abstimmungen" in page.text and "0 Teilnehmende haben abgestimmt" in _text(
        page.text
    )

    # The second can open now; a draft can be deleted.
    r = await post_form(client, f"{url}/{second.id}", {"aktion": "oeffnen"})
    assert r.status_code == 303
    third, _ = await _make_poll(settings, meeting_id, question="Entwurf zum Löschen", state="draft")
    r = await post_form(client, f"{url}/{third}", {"aktion": "loeschen"}, htmx=True)
    assert r.status_code == 200 and "Entwurf zum Löschen" not in r.text
    assert await _poll(settings, third) is None


async def test_polls_open_only_in_a_live_meeting_and_not_after_the_end(client, settings):
    meeting_id = await make_meeting(settings, state="scheduled")
    await make_user(settings, email="staff@example.org", role="staff")
    await login(client, "staff@example.org")
    poll_id, _ = await _make_poll(settings, meeting_id, state="draft")
    r = await post_form(
        client, f"/verwaltung/veranstaltungen/{meeting_id}/abstimmungen/{poll_id}", {"aktion": "oeffnen"}
    )
    assert r.status_code == 409 and "sobald die Veranstaltung läuft" in r.text
    ended = await make_meeting(settings, state="ended")
    r = await post_form(client, f"/verwaltung/veranstaltungen/{ended}/abstimmungen", _create_form())
    assert r.status_code == 409 and "Die Veranstaltung ist beendet." in r.text
    # Another meeting's poll is not found under this meeting.
    r = await post_form(
        client, f"/verwaltung/veranstaltungen/{ended}/abstimmungen/{poll_id}", {"aktion": "oeffnen"}
    )
    assert r.status_code == 404


async def test_vote_without_js_and_with_htmx_once_each(client, settings):
    meeting_id = await make_meeting(settings, state="live")
    poll_id, (yes, no, abstain) = await _make_poll(settings, meeting_id)
    other_poll, other_options = await _make_poll(
        settings, meeting_id, question="Andere", options=("Eins", "Zwei"), state="closed"
    )
    vote = f"/veranstaltungen/{meeting_id}/abstimmungen/{poll_id}/stimme"

    await make_user(settings, email="heide@example.org", display_name="Heide aus Kaltenmoor")
    await login(client, "heide@example.org")
    page = await client.get(f"/veranstaltungen/{meeting_id}")
    block = _poll_block(page.text, meeting_id)
    assert "<fieldset" in block and "<legend" in block and "Soll der Marktplatz autofrei werden?" in block
    assert block.count('type="radio"') == 3 and 'name="option"' in block
    assert "Ja: 0 Stimmen" not in _text(block)  # no standings before voting
    assert "Eins: 0 Stimmen (0 %)" in _text(block)  # the closed poll's final result

    # Nothing chosen: 422 beside the fieldset. Tampered values: 400, nothing written.
    r = await post_form(client, vote, {})
    assert (
        r.status_code == 422
        and "Bitte wählen Sie eine Antwort." in r.text
        and "kern-fieldset--error" in r.text
    )
    for tampered in ({"option": str(other_options[0])}, {"option": "abc"}, {"option": [str(yes), str(no)]}):
        r = await post_form(client, vote, tampered)
        assert r.status_code == 400, tampered
    assert await _rows(settings, poll_id) == (0, {})

    r = await post_form(client, vote, {"option": str(yes)})
    assert (
        r.status_code == 303
        and r.headers["location"] == f"/veranstaltungen/{meeting_id}#meeting-{meeting_id}-poll"
    )
    page = await client.get(f"/veranstaltungen/{meeting_id}")
    text = _text(_poll_block(page.text, meeting_id))
    assert "Vielen Dank, Ihre Stimme ist gezählt." in text
    assert "Ja: 1 Stimme (100 %)" in text and "Nein: 0 Stimmen (0 %)" in text
    assert "1 Person hat abgestimmt." in text and 'type="radio"' not in page.text
    assert "poll-bar__fill--100" in page.text and 'style="' not in _poll_block(page.text, meeting_id)

    # A second vote (even for another option) is refused, never counted twice.
    r = await post_form(client, vote, {"option": str(no)})
    assert r.status_code == 409 and "Sie haben bereits abgestimmt." in r.text
    r = await post_form(client, vote, {"option": str(yes)}, htmx=True)
    assert r.status_code == 409 and r.headers["hx-retarget"] == "#page-alert"

    async with _signed_in(
        client, settings, "ole@example.org", back="heide@example.org", display_name="Ole"
    ) as ole:
        r = await post_form(ole, vote, {"option": str(no)}, htmx=True)
        assert r.status_code == 200 and "<html" not in r.text and f'id="meeting-{meeting_id}-poll"' in r.text
        assert "Ihre Stimme ist gezählt" in _announced(r)
        text = _text(r.text)
        assert "Ja: 1 Stimme (50 %)" in text and "Nein: 1 Stimme (50 %)" in text
        assert "2 Teilnehmende haben abgestimmt." in text and "poll-bar__fill--50" in r.text

    poll = await _poll(settings, poll_id)
    assert poll is not None and poll.ballot_count == 2
    assert {o.id: o.vote_count for o in poll.options} == {yes: 1, no: 1, abstain: 0}
    assert await _rows(settings, poll_id) == (2, {yes: 1, no: 1})

    # A closed poll takes no votes.
    r = await post_form(
        client,
        f"/veranstaltungen/{meeting_id}/abstimmungen/{other_poll}/stimme",
        {"option": str(other_options[0])},
    )
    assert r.status_code == 409 and "Die Abstimmung ist geschlossen." in r.text
    r = await post_form(client, f"/veranstaltungen/{meeting_id}/abstimmungen/999999/stimme", {"option": "1"})
    assert r.status_code == 404


async def test_multiple_choice_shares_are_of_the_ballots(client, settings):
    meeting_id = await make_meeting(settings, state="live")
    poll_id, (a, b, _c) = await _make_poll(
        settings,
        meeting_id,
        question="Was fehlt in der Innenstadt?",
        options=("Bänke", "Bäume", "Toiletten"),
        multiple=True,
    )
    vote = f"/veranstaltungen/{meeting_id}/abstimmungen/{poll_id}/stimme"
    await make_user(settings, email="heide@example.org")
    await login(client, "heide@example.org")
    page = await client.get(f"/veranstaltungen/{meeting_id}")
    assert _poll_block(page.text, meeting_id).count('type="checkbox"') == 3
    r = await post_form(client, vote, {}, htmx=True)
    assert r.status_code == 422 and "Bitte wählen Sie mindestens eine Antwort." in r.text
    r = await post_form(client, vote, {"option": [str(a), str(a)]})
    assert r.status_code == 400  # the same option twice is not something the form sends
    r = await post_form(client, vote, {"option": [str(a), str(b)]})
    assert r.status_code == 303
    async with _signed_in(client, settings, "ole@example.org", back="heide@example.org") as ole:
        r = await post_form(ole, vote, {"option": [str(a)]}, htmx=True)
        assert r.status_code == 200
        text = _text(r.text)
    assert (
        "Bänke: 2 Stimmen (100 %)" in text
        and "Bäume: 1 Stimme (50 %)" in text
        and "Toiletten: 0 Stimmen (0 %)" in text
    )
    assert "2 Teilnehmende haben abgestimmt." in text and "mehr als 100 %" in text
    assert await _rows(settings, poll_id) == (2, {a: 2, b: 1})


async def test_results_after_close_only_staff_see_them_before(client, settings):
    meeting_id = await make_meeting(settings, state="live")
    poll_id, (yes, _no, _x) = await _make_poll(settings, meeting_id, results="after_close")
    vote = f"/veranstaltungen/{meeting_id}/abstimmungen/{poll_id}/stimme"
    await make_user(settings, email="heide@example.org")
    await login(client, "heide@example.org")
    r = await post_form(client, vote, {"option": str(yes)}, htmx=True)
    assert r.status_code == 200
    text = _text(r.text)
    assert "Ihre Stimme ist gezählt" in text and "Ja: 1 Stimme" not in text
    assert "Die Ergebnisse werden gezeigt, sobald die Abstimmung geschlossen ist." in text
    await post_form(client, "/abmelden", {})
    text = _text((await client.get(f"/veranstaltungen/{meeting_id}")).text)
    assert "Soll der Marktplatz autofrei werden?" in text and "Ja: 1 Stimme" not in text
    assert "Anmelden, um abzustimmen" in text

    async with _signed_in(
        client, settings, "staff@example.org", back="heide@example.org", role="staff"
    ) as staff:
        text = _text((await staff.get(f"/veranstaltungen/{meeting_id}/live/abstimmung", headers=HX)).text)
        assert "Ja: 1 Stimme (100 %)" in text and "Nur die Verwaltung sieht diese Zwischenstände" in text
        r = await post_form(
            staff,
            f"/verwaltung/veranstaltungen/{meeting_id}/abstimmungen/{poll_id}",
            {"aktion": "schliessen"},
        )
        assert r.status_code == 303

    text = _text((await client.get(f"/veranstaltungen/{meeting_id}/live/abstimmung", headers=HX)).text)
    assert "Abgeschlossene Abstimmungen" in text and "Ja: 1 Stimme (100 %)" in text
    assert "1 Person hat abgestimmt." in text
    r = await post_form(client, vote, {"option": str(yes)})
    assert r.status_code == 409


async def test_live_results_are_seen_by_those_who_cannot_vote(client, settings):
    """A visitor who can't take part watches the standings grow (results=live)."""
    meeting_id = await make_meeting(settings, state="live")
    poll_id, (yes, _no, _x) = await _make_poll(settings, meeting_id)
    await run_sql(
        settings,
        lambda db: db.execute(update(MeetingPoll).where(MeetingPoll.id == poll_id).values(ballot_count=4)),
    )
    await run_sql(
        settings,
        lambda db: db.execute(
            update(MeetingPollOption).where(MeetingPollOption.id == yes).values(vote_count=3)
        ),
    )
    text = _text((await client.get(f"/veranstaltungen/{meeting_id}")).text)
    assert "Ja: 3 Stimmen (75 %)" in text and "4 Teilnehmende haben abgestimmt." in text


async def test_staff_routes_refuse_residents_and_visitors(client, settings):
    meeting_id = await make_meeting(settings, state="live")
    poll_id, _ = await _make_poll(settings, meeting_id, state="draft")
    create = f"/verwaltung/veranstaltungen/{meeting_id}/abstimmungen"
    action = f"{create}/{poll_id}"
    r = await post_form(client, create, _create_form())
    assert r.status_code == 303 and r.headers["location"].startswith("/anmelden")
    r = await post_form(client, action, {"aktion": "oeffnen"})
    assert r.status_code == 303 and r.headers["location"].startswith("/anmelden")
    for role in ("resident", "moderator"):
        async with _signed_in(client, settings, f"{role}@example.org", role=role) as c:
            page = await c.get(f"/veranstaltungen/{meeting_id}")
            assert "Neue Abstimmung vorbereiten" not in page.text and "Abstimmung öffnen" not in page.text
            assert (await post_form(c, create, _create_form())).status_code == 403
            for aktion in ("oeffnen", "schliessen", "loeschen"):
                assert (await post_form(c, action, {"aktion": aktion})).status_code == 403
    poll = await _poll(settings, poll_id)
    assert poll is not None and poll.state == PollState.DRAFT
    count = await run_sql(
        settings,
        lambda db: db.scalar(
            select(func.count()).select_from(MeetingPoll).where(MeetingPoll.meeting_id == meeting_id)
        ),
    )
    assert count == 1


async def test_guests_vote_where_the_meeting_allows_them(client, settings):
    meeting_id = await make_meeting(settings, state="live", allow_guests=True)
    poll_id, (yes, _no, _x) = await _make_poll(settings, meeting_id)
    vote = f"/veranstaltungen/{meeting_id}/abstimmungen/{poll_id}/stimme"
    page = await client.get(f"/veranstaltungen/{meeting_id}")
    assert "wählen Sie oben einen Anzeigenamen als Gast" in page.text
    r = await post_form(client, vote, {"option": str(yes)})
    assert r.status_code == 303 and r.headers["location"].startswith("/anmelden")  # no name yet
    r = await post_form(client, f"/veranstaltungen/{meeting_id}/gast", {"name": "Gast vom Sande"})
    assert r.status_code == 303
    page = await client.get(f"/veranstaltungen/{meeting_id}")
    assert 'type="radio"' in page.text and "Sie stimmen als Gast „Gast vom Sande“ ab" in page.text
    r = await post_form(client, vote, {"option": str(yes)}, htmx=True)
    assert r.status_code == 200 and "Ja: 1 Stimme (100 %)" in _text(r.text)
    r = await post_form(client, vote, {"option": str(yes)})
    assert r.status_code == 409
    ballots = await run_sql(
        settings, lambda db: db.scalars(select(MeetingPollBallot).where(MeetingPollBallot.poll_id == poll_id))
    )
    (ballot,) = list(ballots)
    assert ballot.voter_key.startswith("g:") and ballot.user_id is None

    # Without guests, a visitor must sign in.
    closed_doors = await make_meeting(settings, state="live", title="Nur mit Konto")
    poll2, (yes2, _n, _e) = await _make_poll(settings, closed_doors)
    r = await post_form(
        client, f"/veranstaltungen/{closed_doors}/abstimmungen/{poll2}/stimme", {"option": str(yes2)}
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/anmelden")
    assert await _rows(settings, poll2) == (0, {})
