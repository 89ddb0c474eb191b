"""Bad input, unknown ids, closed actions, staff answers, paper contributions, search and sorts."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update

from beteiligung.comments.models import Comment
from beteiligung.consultations.models import ConsultationStatus
from beteiligung.consultations.phases import PhaseKind
from beteiligung.proposals.models import Proposal
from tests.conftest import login, make_user, post_form
from tests.participation_factories import make_consultation, run_sql

HX = {"HX-Request": "true"}
NEW = "/vorhaben/isek-2030/vorschlaege/neu"
VALID = {
    "title": "Leerstand am Sande beleben",
    "body": "Pop-up-Läden für junge Unternehmen in leeren Geschäften.",
}


async def _setup(settings: Any, client: Any, **kwargs: Any) -> None:
    await make_consultation(settings, **kwargs)
    await make_user(settings, email="a@example.org", display_name="Jonas")
    await login(client, "a@example.org")


async def test_empty_and_overlong_input_come_back_with_errors_and_values(client, settings):
    await _setup(settings, client)
    r = await post_form(client, NEW, {"title": "", "body": "", "place": "Am Sande"})
    assert r.status_code == 422
    assert "Bitte füllen Sie das Feld „Titel“ aus." in r.text and 'value="Am Sande"' in r.text
    assert 'aria-invalid="true"' in r.text and "Bitte korrigieren Sie 2 Angaben" in r.text
    r = await post_form(client, NEW, {"title": "x" * 151, "body": VALID["body"]}, htmx=True)
    assert r.status_code == 422 and "<html" not in r.text and 'id="proposal"' in r.text
    assert "höchstens 150 Zeichen" in r.text and VALID["body"] in r.text
    r = await post_form(client, NEW, {**VALID, "topic": "gibt-es-nicht"})
    assert r.status_code == 422 and "angebotenen Einträge" in r.text
    r = await post_form(client, "/vorhaben/isek-2030/kommentare", {"body": ""})
    assert r.status_code == 422 and "Ihr Kommentar" in r.text and "<html" in r.text
    count = await run_sql(settings, lambda db: db.scalar(select(func.count()).select_from(Proposal)))
    assert count == 0


async def test_script_tags_are_shown_as_text(client, settings):
    await _setup(settings, client)
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    r = await post_form(
        client, NEW, {"title": f"Titel {evil}"[:150], "body": f"Text {evil} Ende des Textes."}
    )
    assert r.status_code == 303
    page = await client.get(r.headers["location"])
    assert "<script>alert(1)</script>" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    pid = r.headers["location"].rsplit("/", 1)[1]
    r = await post_form(client, f"/vorschlaege/{pid}/kommentare", {"body": evil})
    page = await client.get(f"/vorschlaege/{pid}")
    assert "<script>alert(1)</script>" not in page.text and "<img src=x" not in page.text


async def test_unknown_ids_answer_404(client, settings):
    await _setup(settings, client)
    for url in ["/vorschlaege/999999", "/vorhaben/gibt-es-nicht", "/vorhaben/gibt-es-nicht/vorschlaege"]:
        r = await client.get(url)
        assert r.status_code == 404, url
        assert "Seite nicht gefunden" in r.text
    for url in [
        "/vorschlaege/999999/unterstuetzen",
        "/kommentare/999999/bewertung",
        "/kommentare/999999/loeschen",
    ]:
        r = await post_form(client, url, {"value": "1"})
        assert r.status_code == 404, url
    r = await client.get("/vorschlaege/abc")
    assert r.status_code in (400, 404) and "Traceback" not in r.text


async def test_reply_must_stay_on_its_thread_and_three_levels(client, settings):
    await _setup(settings, client)
    r = await post_form(client, NEW, VALID)
    pid = int(r.headers["location"].rsplit("/", 1)[1])
    r = await post_form(client, "/vorhaben/isek-2030/kommentare", {"body": "Zum Verfahren"})
    consultation_comment = int(r.headers["location"].rsplit("-", 1)[1])
    r = await post_form(
        client, f"/vorschlaege/{pid}/kommentare", {"body": "Antwort", "parent": str(consultation_comment)}
    )
    assert r.status_code == 404  # a parent from another thread
    parent = None
    for depth in (1, 2, 3):
        data = {"body": f"Ebene {depth}"} | ({"parent": str(parent)} if parent else {})
        r = await post_form(client, f"/vorschlaege/{pid}/kommentare", data)
        assert r.status_code == 303
        parent = int(r.headers["location"].rsplit("-", 1)[1])
    r = await post_form(client, f"/vorschlaege/{pid}/kommentare", {"body": "Ebene 4", "parent": str(parent)})
    assert r.status_code == 409 and "nicht weiter geantwortet" in r.text
    page = await client.get(f"/vorschlaege/{pid}")
    assert page.text.count("comment--depth-3") == 1


async def test_double_submit_creates_one_record(client, settings):
    await _setup(settings, client)
    data = {**VALID, "submission_key": "a" * 32}
    first = await post_form(client, NEW, data)
    second = await post_form(client, NEW, data)
    assert first.headers["location"] == second.headers["location"]
    r = await post_form(
        client, "/vorhaben/isek-2030/kommentare", {"body": "Einmal", "submission_key": "b" * 32}
    )
    r2 = await post_form(
        client, "/vorhaben/isek-2030/kommentare", {"body": "Einmal", "submission_key": "b" * 32}
    )
    assert r.headers["location"] == r2.headers["location"]
    assert await run_sql(settings, lambda db: db.scalar(select(func.count()).select_from(Comment))) == 1


async def test_edit_window_closes_after_15_minutes(client, settings):
    await _setup(settings, client)
    r = await post_form(client, "/vorhaben/isek-2030/kommentare", {"body": "Erste Fassung"})
    cid = int(r.headers["location"].rsplit("-", 1)[1])
    page = await client.get("/vorhaben/isek-2030")
    assert f'action="/kommentare/{cid}/bearbeiten"' in page.text

    async def age(db: Any) -> None:
        c = await db.get(Comment, cid)
        await db.execute(
            update(Comment).where(Comment.id == cid).values(created_at=c.created_at - timedelta(minutes=16))
        )

    await run_sql(settings, age)
    page = await client.get("/vorhaben/isek-2030")
    assert f'action="/kommentare/{cid}/bearbeiten"' not in page.text
    r = await post_form(client, f"/kommentare/{cid}/bearbeiten", {"body": "Zweite Fassung"})
    assert r.status_code == 409 and "15 Minuten" in r.text


async def test_staff_answer_is_public_and_the_author_is_told(client, settings, mailbox):
    await _setup(settings, client)
    r = await post_form(client, NEW, VALID)
    pid = int(r.headers["location"].rsplit("/", 1)[1])
    assert (await client.get(f"/vorschlaege/{pid}/antwort")).status_code == 403
    await post_form(client, "/abmelden", {})
    await make_user(settings, email="staff@example.org", display_name="Stadtplanung", role="staff")
    await login(client, "staff@example.org")
    r = await client.get(f"/vorschlaege/{pid}/antwort")
    assert r.status_code == 200 and "Stellungnahme" in r.text
    r = await post_form(client, f"/vorschlaege/{pid}/antwort", {"state": "accepted", "text": "kurz"})
    assert r.status_code == 422 and "mindestens 10 Zeichen" in r.text
    statement = "Die Verwaltung prüft Zwischennutzungen gemeinsam mit dem Citymanagement."
    r = await post_form(
        client, f"/vorschlaege/{pid}/antwort", {"state": "partially_accepted", "text": statement}
    )
    assert r.status_code == 303
    page = await client.get(f"/vorschlaege/{pid}")
    assert "Teilweise angenommen" in page.text and statement in page.text
    mails = mailbox.to("a@example.org")
    assert mails and "Antwort auf Ihren Vorschlag" in mails[-1]["Subject"]
    assert f"/vorschlaege/{pid}" in mailbox.text(mails[-1]) and "Teilweise angenommen" in mailbox.text(
        mails[-1]
    )
    r = await client.get("/vorhaben/isek-2030/vorschlaege?status=partially_accepted&sortierung=neueste")
    assert VALID["title"] in r.text
    r = await client.get("/vorhaben/isek-2030/vorschlaege?status=rejected&sortierung=neueste")
    assert VALID["title"] not in r.text and "Keine Vorschläge gefunden" in r.text


async def test_staff_records_a_paper_contribution(client, settings):
    await make_consultation(settings)
    await make_user(settings, email="staff@example.org", display_name="Stadtplanung", role="staff")
    await login(client, "staff@example.org")
    r = await client.get("/vorhaben/isek-2030/vorschlaege/erfassen")
    assert r.status_code == 200
    r = await post_form(
        client,
        "/vorhaben/isek-2030/vorschlaege/erfassen",
        {"source": "paper", "source_note": "Postkarte aus dem Bürgeramt", **VALID},
    )
    assert r.status_code == 303
    page = await client.get(r.headers["location"])
    assert (
        "Auf Papier eingereicht, von der Verwaltung erfasst" in page.text
        and "Postkarte aus dem Bürgeramt" in page.text
    )
    row = await run_sql(settings, lambda db: db.scalar(select(Proposal)))
    assert row.author_id is None and row.source == "paper" and row.recorded_by_id is not None


async def test_staff_cannot_support_and_residents_cannot_record(client, settings):
    await _setup(settings, client)
    r = await client.get("/vorhaben/isek-2030/vorschlaege/erfassen")
    assert r.status_code == 403


async def test_search_and_filters_of_the_project_list(client, settings):
    await make_consultation(
        settings, slug="isek-2030", title="Stadt der Arbeit und Ideen", topics=("Wirtschaft",)
    )
    await make_consultation(
        settings,
        slug="digital",
        title="Digitalisierung als Chance der Teilhabe",
        summary="Digitale Angebote für alle Lüneburger:innen",
        topics=("Digitalisierung",),
        kinds=(PhaseKind.DISCUSSION,),
        current=-1,
    )
    await make_consultation(
        settings, slug="entwurf", title="Geheimer Entwurf", status=ConsultationStatus.DRAFT
    )
    r = await client.get("/vorhaben")
    assert (
        "Stadt der Arbeit" in r.text
        and "Digitalisierung als Chance" in r.text
        and "Geheimer Entwurf" not in r.text
    )
    r = await client.get("/vorhaben?q=Digitalisierung")
    assert "Digitalisierung als Chance" in r.text and "Stadt der Arbeit" not in r.text
    r = await client.get("/vorhaben?q=Teilhabe+Angebote")
    assert "Digitalisierung als Chance" in r.text
    r = await client.get("/vorhaben?q=Ideen")
    assert "Stadt der Arbeit" in r.text and "Digitalisierung als Chance" not in r.text
    r = await client.get('/vorhaben?q="unbalanced AND OR (')
    assert r.status_code == 200
    r = await client.get("/vorhaben?q=Entwurf")
    assert "Geheimer Entwurf" not in r.text
    r = await client.get("/vorhaben?status=abgeschlossen")
    assert "Digitalisierung als Chance" in r.text and "Stadt der Arbeit" not in r.text
    r = await client.get("/vorhaben?status=laufend")
    assert "Stadt der Arbeit" in r.text and "Digitalisierung als Chance" not in r.text
    r = await client.get("/vorhaben?thema=wirtschaft", headers=HX)
    assert r.status_code == 200 and "<html" not in r.text and "Stadt der Arbeit" in r.text
    assert "Digitalisierung als Chance" not in r.text and "bt:announce" in r.headers["hx-trigger"]
    r = await client.get("/vorhaben?seite=abc")
    assert r.status_code == 200


async def test_random_order_is_stable_per_visitor_and_paginated(client, settings):
    cid = await make_consultation(settings)
    from tests.integration.test_participation_integrity import _proposals, _users

    authors = await _users(settings, 3)
    await _proposals(settings, cid, authors, 45)
    r1 = await client.get("/vorhaben/isek-2030/vorschlaege")
    assert 'value="zufall" selected' in r1.text  # the neutral default while proposals are collected
    seed = re.search(r'name="seed" value="(\d+)"', r1.text).group(1)  # type: ignore[union-attr]
    ids = lambda text: re.findall(r'id="proposal-(\d+)"', text)  # noqa: E731
    r2 = await client.get("/vorhaben/isek-2030/vorschlaege")
    assert ids(r1.text) == ids(r2.text)
    page2 = await client.get(f"/vorhaben/isek-2030/vorschlaege?sortierung=zufall&seed={seed}&seite=2")
    page3 = await client.get(f"/vorhaben/isek-2030/vorschlaege?sortierung=zufall&seed={seed}&seite=3")
    seen = ids(r1.text) + ids(page2.text) + ids(page3.text)
    assert len(seen) == 45 and len(set(seen)) == 45
    other = await client.get("/vorhaben/isek-2030/vorschlaege?sortierung=zufall&seed=12345")
    assert ids(other.text)[:5] != ids(r1.text)[:5]  # another seed, another order (not a rotation)
    assert f"seed={seed}" in r1.text and "seite=2" in r1.text
    newest = await client.get("/vorhaben/isek-2030/vorschlaege?sortierung=neueste")
    assert ids(newest.text)[0] > ids(newest.text)[-1] or int(ids(newest.text)[0]) < int(ids(newest.text)[-1])
