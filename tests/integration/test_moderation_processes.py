# ruff: noqa: F811 - the fixtures imported from test_live_processes are parameters here
"""Moderation across two app processes sharing PostgreSQL and Redis (docs/moderation.md):
claims are exclusive whichever process they reach, and the queue's live channel carries a new
held item from one process to a moderator's stream on the other."""

from __future__ import annotations

import asyncio
from typing import Any

from beteiligung.settings import Settings
from tests.conftest import make_user
from tests.integration.test_live_processes import (  # noqa: F401 - fixtures used by name
    SECRET,
    browser,
    live_env,
    login,
    next_live,
    servers,
    sse,
    world,
)

MOD_A = "moderatorin-a@example.org"
MOD_B = "moderator-b@example.org"
ROUNDS = 12


async def _held_reviews(settings: Settings, count: int) -> list[int]:
    from sqlalchemy import select

    from beteiligung.accounts.models import User
    from beteiligung.comments.models import Comment
    from beteiligung.consultations.models import Consultation
    from beteiligung.consultations.states import Visibility
    from beteiligung.db import utcnow
    from beteiligung.moderation.actions import open_review
    from beteiligung.moderation.models import Trigger
    from tests.participation_factories import run_sql

    async def arrange(db: Any) -> list[int]:
        consultation = (
            await db.scalars(select(Consultation).where(Consultation.slug == "live-vorhaben"))
        ).one()
        author = (await db.scalars(select(User).where(User.display_name == "Anwohner"))).one()
        ids = []
        for n in range(count):
            comment = Comment(
                consultation_id=consultation.id,
                author_id=author.id,
                body=f"Gehaltener Beitrag {n}",
                visibility=Visibility.HELD,
            )
            db.add(comment)
            await db.flush()
            review = await open_review(
                db, org_id=consultation.organisation_id, target=comment, trigger=Trigger.PRE, now=utcnow()
            )
            ids.append(review.id)
        return ids

    return list(await run_sql(settings, arrange))


async def test_two_moderators_on_two_processes_claim_the_same_item_exactly_one_wins(servers, live_env):
    a, b = servers
    settings = Settings(env="test", database_url=live_env["pg_url"], secret_key=SECRET)
    await make_user(settings, email=MOD_A, display_name="Moderatorin A", role="moderator")
    await make_user(settings, email=MOD_B, display_name="Moderator B", role="moderator")
    review_ids = await _held_reviews(settings, ROUNDS)
    async with browser(a.base) as on_a, browser(b.base) as on_b:
        await login(on_a, MOD_A)
        await login(on_b, MOD_B)

        async def claim(http: Any, review_id: int) -> int:
            response = await http.post(
                f"/moderation/{review_id}/uebernehmen",
                data={"_csrf_token": http.cookies["csrftoken"]},
                headers={"HX-Request": "true"},
            )
            return int(response.status_code)

        for review_id in review_ids:
            results = await asyncio.gather(claim(on_a, review_id), claim(on_b, review_id))
            assert sorted(results) == [200, 409], (review_id, results)
        # The loser can neither decide nor take it; the winner decides on its own process.
        winner_page = await on_a.get("/moderation")
        loser_page = await on_b.get("/moderation")
        assert winner_page.status_code == loser_page.status_code == 200
        assert (
            loser_page.text.count("In Bearbeitung von") + winner_page.text.count("In Bearbeitung von")
            == ROUNDS
        )


async def test_a_held_comment_posted_on_a_reaches_a_moderator_stream_on_b(servers, world, live_env):
    a, b = servers
    async with browser(b.base) as moderator, browser(a.base) as resident:
        await login(moderator, MOD_A)
        await login(resident, "anwohner@example.org")
        public_path = f"/live/vorschlaege/{world.proposal_id}"
        async with sse(moderator, "/live/moderation") as stream, sse(resident, public_path) as public:
            link = "Kauft hier: https://a.example https://b.example https://c.example"
            response = await resident.post(
                f"/vorschlaege/{world.proposal_id}/kommentare",
                data={"body": link, "_csrf_token": resident.cookies["csrftoken"]},
            )
            assert response.status_code == 303
            message = await next_live(stream, timeout=5.0)
            assert message.keys == ["moderation-queue"]
            # held by the link check: nothing on the public stream of the proposal
            assert [m for m in await public.quiet(1.5) if m.event == "live"] == []
