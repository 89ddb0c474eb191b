"""Editing and withdrawing one's own proposal, on both databases (issue 20): only the author,
only while proposals are collected and before the town's answer; supports are kept; the earlier
text stays visible on the page ("bearbeitet am", "Frühere Fassungen"); withdrawing keeps the
proposal public, marked, with its supports frozen; edits pass the moderation's checks; other
viewers hear a live event. Without JavaScript (303) and with htmx (HX-Redirect, 422 fragment)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from beteiligung.consultations.phases import PhaseKind
from beteiligung.db import utcnow
from beteiligung.live.events import ProposalChanged, ProposalRemoved
from beteiligung.moderation.models import Review
from beteiligung.proposals.models import Proposal, ProposalVersion, Support
from tests.conftest import login, make_user, post_form
from tests.participation_factories import make_consultation, run_sql

SLUG = "isek-2030"
HX = {"HX-Request": "true"}
ORIGINAL = {
    "title": "Wasserspender am Sande",
    "body": "Trinkwasser für alle im Sommer, gerade an heißen Markttagen.",
    "topic": "",
    "place": "Am Sande",
}
CHANGED = {
    "title": "Zwei Trinkbrunnen am Sande",
    "body": "Zwei Trinkbrunnen statt eines Wasserspenders: einer am Brunnen, einer an der Post.",
    "topic": "innenstadt",
    "place": "Am Sande",
}


async def _logout(client: Any) -> None:
    await post_form(client, "/abmelden", {})


async def _setup(settings: Any, **fields: Any) -> None:
    await make_consultation(settings, **fields)
    await make_user(settings, email="a@example.org", display_name="Jonas")
    await make_user(settings, email="b@example.org", display_name="Mareike")
    await make_user(settings, email="staff@example.org", display_name="Stadtplanung", role="staff")
    await make_user(settings, email="mod@example.org", display_name="Moderation Kim", role="moderator")


async def _propose(client: Any, data: dict[str, str] = ORIGINAL) -> int:
    r = await post_form(client, f"/vorhaben/{SLUG}/vorschlaege/neu", data)
    assert r.status_code == 303, r.text
    return int(r.headers["location"].rsplit("/", 1)[1])


async def _scalar(settings: Any, stmt: Any) -> Any:
    async def q(db: Any) -> Any:
        return await db.scalar(stmt)

    return await run_sql(settings, q)


async def _proposal(settings: Any, pid: int) -> Proposal:
    async def q(db: Any) -> Proposal:
        return await db.get(Proposal, pid)  # type: ignore[no-any-return]

    return await run_sql(settings, q)  # type: ignore[no-any-return]


async def test_author_edits_supports_stay_and_the_history_is_public(client, settings):
    await _setup(settings)
    await login(client, "a@example.org")
    pid = await _propose(client)
    await _logout(client)
    await login(client, "b@example.org")
    assert (await post_form(client, f"/vorschlaege/{pid}/unterstuetzen", {})).status_code == 303
    page = await client.get(f"/vorschlaege/{pid}")
    assert f"/vorschlaege/{pid}/bearbeiten" not in page.text  # not hers
    await _logout(client)

    await login(client, "a@example.org")
    page = await client.get(f"/vorschlaege/{pid}")
    assert f'href="/vorschlaege/{pid}/bearbeiten"' in page.text
    form = await client.get(f"/vorschlaege/{pid}/bearbeiten")
    assert form.status_code == 200 and "Wasserspender am Sande" in form.text
    assert "bisherigen Unterstützungen bleiben erhalten" in form.text
    assert f'action="/vorschlaege/{pid}/rueckzug"' in form.text

    # htmx, with an error first: the form's own fragment, one summary, the text kept.
    r = await post_form(client, f"/vorschlaege/{pid}/bearbeiten", {**CHANGED, "title": "x"}, htmx=True)
    assert r.status_code == 422 and r.text.strip().startswith('<form id="proposal-edit"')
    assert r.text.count("error-summary") == 1 and "Zwei Trinkbrunnen statt" in r.text
    r = await post_form(client, f"/vorschlaege/{pid}/bearbeiten", CHANGED, htmx=True)
    assert r.status_code == 200 and r.headers["hx-redirect"] == f"/vorschlaege/{pid}"

    page = await client.get(f"/vorschlaege/{pid}")
    assert "Ihr Vorschlag ist geändert." in page.text
    assert "Zwei Trinkbrunnen am Sande" in page.text and "bearbeitet am" in page.text
    await _logout(client)

    # Everyone sees the new text, the note and the earlier version; the support is still there.
    page = await client.get(f"/vorschlaege/{pid}")
    assert "Zwei Trinkbrunnen am Sande" in page.text and "bearbeitet am" in page.text
    history = page.text.split("Frühere Fassungen", 1)[1]
    assert "Wasserspender am Sande" in history and "heißen Markttagen" in history
    assert "<strong>1</strong>" in page.text  # the support count
    assert await _scalar(settings, select(func.count()).select_from(Support)) == 1
    listing = await client.get(f"/vorhaben/{SLUG}/vorschlaege")
    assert "Zwei Trinkbrunnen am Sande" in listing.text and "Wasserspender am Sande" not in listing.text

    # Without JavaScript: a second edit, 303, a second earlier version. The list links the form.
    await login(client, "a@example.org")
    listing = await client.get(f"/vorhaben/{SLUG}/vorschlaege")
    assert f'href="/vorschlaege/{pid}/bearbeiten"' in listing.text
    r = await post_form(client, f"/vorschlaege/{pid}/bearbeiten", {**CHANGED, "title": "Drei Trinkbrunnen"})
    assert r.status_code == 303 and r.headers["location"] == f"/vorschlaege/{pid}"
    # Sending the same text again changes nothing and keeps no version.
    r = await post_form(client, f"/vorschlaege/{pid}/bearbeiten", {**CHANGED, "title": "Drei Trinkbrunnen"})
    assert r.status_code == 303

    async def versions(db: Any) -> list[tuple[str, bool]]:
        rows = await db.scalars(select(ProposalVersion).order_by(ProposalVersion.id))
        return [(v.title, v.public) for v in rows]

    assert await run_sql(settings, versions) == [
        ("Wasserspender am Sande", True),
        ("Zwei Trinkbrunnen am Sande", True),
    ]


async def test_edit_is_only_for_the_author_and_only_while_open(client, settings):
    await _setup(settings)
    await login(client, "a@example.org")
    pid = await _propose(client)
    await _logout(client)

    # Visitors: log in first. Others, staff and moderators: not theirs.
    r = await client.get(f"/vorschlaege/{pid}/bearbeiten")
    assert r.status_code == 303 and r.headers["location"].startswith("/anmelden")
    for who in ("b@example.org", "staff@example.org", "mod@example.org"):
        await login(client, who)
        assert (await client.get(f"/vorschlaege/{pid}/bearbeiten")).status_code == 403
        r = await post_form(client, f"/vorschlaege/{pid}/bearbeiten", CHANGED)
        assert r.status_code == 403 and "Nur die einreichende Person" in r.text
        assert (await post_form(client, f"/vorschlaege/{pid}/rueckzug", {})).status_code == 403
        await _logout(client)
    assert (await _proposal(settings, pid)).title == ORIGINAL["title"]

    # After the town's official answer: neither edit nor withdraw.
    await login(client, "staff@example.org")
    r = await post_form(
        client, f"/vorschlaege/{pid}/antwort", {"state": "in_review", "text": "Wir prüfen das gern."}
    )
    assert r.status_code == 303
    await _logout(client)
    await login(client, "a@example.org")
    page = await client.get(f"/vorschlaege/{pid}")
    assert f"/vorschlaege/{pid}/bearbeiten" not in page.text
    r = await client.get(f"/vorschlaege/{pid}/bearbeiten")
    assert r.status_code == 409 and "geantwortet" in r.text
    assert (await post_form(client, f"/vorschlaege/{pid}/bearbeiten", CHANGED)).status_code == 409
    assert (await post_form(client, f"/vorschlaege/{pid}/rueckzug", {})).status_code == 409
    r = await post_form(client, f"/vorschlaege/{pid}/rueckzug", {}, htmx=True)
    assert r.status_code == 409 and r.headers["hx-retarget"] == "#page-alert"
    assert (await _proposal(settings, pid)).withdrawn_at is None


async def test_edit_closes_with_the_proposal_phase(client, settings):
    # The support phase runs: proposals are no longer collected.
    await _setup(settings, kinds=(PhaseKind.COLLECTION, PhaseKind.SUPPORT), current=1)

    async def add(db: Any) -> int:
        from beteiligung.accounts.models import User
        from beteiligung.consultations.models import Consultation

        user = (await db.scalars(select(User).where(User.email == "a@example.org"))).one()
        proposal = Proposal(
            consultation_id=(await db.scalars(select(Consultation.id))).one(),
            author_id=user.id,
            title=ORIGINAL["title"],
            body=ORIGINAL["body"],
            created_at=utcnow() - timedelta(days=12),
        )
        db.add(proposal)
        await db.flush()
        return int(proposal.id)

    pid = await run_sql(settings, add)
    await login(client, "a@example.org")
    page = await client.get(f"/vorschlaege/{pid}")
    assert page.status_code == 200 and f"/vorschlaege/{pid}/bearbeiten" not in page.text
    r = await client.get(f"/vorschlaege/{pid}/bearbeiten")
    assert r.status_code == 409 and "abgelaufen" in r.text
    assert (await post_form(client, f"/vorschlaege/{pid}/bearbeiten", CHANGED)).status_code == 409
    assert (await post_form(client, f"/vorschlaege/{pid}/rueckzug", {})).status_code == 409


async def test_withdrawn_proposal_stays_public_with_frozen_supports(client, settings):
    await _setup(settings)
    await make_user(settings, email="c@example.org", display_name="Kalle")
    await login(client, "a@example.org")
    pid = await _propose(client)
    await _logout(client)
    await login(client, "b@example.org")
    await post_form(client, f"/vorschlaege/{pid}/unterstuetzen", {})
    await _logout(client)

    await login(client, "a@example.org")
    r = await post_form(client, f"/vorschlaege/{pid}/rueckzug", {}, htmx=True)
    assert r.status_code == 200 and r.headers["hx-redirect"] == f"/vorschlaege/{pid}"
    page = await client.get(f"/vorschlaege/{pid}")
    assert "Sie haben Ihren Vorschlag zurückgezogen." in page.text
    # Final: no second withdrawal, no edit.
    assert (await post_form(client, f"/vorschlaege/{pid}/rueckzug", {})).status_code == 409
    r = await client.get(f"/vorschlaege/{pid}/bearbeiten")
    assert r.status_code == 409 and "zurückgezogen" in r.text
    await _logout(client)

    # Public, marked, the support still counted; nobody can add or take back a support.
    page = await client.get(f"/vorschlaege/{pid}")
    assert page.status_code == 200 and "Von der Person zurückgezogen" in page.text
    assert "Wasserspender am Sande" in page.text and "<strong>1</strong>" in page.text
    listing = await client.get(f"/vorhaben/{SLUG}/vorschlaege")
    card = listing.text.split(f'id="proposal-{pid}"', 1)[1]
    assert "Zurückgezogen" in card and "Unterstützen</span>" not in card
    await login(client, "c@example.org")
    page = await client.get(f"/vorschlaege/{pid}")
    assert f'action="/vorschlaege/{pid}/unterstuetzen"' not in page.text
    r = await post_form(client, f"/vorschlaege/{pid}/unterstuetzen", {})
    assert r.status_code == 409 and "zurückgezogen" in r.text
    await _logout(client)
    await login(client, "b@example.org")
    assert (await post_form(client, f"/vorschlaege/{pid}/zurueckziehen", {})).status_code == 409
    assert await _scalar(settings, select(Proposal.support_count).where(Proposal.id == pid)) == 1
    assert await _scalar(settings, select(func.count()).select_from(Proposal)) == 1  # not deleted


async def test_edits_pass_the_checks_and_pre_moderation(client, settings):
    await _setup(settings, moderation_mode="pre")

    async def blocklist(db: Any) -> None:
        from beteiligung.moderation.models import ModerationSettings
        from beteiligung.organisations.models import Organisation

        org = (await db.scalars(select(Organisation))).first()
        db.add(ModerationSettings(organisation_id=org.id, blocklist="Halunken"))

    await run_sql(settings, blocklist)
    await login(client, "a@example.org")
    pid = await _propose(client)
    # Still waiting: the author may correct it; it stays in the queue with the new text.
    r = await post_form(client, f"/vorschlaege/{pid}/bearbeiten", CHANGED)
    assert r.status_code == 303
    page = await client.get(f"/vorschlaege/{pid}")
    assert "wartet weiter auf Freigabe" in page.text
    await _logout(client)
    await login(client, "mod@example.org")
    queue = await client.get("/moderation")
    assert "Zwei Trinkbrunnen am Sande" in queue.text
    review_id = await _scalar(settings, select(Review.id).where(Review.proposal_id == pid))
    await post_form(client, f"/moderation/{review_id}/uebernehmen", {})
    r = await post_form(client, f"/moderation/{review_id}/entscheidung", {"decision": "approve"})
    assert r.status_code == 303
    await _logout(client)
    # The text held while waiting never reaches the public history.
    assert "Wasserspender am Sande" not in (await client.get(f"/vorschlaege/{pid}")).text

    # Public now: in a pre-moderated consultation a change waits for the moderation again.
    await login(client, "a@example.org")
    form = await client.get(f"/vorschlaege/{pid}/bearbeiten")
    assert "prüft die Moderation auch Änderungen" in form.text
    r = await post_form(client, f"/vorschlaege/{pid}/bearbeiten", {**CHANGED, "title": "Drei Trinkbrunnen"})
    assert r.status_code == 303
    page = await client.get(f"/vorschlaege/{pid}")
    assert "wartet jetzt auf Freigabe" in page.text
    assert "In diesem Verfahren sieht sich die Moderation jeden Beitrag" in page.text
    await _logout(client)
    assert (await client.get(f"/vorschlaege/{pid}")).status_code == 404
    review = await _scalar(settings, select(Review).where(Review.proposal_id == pid))
    assert (str(review.status), str(review.trigger)) == ("open", "pre")

    # A content check names its rule when a change is held.
    await login(client, "mod@example.org")
    await post_form(client, f"/moderation/{review_id}/uebernehmen", {})
    await post_form(client, f"/moderation/{review_id}/entscheidung", {"decision": "approve"})
    await _logout(client)
    await login(client, "a@example.org")
    r = await post_form(
        client, f"/vorschlaege/{pid}/bearbeiten", {**CHANGED, "body": "Diese Halunken planen nichts."}
    )
    page = await client.get(f"/vorschlaege/{pid}")
    assert "Ihr Text enthält einen Begriff" in page.text
    review = await _scalar(settings, select(Review).where(Review.proposal_id == pid))
    assert (str(review.trigger), review.auto_reasons) == ("auto", "blocklist")


async def test_edit_requested_by_the_moderation_goes_back_to_the_queue(client, settings):
    await _setup(settings, moderation_mode="pre")
    await login(client, "a@example.org")
    pid = await _propose(client)
    await _logout(client)
    await login(client, "mod@example.org")
    review_id = await _scalar(settings, select(Review.id).where(Review.proposal_id == pid))
    await post_form(client, f"/moderation/{review_id}/uebernehmen", {})
    r = await post_form(
        client,
        f"/moderation/{review_id}/entscheidung",
        {"decision": "request_edit", "rule": "3", "reason": "Bitte den Ort genauer nennen."},
    )
    assert r.status_code == 303
    await _logout(client)
    await login(client, "a@example.org")
    page = await client.get(f"/vorschlaege/{pid}")
    assert "Überarbeitung erbeten" in page.text and "Bitte den Ort genauer nennen." in page.text
    assert f"/vorschlaege/{pid}/bearbeiten" in page.text
    r = await post_form(client, f"/vorschlaege/{pid}/bearbeiten", CHANGED)
    assert r.status_code == 303
    review = await _scalar(settings, select(Review).where(Review.id == review_id))
    assert (str(review.status), str(review.trigger)) == ("open", "edited")
    # The text the moderation asked to revise is kept, but never shown as a public version.
    public = await _scalar(settings, select(ProposalVersion.public).where(ProposalVersion.proposal_id == pid))
    assert public is False


async def test_withdrawing_a_waiting_proposal_takes_it_out_of_the_queue(client, settings):
    await _setup(settings, moderation_mode="pre")
    await login(client, "a@example.org")
    pid = await _propose(client)
    r = await post_form(client, f"/vorschlaege/{pid}/rueckzug", {})
    assert r.status_code == 303
    assert await _scalar(settings, select(func.count()).select_from(Review)) == 0
    page = await client.get(f"/vorschlaege/{pid}")
    assert "Von der Person zurückgezogen" in page.text and "Wartet auf Freigabe" not in page.text
    await _logout(client)
    assert (await client.get(f"/vorschlaege/{pid}")).status_code == 404  # never public


async def _replay_until(broker: Any, channels: frozenset[str], mark: str, count: int) -> list[Any]:
    for _ in range(200):
        events = await broker.replay(channels, mark) or []
        if len(events) >= count:
            return [d.event for d in events]
        await asyncio.sleep(0.05)
    return [d.event for d in (await broker.replay(channels, mark) or [])]


async def test_edit_and_withdrawal_reach_other_viewers_live(app, client, settings):
    from beteiligung.live.broker import MemoryBroker, RedisBroker

    await _setup(settings)
    await login(client, "a@example.org")
    pid = await _propose(client)
    cid = (await _proposal(settings, pid)).consultation_id
    own = app.state["live_broker"]
    redis = None
    if isinstance(own, MemoryBroker):
        broker: Any = own
    else:  # a reader of the same stream in this test's event loop
        from redis.asyncio import Redis

        redis = Redis.from_url(settings.redis_url)
        broker = RedisBroker(redis, settings.redis_prefix)
    try:
        mark = await broker.watermark()
        await post_form(client, f"/vorschlaege/{pid}/bearbeiten", CHANGED)
        await post_form(client, f"/vorschlaege/{pid}/rueckzug", {})
        events = await _replay_until(broker, frozenset({f"proposal:{pid}"}), mark, 2)
        assert events == [ProposalChanged(consultation_id=cid, proposal_id=pid)] * 2
        assert f"proposal-{pid}-text" in events[0].keys()
        assert not any(isinstance(e, ProposalRemoved) for e in events)
    finally:
        if redis is not None:
            await redis.aclose()
    # The live part the page re-fetches: the text block, for this viewer.
    await _logout(client)
    part = await client.get(f"/vorschlaege/{pid}/live/text", headers=HX)
    assert part.status_code == 200 and part.text.strip().startswith(f'<div id="proposal-{pid}-text"')
    assert "Zwei Trinkbrunnen am Sande" in part.text and "Von der Person zurückgezogen" in part.text
