"""Every link in every mail and in the calendar file is absolute, also when
``BETEILIGUNG_BASE_URL`` is unset (issue 21 item 12, issue 20 item 3): a mail is read outside the
site, where ``/vorhaben/…#comment-46`` or ``/netiquette`` leads nowhere. Unset, the links use the
documented default ``http://<host>:<port>`` (``Settings.resolved_base_url``)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from beteiligung.moderation.models import Review
from beteiligung.settings import Settings
from tests.conftest import DEMO_PASSWORD, Mailbox, login, make_user, post_form, reset_database
from tests.meeting_factories import make_meeting
from tests.participation_factories import make_consultation, run_sql

ABSOLUTE = re.compile(r"https?://[^\s<>\"']+")
# What is left of a relative link once the absolute ones are cut out: a path at the start of a
# word ("/netiquette", "(/vorhaben/x)"), or a path after "URL:" in the calendar file.
RELATIVE = re.compile(r"(?:^|[\s(<\"':;=])(/[\w\-./?=&#%]+)", re.M)


def relative_links(text: str) -> list[str]:
    return RELATIVE.findall(ABSOLUTE.sub(" ", text.replace("\r\n ", "")))


@pytest.fixture
async def bare(settings: Settings) -> AsyncIterator[tuple[AsyncTestClient[Any], Settings]]:
    """The app with ``BETEILIGUNG_BASE_URL`` unset."""
    from beteiligung.app import create_app

    unset = replace(settings, base_url="")
    assert unset.resolved_base_url.startswith("http://")
    await reset_database(unset)
    async with AsyncTestClient(app=create_app(unset), base_url="http://testserver.local") as c:
        c.follow_redirects = False
        yield c, unset


async def _review_of(settings: Settings, target: int, *, proposal: bool = False) -> int:
    column = Review.proposal_id if proposal else Review.comment_id

    async def q(db: Any) -> int:
        return int(await db.scalar(select(Review.id).where(column == target)))

    return int(await run_sql(settings, q))


async def _comment(client: Any, body: str) -> int:
    r = await post_form(client, "/vorhaben/isek-2030/kommentare", {"body": body})
    assert r.status_code == 303, r.text
    return int(r.headers["location"].rsplit("-", 1)[1])


async def test_every_mail_and_the_calendar_link_absolutely_without_base_url(bare, mailbox: Mailbox):
    client, settings = bare
    base = settings.resolved_base_url
    await make_consultation(settings, moderation_mode="pre")
    author = "autorin@example.org"
    await make_user(settings, email=author, display_name="Jonas")
    await make_user(settings, email="mod@example.org", role="moderator")
    await make_user(settings, email="staff@example.org", role="staff")

    # Account mails: registration, a second registration of a known address, a new link,
    # the password reset and its confirmation, the change of address (old and new address).
    form = {"display_name": "Neu", "email": "neu@example.org", "password": "ein langer Satz als Passwort"}
    assert (await post_form(client, "/registrieren", {**form, "accept_terms": "on"})).status_code == 303
    assert (await post_form(client, "/registrieren", {**form, "accept_terms": "on"})).status_code == 303
    # Signing in before confirming sends a new link.
    r = await post_form(client, "/anmelden", {"email": "neu@example.org", "password": form["password"]})
    assert "neuen Link geschickt" in r.text
    assert (await post_form(client, "/passwort-vergessen", {"email": author})).status_code == 303
    token = mailbox.last_link(author, "/passwort-neu").split("token=")[1]
    r = await post_form(client, "/passwort-neu", {"token": token, "password": "ganz neues Passwort 2026"})
    assert r.status_code == 303
    await make_user(settings, email="wechsel@example.org")
    await login(client, "wechsel@example.org")
    for new_email in (author, "neu2@example.org"):  # taken (the owner is told), then free
        r = await post_form(
            client, "/konto/email", {"new_email": new_email, "current_password": DEMO_PASSWORD}
        )
        assert r.status_code == 303
    token = mailbox.last_link("neu2@example.org", "/email-bestaetigen").split("token=")[1]
    assert (await post_form(client, "/email-bestaetigen", {"token": token})).status_code == 303
    await post_form(client, "/abmelden", {})

    # A proposal answered by staff; two comments held and decided (hidden, sent back for editing)
    # by the moderation, one by itself and one in a bulk decision.
    await login(client, author, "ganz neues Passwort 2026")
    r = await post_form(
        client,
        "/vorhaben/isek-2030/vorschlaege/neu",
        {
            "title": "Mehr Fahrradbügel am Bahnhof",
            "body": "Am Bahnhof Lüneburg fehlen sichere Abstellplätze für Fahrräder.",
            "topic": "wirtschaft",
            "place": "Bahnhof",
        },
    )
    assert r.status_code == 303, r.text
    pid = int(r.headers["location"].rsplit("/", 1)[1])
    hidden = await _comment(client, "Das ist ein Kommentar, der gegen eine Regel verstößt.")
    edit = await _comment(client, "Das ist ein Kommentar, der überarbeitet werden sollte.")
    bulk = await _comment(client, "Das ist ein Kommentar, der im Stapel ausgeblendet wird.")
    await post_form(client, "/abmelden", {})
    await login(client, "mod@example.org")
    r = await post_form(
        client,
        "/moderation/sammelaktion",
        {"ids": str(await _review_of(settings, pid, proposal=True)), "decision": "approve"},
    )
    assert r.status_code == 303, r.text
    for cid, decision in ((hidden, "hide"), (edit, "request_edit")):
        review = await _review_of(settings, cid)
        assert (await post_form(client, f"/moderation/{review}/uebernehmen", {})).status_code == 303
        r = await post_form(
            client,
            f"/moderation/{review}/entscheidung",
            {"decision": decision, "rule": "2", "reason": "Sachlich."},
        )
        assert r.status_code == 303, r.text
    r = await post_form(
        client,
        "/moderation/sammelaktion",
        {"ids": str(await _review_of(settings, bulk)), "decision": "hide", "rule": "2"},
    )
    assert r.status_code == 303, r.text
    await post_form(client, "/abmelden", {})
    await login(client, "staff@example.org")
    statement = "Die Verwaltung prüft das, siehe Netiquette und Impressum der Stadt."
    r = await post_form(client, f"/vorschlaege/{pid}/antwort", {"state": "accepted", "text": statement})
    assert r.status_code == 303, r.text

    subjects = [m["Subject"] for m in mailbox.messages]
    for expected in (
        "Bitte bestätigen Sie Ihre E-Mail-Adresse",
        "Registrierung bei",
        "Passwort zurücksetzen",
        "Ihr Passwort wurde geändert",
        "Änderung der E-Mail-Adresse",
        "Bitte bestätigen Sie Ihre neue E-Mail-Adresse",
        "Ihre E-Mail-Adresse wurde geändert",
        "Antwort auf Ihren Vorschlag",
        "Ihr Beitrag wurde von der Moderation entfernt",
        "Bitte überarbeiten Sie Ihren Beitrag",
    ):
        assert any(expected in s for s in subjects), (expected, subjects)
    assert sum("von der Moderation entfernt" in s for s in subjects) == 2, "the bulk decision mails too"

    for msg in mailbox.messages:
        text = Mailbox.text(msg)
        assert not relative_links(text), (msg["Subject"], relative_links(text), text)
        links = ABSOLUTE.findall(text)
        assert all(link.startswith(base + "/") for link in links), (msg["Subject"], links)
    decision = next(m for m in mailbox.messages if "überarbeiten" in m["Subject"])
    links = ABSOLUTE.findall(Mailbox.text(decision))
    for path in (f"/vorhaben/isek-2030#comment-{edit}", "/netiquette", "/impressum", "/konto/mitteilungen"):
        assert base + path in links, (path, links)

    # The calendar file of a meeting.
    meeting = await make_meeting(settings)
    ics = (await client.get(f"/veranstaltungen/{meeting}/kalender.ics")).text.replace("\r\n ", "")
    assert f"URL:{base}/veranstaltungen/{meeting}\r\n" in ics, ics
    assert not relative_links(ics), relative_links(ics)


def test_relative_links_are_found():
    """The checker itself: it sees what the broken mails held."""
    assert relative_links("Zum Beitrag:\n/vorhaben/isek#comment-46\n") == ["/vorhaben/isek#comment-46"]
    assert relative_links("Netiquette:\n/netiquette") == ["/netiquette"]
    assert relative_links("URL:/veranstaltungen/3\r\n") == ["/veranstaltungen/3"]
    assert relative_links("Link: http://127.0.0.1:8000/netiquette und https://x.de/a/b") == []
