"""Moderation through HTTP on both databases: pre-moderation, flags, automatic checks, the queue
with claims and decisions, bulk actions, blocks, edit requests and the role table."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from beteiligung.comments.models import Comment
from beteiligung.consultations.models import Consultation
from beteiligung.moderation.models import Flag, ModerationLog, Review, ReviewStatus
from beteiligung.notifications.models import Notification
from beteiligung.proposals.models import Proposal
from tests.conftest import login, make_user, post_form
from tests.participation_factories import make_consultation, run_sql

HX = {"HX-Request": "true"}
SLUG = "isek-2030"


async def _comment(client: Any, body: str, url: str = f"/vorhaben/{SLUG}/kommentare") -> int:
    r = await post_form(client, url, {"body": body})
    assert r.status_code == 303, r.text
    return int(r.headers["location"].rsplit("-", 1)[1])


async def _logout(client: Any) -> None:
    await post_form(client, "/abmelden", {})


async def _review_id(settings: Any, comment_id: int) -> int:
    async def q(db: Any) -> int:
        return int(await db.scalar(select(Review.id).where(Review.comment_id == comment_id)))

    return int(await run_sql(settings, q))


async def _count(settings: Any, stmt: Any) -> int:
    async def q(db: Any) -> int:
        return int(await db.scalar(stmt) or 0)

    return int(await run_sql(settings, q))


async def _setup(settings: Any, **fields: Any) -> None:
    await make_consultation(settings, **fields)
    await make_user(settings, email="a@example.org", display_name="Jonas")
    await make_user(settings, email="b@example.org", display_name="Mareike")
    await make_user(settings, email="mod@example.org", display_name="Moderation Kim", role="moderator")
    await make_user(settings, email="mod2@example.org", display_name="Moderation Ole", role="moderator")


async def _decide(client: Any, review_id: int, **data: str) -> Any:
    r = await post_form(client, f"/moderation/{review_id}/uebernehmen", {})
    assert r.status_code == 303, r.text
    return await post_form(client, f"/moderation/{review_id}/entscheidung", data)


async def test_pre_moderated_comment_is_nowhere_public_until_approved(client, settings):
    await _setup(settings, moderation_mode="pre")
    await login(client, "a@example.org")
    r = await post_form(
        client, f"/vorhaben/{SLUG}/kommentare", {"body": "Ein Café am Stintmarkt wäre schön."}
    )
    assert r.status_code == 303
    cid = int(r.headers["location"].rsplit("-", 1)[1])
    page = await client.get(r.headers["location"].split("#")[0])
    assert "wartet auf Freigabe" in page.text and "Ein Café am Stintmarkt" in page.text  # the author sees it
    await _logout(client)

    # Visitors and other residents: not on the page, not in the fragment, not in the count.
    for who in (None, "b@example.org"):
        if who:
            await login(client, who)
        page = await client.get(f"/vorhaben/{SLUG}")
        assert "Ein Café am Stintmarkt" not in page.text and "0 Kommentare" in page.text
        frag = await client.get(f"/vorhaben/{SLUG}/live/kommentare", headers=HX)
        assert frag.status_code == 200 and "Ein Café am Stintmarkt" not in frag.text
        assert (await client.get(f"/kommentare/{cid}/live/bewertung", headers=HX)).status_code == 404
        if who:
            await _logout(client)

    await login(client, "mod@example.org")
    queue = await client.get("/moderation")
    assert (
        queue.status_code == 200
        and "Ein Café am Stintmarkt" in queue.text
        and "Vorab-Moderation" in queue.text
    )
    assert "@example.org" not in queue.text  # moderators never see e-mail addresses (DS-17)
    review_id = await _review_id(settings, cid)
    r = await _decide(client, review_id, decision="approve")
    assert r.status_code == 303
    await _logout(client)
    page = await client.get(f"/vorhaben/{SLUG}")
    assert "Ein Café am Stintmarkt" in page.text and "1 Kommentar" in page.text

    async def check(db: Any) -> None:
        log = (await db.scalars(select(ModerationLog))).all()
        assert [(e.action, e.moderator_name, e.target_id) for e in log] == [
            ("approve", "Moderation Kim", cid)
        ]
        note = (await db.scalars(select(Notification))).one()
        assert note.kind == "moderation_approved"

    await run_sql(settings, check)


async def test_held_proposal_is_not_listed_counted_or_supportable(client, settings):
    await _setup(settings, moderation_mode="pre")
    await login(client, "a@example.org")
    r = await post_form(
        client,
        f"/vorhaben/{SLUG}/vorschlaege/neu",
        {
            "title": "Wasserspender am Sande",
            "body": "Trinkwasser für alle im Sommer.",
            "topic": "",
            "place": "",
        },
    )
    assert r.status_code == 303
    pid = int(r.headers["location"].rsplit("/", 1)[1])
    own = await client.get(f"/vorschlaege/{pid}")
    assert own.status_code == 200 and "Wartet auf Freigabe" in own.text
    await _logout(client)
    await login(client, "b@example.org")
    assert (await client.get(f"/vorschlaege/{pid}")).status_code == 404
    listing = await client.get(f"/vorhaben/{SLUG}/vorschlaege")
    assert "Wasserspender" not in listing.text
    r = await post_form(client, f"/vorschlaege/{pid}/unterstuetzen", {})
    assert r.status_code == 404
    count = await _count(settings, select(Consultation.proposal_count).where(Consultation.slug == SLUG))
    assert count == 0
    await _logout(client)

    await login(client, "mod@example.org")
    review_id = await _count(settings, select(Review.id).where(Review.proposal_id == pid))
    r = await _decide(client, review_id, decision="approve")
    assert r.status_code == 303
    await _logout(client)
    assert "Wasserspender" in (await client.get(f"/vorhaben/{SLUG}/vorschlaege")).text
    assert await _count(settings, select(Consultation.proposal_count).where(Consultation.slug == SLUG)) == 1


async def test_flags_hide_at_the_threshold_and_approval_restores(client, settings):
    await _setup(settings)
    for n in range(3):
        await make_user(settings, email=f"f{n}@example.org", display_name=f"Melder {n}")
    await login(client, "a@example.org")
    cid = await _comment(client, "Das ist alles Unsinn, ihr Pfeifen!")
    await _logout(client)
    await login(client, "f0@example.org")
    form = await client.get(f"/kommentare/{cid}/melden")
    assert form.status_code == 200 and "Grund der Meldung" in form.text
    # missing reason → 422 with the text kept; "anderes" needs an explanation
    r = await post_form(client, f"/kommentare/{cid}/melden", {"reason": "", "text": "Bitte prüfen"})
    assert r.status_code == 422 and "Bitte prüfen" in r.text
    r = await post_form(client, f"/kommentare/{cid}/melden", {"reason": "other", "text": ""})
    assert r.status_code == 422 and "beschreiben Sie kurz" in r.text
    r = await post_form(client, f"/kommentare/{cid}/melden", {"reason": "tampered", "text": ""})
    assert r.status_code == 422
    r = await post_form(client, f"/kommentare/{cid}/melden", {"reason": "insult", "text": "Beleidigung"})
    assert r.status_code == 303
    r = await post_form(client, f"/kommentare/{cid}/melden", {"reason": "spam", "text": ""})
    assert r.status_code == 303  # a second flag by the same person is ignored, not an error
    await _logout(client)
    assert await _count(settings, select(func.count()).select_from(Flag)) == 1
    assert "ihr Pfeifen" in (await client.get(f"/vorhaben/{SLUG}")).text  # below the threshold
    for n in (1, 2):
        await login(client, f"f{n}@example.org")
        r = await post_form(client, f"/kommentare/{cid}/melden", {"reason": "insult", "text": ""})
        assert r.status_code == 303
        await _logout(client)
    assert "ihr Pfeifen" not in (await client.get(f"/vorhaben/{SLUG}")).text  # three flags: held

    await login(client, "mod@example.org")
    queue = await client.get("/moderation?grund=flags")
    assert "Meldungen" in queue.text and "Beleidigend (3)" in queue.text and "Beleidigung" in queue.text
    r = await _decide(client, await _review_id(settings, cid), decision="dismiss")
    assert r.status_code == 303
    await _logout(client)
    assert "ihr Pfeifen" in (await client.get(f"/vorhaben/{SLUG}")).text
    assert (
        await _count(settings, select(func.count()).select_from(Flag).where(Flag.resolved_at.is_(None))) == 0
    )


async def test_hide_shows_the_netiquette_placeholder_and_tells_the_author(client, settings, mailbox):
    await _setup(settings)
    await login(client, "a@example.org")
    cid = await _comment(client, "Herr Müller aus der Bardowicker Straße 5 ist schuld!")
    await _logout(client)
    await login(client, "b@example.org")
    reply = await _comment(client, "Bitte keine Namen nennen.")
    assert reply
    await post_form(client, f"/kommentare/{cid}/melden", {"reason": "personal_data", "text": ""})
    await _logout(client)
    await login(client, "mod@example.org")
    review_id = await _review_id(settings, cid)
    # hiding needs a rule: 422 with the form kept
    r = await post_form(client, f"/moderation/{review_id}/uebernehmen", {})
    r = await post_form(
        client, f"/moderation/{review_id}/entscheidung", {"decision": "hide", "rule": "", "reason": "Adresse"}
    )
    assert r.status_code == 422 and "Regel der Netiquette" in r.text and "Adresse" in r.text
    r = await post_form(
        client,
        f"/moderation/{review_id}/entscheidung",
        {"decision": "hide", "rule": "4", "reason": "Bitte keine Adressen von Privatpersonen."},
        headers=HX,
    )
    assert r.status_code == 200 and "<html" not in r.text and 'id="queue"' in r.text
    await _logout(client)
    page = await client.get(f"/vorhaben/{SLUG}")
    assert "Bardowicker" not in page.text
    assert "Von der Moderation entfernt: Verstoß gegen Netiquette Nr. 4." in page.text
    await login(client, "a@example.org")
    notes = await client.get("/konto/mitteilungen")
    if notes.status_code == 200:
        assert "Verstoß gegen Netiquette Nr. 4" in notes.text


async def test_claims_keep_two_moderators_apart(client, settings):
    await _setup(settings, moderation_mode="pre")
    await login(client, "a@example.org")
    cid = await _comment(client, "Mehr Bänke im Kurpark, bitte.")
    await _logout(client)
    review_id = await _review_id(settings, cid)
    await login(client, "mod@example.org")
    assert (await post_form(client, f"/moderation/{review_id}/uebernehmen", {})).status_code == 303
    await _logout(client)
    await login(client, "mod2@example.org")
    queue = await client.get("/moderation")
    assert "In Bearbeitung von Moderation Kim" in queue.text
    r = await post_form(client, f"/moderation/{review_id}/uebernehmen", {}, headers=HX)
    assert r.status_code == 409 and "Moderation Kim" in r.text
    r = await post_form(client, f"/moderation/{review_id}/entscheidung", {"decision": "approve"})
    assert r.status_code == 409
    await _logout(client)
    await login(client, "mod@example.org")
    assert (await post_form(client, f"/moderation/{review_id}/freigeben", {})).status_code == 303
    await _logout(client)
    await login(client, "mod2@example.org")
    r = await _decide(client, review_id, decision="approve")
    assert r.status_code == 303
    r = await post_form(client, f"/moderation/{review_id}/entscheidung", {"decision": "hide", "rule": "2"})
    assert r.status_code == 409  # decided already


async def test_bulk_hide_of_fifty_is_one_action_with_fifty_log_entries(client, settings, mailbox):
    await _setup(settings, moderation_mode="pre")

    async def spam(db: Any) -> list[int]:
        consultation = (await db.scalars(select(Consultation))).one()
        author = await db.scalar(select(func.min(Comment.id)))  # none yet
        assert author is None
        from beteiligung.accounts.models import User
        from beteiligung.consultations.states import Visibility
        from beteiligung.db import utcnow
        from beteiligung.moderation.actions import open_review
        from beteiligung.moderation.models import Trigger

        user = (await db.scalars(select(User).where(User.display_name == "Jonas"))).one()
        ids = []
        for n in range(50):
            c = Comment(
                consultation_id=consultation.id,
                author_id=user.id,
                body=f"Billige Uhren {n} www.spam.example",
                visibility=Visibility.HELD,
            )
            db.add(c)
            await db.flush()
            review = await open_review(
                db, org_id=consultation.organisation_id, target=c, trigger=Trigger.AUTO, now=utcnow()
            )
            ids.append(review.id)
        return ids

    ids = await run_sql(settings, spam)
    await login(client, "mod@example.org")
    r = await post_form(client, "/moderation/sammelaktion", {"decision": "hide", "rule": ""})
    assert r.status_code == 422  # no selection, no rule
    token = client.cookies.get("csrftoken") or next(iter(client.cookies.values()))
    r = await client.post(
        "/moderation/sammelaktion",
        data={"decision": "hide", "rule": "5", "ids": [str(i) for i in ids], "_csrf_token": token},
        headers=HX,
    )
    assert r.status_code == 200 and "0 Beiträge warten" in r.text
    assert "50 Beiträge entschieden" in json.loads(r.headers["hx-trigger"])["bt:announce"]["message"]
    assert await _count(settings, select(func.count()).select_from(ModerationLog)) == 50
    # The author hears of it by e-mail as well: once for the whole action, not fifty times.
    mails = mailbox.to("a@example.org")
    assert len(mails) == 1 and "Netiquette" in mailbox.text(mails[0])
    assert (
        await _count(
            settings, select(func.count()).select_from(Review).where(Review.status == ReviewStatus.HIDDEN)
        )
        == 50
    )


async def test_automatic_checks_hold_with_a_reason_and_never_drop(client, settings):
    await _setup(settings)

    async def blocklist(db: Any) -> None:
        from beteiligung.moderation.models import ModerationSettings
        from beteiligung.organisations.models import Organisation

        org = (await db.scalars(select(Organisation))).first()
        db.add(ModerationSettings(organisation_id=org.id, blocklist="Idioten\n# Kommentar", max_links=1))

    await run_sql(settings, blocklist)
    await login(client, "a@example.org")
    linked = await _comment(client, "Siehe https://a.example und https://b.example")
    rude = await _comment(client, "Das planen doch IDIOTEN!")
    fine = await _comment(client, "Der Marschweg braucht Radwege.")
    await _logout(client)
    page = (await client.get(f"/vorhaben/{SLUG}")).text
    assert "a.example" not in page and "IDIOTEN" not in page and "Marschweg" in page

    async def reasons(db: Any) -> dict[int, str]:
        rows = await db.scalars(select(Review))
        return {r.comment_id: r.auto_reasons for r in rows}

    assert await run_sql(settings, reasons) == {linked: "links", rude: "blocklist"}
    assert fine


async def test_new_account_rate_limit_holds_instead_of_dropping(client, settings):
    await make_consultation(settings)
    await make_user(settings, email="new@example.org", display_name="Neu", account_age_days=0)
    await login(client, "new@example.org")
    ids = [await _comment(client, f"Beitrag Nummer {n} zum Verfahren") for n in range(4)]

    async def vis(db: Any) -> list[str]:
        return [str((await db.get(Comment, i)).visibility) for i in ids]

    assert await run_sql(settings, vis) == ["published", "published", "published", "held"]


async def test_request_edit_then_author_revises_back_into_the_queue(client, settings):
    await _setup(settings, moderation_mode="pre")
    await login(client, "a@example.org")
    cid = await _comment(client, "Die Planer sind Träumer.")
    await _logout(client)
    await login(client, "mod@example.org")
    review_id = await _review_id(settings, cid)
    r = await _decide(client, review_id, decision="request_edit", rule="1", reason="Bitte sachlich bleiben.")
    assert r.status_code == 303
    await _logout(client)
    await login(client, "a@example.org")
    page = await client.get(f"/vorhaben/{SLUG}")
    assert "Überarbeitung erbeten" in page.text and "Bitte sachlich bleiben." in page.text
    r = await post_form(
        client, f"/kommentare/{cid}/bearbeiten", {"body": "Die Planung wirkt mir zu optimistisch."}
    )
    assert r.status_code == 303

    async def state(db: Any) -> tuple[str, str]:
        review = await db.get(Review, review_id)
        return str(review.status), str(review.trigger)

    assert await run_sql(settings, state) == ("open", "edited")


async def test_blocked_author_cannot_contribute(client, settings):
    await _setup(settings)
    await login(client, "b@example.org")
    cid = await _comment(client, "Werbung: Kaufen Sie bei uns!")
    await _logout(client)
    await login(client, "a@example.org")
    await post_form(client, f"/kommentare/{cid}/melden", {"reason": "spam", "text": ""})
    await _logout(client)
    await login(client, "mod@example.org")
    r = await _decide(client, await _review_id(settings, cid), decision="hide", rule="5", block="7")
    assert r.status_code == 303
    await _logout(client)
    await login(client, "b@example.org")
    r = await post_form(client, f"/vorhaben/{SLUG}/kommentare", {"body": "Noch mehr Werbung"})
    assert r.status_code == 403 and "gesperrt" in r.text


@pytest.mark.parametrize("role", ["visitor", "resident", "staff"])
async def test_role_table_only_moderators_reach_the_queue(client, settings, role):
    await _setup(settings, moderation_mode="pre")
    await login(client, "a@example.org")
    cid = await _comment(client, "Ein Beitrag zur Prüfung")
    await _logout(client)
    review_id = await _review_id(settings, cid)
    if role == "staff":
        await make_user(settings, email="staff@example.org", display_name="Verwaltung", role="staff")
        await login(client, "staff@example.org")
    elif role == "resident":
        await login(client, "b@example.org")
    expected = {401, 303} if role == "visitor" else {403}
    for path in ("/moderation", "/moderation/live/warteschlange", "/live/moderation"):
        for headers in ({}, HX):
            r = await client.get(path, headers=headers)
            if role == "visitor" and headers and r.status_code == 200:  # htmx: sent to the login page
                assert "/anmelden" in r.headers.get("hx-redirect", ""), r.headers
                continue
            assert r.status_code in expected, (path, headers, r.status_code)
    for path, data in (
        (f"/moderation/{review_id}/uebernehmen", {}),
        (f"/moderation/{review_id}/entscheidung", {"decision": "approve"}),
        (f"/moderation/{review_id}/notiz", {"note": "x"}),
        ("/moderation/sammelaktion", {"decision": "approve", "ids": str(review_id)}),
    ):
        for htmx in (False, True):
            r = await post_form(client, path, data, htmx=htmx)
            if role == "visitor" and htmx and r.status_code == 200:
                assert "/anmelden" in r.headers.get("hx-redirect", ""), r.headers
                continue
            assert r.status_code in expected | {401}, (path, htmx, r.status_code)
    assert await _count(settings, select(func.count()).select_from(ModerationLog)) == 0


async def test_moderators_are_marked_when_they_post(client, settings):
    await _setup(settings)
    await login(client, "mod@example.org")
    await _comment(client, "Bitte bleiben Sie beim Thema.")
    page = await client.get(f"/vorhaben/{SLUG}")
    assert re.search(
        r"Moderation Kim</span>\s*<span class=\"kern-badge[^\"]*\"><span class=\"kern-label\">Moderation",
        page.text,
    )


async def test_unknown_review_and_bad_input_are_4xx(client, settings):
    await _setup(settings)
    await login(client, "mod@example.org")
    assert (await post_form(client, "/moderation/999999/uebernehmen", {})).status_code == 404
    assert (await post_form(client, "/moderation/999999/entscheidung", {"decision": "x"})).status_code == 404
    assert (await client.get("/moderation?verfahren=abc&grund=nix")).status_code == 200
    assert (await client.get("/kommentare/999999/melden")).status_code == 404
    assert (await client.get("/vorschlaege/999999/melden")).status_code == 404
    r = await post_form(client, "/moderation/sammelaktion", {"decision": "approve", "ids": "nix"})
    assert r.status_code == 422
    # A note that is too long comes back beside its field, the text kept.
    await _logout(client)
    await login(client, "a@example.org")
    cid = await _comment(client, "Mehr Fahrradbügel am Bahnhof.")
    await _logout(client)
    await login(client, "b@example.org")
    await post_form(client, f"/kommentare/{cid}/melden", {"reason": "spam", "text": ""})
    await _logout(client)
    await login(client, "mod@example.org")
    review_id = await _review_id(settings, cid)
    r = await post_form(client, f"/moderation/{review_id}/notiz", {"note": "Lang " * 500})
    assert r.status_code == 422 and "höchstens" in r.text and "Lang Lang" in r.text
    assert Proposal  # imported for the model registry


async def test_a_decision_while_claims_are_unknown_is_refused_without_claim_first(client, app, settings):
    """Claims in Redis that cannot be read are unknown, not "nobody": the moderator holding the
    item is asked to try again, not told to claim it first (issue 12, item 4)."""
    if not settings.redis_url:
        pytest.skip("embedded mode keeps claims in the process (no Redis to lose)")
    from redis.asyncio import Redis

    from beteiligung.moderation.claims import Claims
    from tests.own_servers import free_port

    await _setup(settings, moderation_mode="pre")
    await login(client, "a@example.org")
    cid = await _comment(client, "Mehr Bänke im Kurpark, bitte.")
    await _logout(client)
    review_id = await _review_id(settings, cid)
    await login(client, "mod@example.org")
    assert (await post_form(client, f"/moderation/{review_id}/uebernehmen", {})).status_code == 303
    # A real Redis client to a port nobody listens on: every claim lookup fails as in an outage.
    working = app.state["moderation_claims"]
    gone = Redis(port=free_port(), socket_connect_timeout=0.5)
    app.state["moderation_claims"] = Claims(gone, settings.redis_prefix)
    try:
        r = await post_form(client, f"/moderation/{review_id}/entscheidung", {"decision": "approve"})
        assert r.status_code == 409
        assert "Entscheiden ist gerade nicht möglich" in r.text
        assert "Bitte übernehmen Sie den Beitrag" not in r.text
    finally:
        app.state["moderation_claims"] = working
        await gone.aclose()
    r = await post_form(client, f"/moderation/{review_id}/entscheidung", {"decision": "approve"})
    assert r.status_code == 303  # Redis back: the claim held all along, the decision goes through
