"""The participation core through HTTP: full pages and htmx fragments, for each route."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from beteiligung.comments.models import Comment
from beteiligung.consultations.phases import PhaseKind
from beteiligung.proposals.models import Proposal, Support
from tests.conftest import login, make_user, post_form
from tests.participation_factories import make_consultation, run_sql

HX = {"HX-Request": "true"}


async def _proposal(client: Any, title: str = "Mehr Fahrradbügel am Bahnhof") -> int:
    r = await post_form(
        client,
        "/vorhaben/isek-2030/vorschlaege/neu",
        {
            "title": title,
            "body": "Am Bahnhof Lüneburg fehlen sichere Abstellplätze für Fahrräder.",
            "topic": "wirtschaft",
            "place": "Bahnhof",
        },
    )
    assert r.status_code == 303, r.text
    return int(r.headers["location"].rsplit("/", 1)[1])


async def test_resident_submits_and_another_supports(client, settings):
    await make_consultation(settings)
    await make_user(settings, email="a@example.org", display_name="Jonas vom Stint")
    await make_user(settings, email="b@example.org", display_name="Mareike")
    await login(client, "a@example.org")
    r = await client.get("/vorhaben")
    assert r.status_code == 200 and "ISEK 2030+" in r.text
    r = await client.get("/vorhaben/isek-2030")
    assert r.status_code == 200 and "Vorschlag einreichen" in r.text
    r = await client.get("/vorhaben/isek-2030/vorschlaege/neu")
    assert r.status_code == 200
    pid = await _proposal(client)
    r = await client.get(f"/vorschlaege/{pid}")
    assert r.status_code == 200 and "Mehr Fahrradbügel am Bahnhof" in r.text
    assert "Ihr eigener Vorschlag" in r.text
    # the author cannot support their own proposal
    r = await post_form(client, f"/vorschlaege/{pid}/unterstuetzen", {})
    assert r.status_code == 403 and "eigenen Vorschlag" in r.text
    await post_form(client, "/abmelden", {})
    await login(client, "b@example.org")
    r = await post_form(client, f"/vorschlaege/{pid}/unterstuetzen", {"view": "seite"}, htmx=True)
    assert r.status_code == 200, r.text
    assert "<html" not in r.text and f'id="proposal-{pid}-supports"' in r.text
    assert "Unterstützung zurückziehen" in r.text and "bt:announce" in r.headers["hx-trigger"]
    # twice: still one support
    r = await post_form(client, f"/vorschlaege/{pid}/unterstuetzen", {"next": f"/vorschlaege/{pid}"})
    assert r.status_code == 303 and r.headers["location"] == f"/vorschlaege/{pid}"
    count = await run_sql(settings, lambda db: db.scalar(select(func.count()).select_from(Support)))
    assert count == 1
    r = await client.get(f"/vorschlaege/{pid}")
    assert re.search(r"<strong>1</strong>\s*Unterstützung\b", r.text)
    r = await post_form(client, f"/vorschlaege/{pid}/zurueckziehen", {"view": "liste"}, htmx=True)
    assert r.status_code == 200 and ">Unterstützen<" in r.text.replace("\n", "").replace(" ", "")
    r = await client.get("/vorhaben/isek-2030/vorschlaege?sortierung=neueste")
    assert r.status_code == 200 and "Mehr Fahrradbügel" in r.text
    r = await client.get("/vorhaben/isek-2030/vorschlaege?sortierung=unterstuetzt", headers=HX)
    assert r.status_code == 200 and "<html" not in r.text and 'id="proposal-results"' in r.text


async def test_comments_replies_votes_edit_delete(client, settings):
    await make_consultation(settings)
    await make_user(settings, email="a@example.org", display_name="Jonas")
    await make_user(settings, email="b@example.org", display_name="Mareike")
    await login(client, "a@example.org")
    pid = await _proposal(client)
    r = await post_form(client, f"/vorschlaege/{pid}/kommentare", {"body": "Gute Idee, auch am Sande!"})
    assert r.status_code == 303 and "#comment-" in r.headers["location"]
    cid = int(r.headers["location"].rsplit("-", 1)[1])
    # edit within 15 minutes → "bearbeitet"
    r = await post_form(
        client, f"/kommentare/{cid}/bearbeiten", {"body": "Gute Idee, auch Am Sande!"}, htmx=True
    )
    assert r.status_code == 200 and "bearbeitet" in r.text and "<html" not in r.text
    await post_form(client, "/abmelden", {})
    await login(client, "b@example.org")
    r = await post_form(
        client, f"/vorschlaege/{pid}/kommentare", {"body": "Ich stimme zu.", "parent": str(cid)}, htmx=True
    )
    assert r.status_code == 200 and 'id="comments"' in r.text and "Ich stimme zu." in r.text
    r = await post_form(client, f"/kommentare/{cid}/bewertung", {"value": "1"}, htmx=True)
    assert r.status_code == 200 and f'id="comment-{cid}-votes"' in r.text and "Hilfreich (1)" in r.text
    r = await post_form(client, f"/kommentare/{cid}/bewertung", {"value": "-1"}, htmx=True)
    assert "Hilfreich (0)" in r.text and "Nicht hilfreich (1)" in r.text
    # not the author: cannot edit or delete
    r = await post_form(client, f"/kommentare/{cid}/loeschen", {})
    assert r.status_code == 403
    await post_form(client, "/abmelden", {})
    await login(client, "a@example.org")
    r = await post_form(client, f"/kommentare/{cid}/loeschen", {})
    assert r.status_code == 303
    r = await client.get(f"/vorschlaege/{pid}")
    assert "von der verfassenden Person gelöscht" in r.text and "Ich stimme zu." in r.text
    n = await run_sql(
        settings, lambda db: db.scalar(select(Proposal.comment_count).where(Proposal.id == pid))
    )
    assert n == 1  # the deleted comment no longer counts, the reply does
    rows = await run_sql(settings, lambda db: db.scalar(select(func.count()).select_from(Comment)))
    assert rows == 2


async def test_closed_phase_answers_409_with_reason(client, settings):
    await make_consultation(settings, kinds=(PhaseKind.COLLECTION, PhaseKind.EVALUATION), current=1)
    await make_user(settings, email="a@example.org")
    await login(client, "a@example.org")
    r = await client.get("/vorhaben/isek-2030/vorschlaege/neu")
    assert r.status_code == 409 and "Frist dafür ist am" in r.text
    r = await post_form(client, "/vorhaben/isek-2030/vorschlaege/neu", {"title": "Zu spät", "body": "x" * 30})
    assert r.status_code == 409
    r = await post_form(client, "/vorhaben/isek-2030/kommentare", {"body": "Hallo"}, htmx=True)
    assert r.status_code == 409 and r.headers["hx-retarget"] == "#page-alert" and "<html" not in r.text


async def test_live_parts_render_the_pages_own_blocks_for_the_viewer(client, settings):
    await make_consultation(settings)
    await make_user(settings, email="a@example.org", display_name="Jonas")
    await make_user(settings, email="b@example.org", display_name="Mareike")
    await login(client, "a@example.org")
    pid = await _proposal(client)
    r = await post_form(client, f"/vorschlaege/{pid}/kommentare", {"body": "Erster Kommentar"})
    cid = int(r.headers["location"].rsplit("-", 1)[1])
    page = await client.get(f"/vorschlaege/{pid}")
    assert 'hx-sse:connect="/live/vorschlaege/' in page.text and "?seit=" in page.text
    parts = {
        f"/vorschlaege/{pid}/live/unterstuetzung": f'id="proposal-{pid}-supports"',
        f"/vorschlaege/{pid}/live/unterstuetzung?ansicht=liste": "live/unterstuetzung?ansicht=liste",
        f"/vorschlaege/{pid}/live/antwort": f'id="proposal-{pid}-answer"',
        f"/vorschlaege/{pid}/live/kommentare": 'id="comments"',
        f"/kommentare/{cid}/live/bewertung": f'id="comment-{cid}-votes"',
        "/vorhaben/isek-2030/live/kommentare": 'id="comments"',
        "/vorhaben/isek-2030/live/stand": "Vorschläge ansehen",
    }
    for url, marker in parts.items():
        r = await client.get(url, headers=HX)
        assert r.status_code == 200 and marker in r.text and "<html" not in r.text, url
        plain = await client.get(url)
        assert plain.status_code == 303, url  # without htmx: the page itself
    # rendered for this viewer: the author sees no vote buttons on their own comment, another does
    r = await client.get(f"/kommentare/{cid}/live/bewertung", headers=HX)
    assert "<button" not in r.text
    await post_form(client, "/abmelden", {})
    await login(client, "b@example.org")
    r = await client.get(f"/kommentare/{cid}/live/bewertung", headers=HX)
    assert 'aria-pressed="false"' in r.text
    assert (await client.get(f"/vorschlaege/{pid}/live/unbekannt", headers=HX)).status_code == 404


async def test_readiness_reports_the_live_listener(client):
    r = await client.get("/readyz")
    assert r.status_code == 200
    assert r.json()["live"] == {"listener": "ok", "streams": 0}
