"""The same form sent many times at once (a double click, a resend after a timeout, a script):
on both databases, 20 identical concurrent submissions of a comment, a reply, a proposal and a
meeting question through the real app answer without a single 5xx, half of them as htmx requests
and half without JavaScript, and exactly one contribution is stored per form.

Before, the losers of the race hit the unique constraint, rolled back, and the route then read
an attribute of an object the rollback had expired (``MissingGreenlet``: 500). Now the insert
skips a duplicate (``ON CONFLICT DO NOTHING``) and nothing is rolled back.

The requests go through httpx's ASGI transport on the test's event loop, truly concurrent
(Litestar's AsyncTestClient hands each request to a blocking portal, one at a time); the app's
lifespan runs on the same loop, so every database connection belongs to it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from beteiligung.comments.models import Comment
from beteiligung.meetings.models import MeetingQuestion
from beteiligung.proposals.models import Proposal
from beteiligung.settings import Settings
from tests.conftest import DEMO_PASSWORD, make_user
from tests.meeting_factories import make_meeting
from tests.participation_factories import make_consultation, run_sql

SLUG = "isek-2030"
TIMES = 20  # identical requests at once
ROUNDS = 3  # each with a form of its own (a new submission key): three chances for the race


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The hard posting limit lifted: 60 sends of three forms are not a flood here."""
    return dataclasses.replace(settings, posts_per_account_10min=1000, posts_per_address_10min=1000)


@asynccontextmanager
async def running(app: Any) -> AsyncIterator[None]:
    """The app's ASGI lifespan (start-up and shutdown) on this event loop."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    task = asyncio.create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, inbox.get, outbox.put)
    )
    await inbox.put({"type": "lifespan.startup"})
    assert (await outbox.get())["type"] == "lifespan.startup.complete"
    try:
        yield
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        await outbox.get()
        await task


@asynccontextmanager
async def signed_in(app: Any, email: str) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        running(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=("10.0.0.7", 40000)),
            base_url="http://testserver.local",
        ) as client,
    ):
        await client.get("/anmelden")
        r = await client.post(
            "/anmelden",
            data={"email": email, "password": DEMO_PASSWORD, "_csrf_token": client.cookies["csrftoken"]},
        )
        assert r.status_code == 303, r.text
        yield client


async def _send_at_once(app: Any, url: str, data: dict[str, str]) -> list[int]:
    """ROUNDS times: the same form (one submission key) sent TIMES times at once, half with htmx."""
    statuses: list[int] = []
    async with signed_in(app, "a@example.org") as client:
        token = client.cookies["csrftoken"]
        for _ in range(ROUNDS):
            form = {**data, "submission_key": uuid.uuid4().hex, "_csrf_token": token}

            async def send(n: int, form: dict[str, str] = form) -> int:
                headers = {"HX-Request": "true"} if n % 2 else {}
                r = await client.post(url, data=form, headers=headers)
                return int(r.status_code)

            statuses += await asyncio.gather(*(send(n) for n in range(TIMES)))
    return statuses


async def _count(settings: Any, model: Any) -> int:
    async def q(db: Any) -> int:
        return int(await db.scalar(select(func.count()).select_from(model)) or 0)

    return int(await run_sql(settings, q))


def _no_errors(statuses: list[int]) -> None:
    assert all(s < 500 for s in statuses), statuses
    assert set(statuses) <= {200, 303}, statuses  # htmx: the thread or a redirect; no JS: 303


@pytest.mark.parametrize("reply", [False, True], ids=["comment", "reply"])
async def test_twenty_identical_comments_at_once_store_one(app, settings, reply):
    await make_consultation(settings)
    await make_user(settings, email="a@example.org", display_name="Jonas")
    data = {"body": "Ein Café am Stintmarkt wäre schön."}
    if reply:

        async def parent(db: Any) -> int:
            from beteiligung.consultations.models import Consultation

            consultation = (await db.scalars(select(Consultation))).one()
            root = Comment(consultation_id=consultation.id, author_id=None, body="Was fehlt am Sande?")
            db.add(root)
            await db.flush()
            return int(root.id)

        data["parent"] = str(await run_sql(settings, parent))
    statuses = await _send_at_once(app, f"/vorhaben/{SLUG}/kommentare", data)
    _no_errors(statuses)
    assert await _count(settings, Comment) == ROUNDS + (1 if reply else 0)


async def test_twenty_identical_proposals_at_once_store_one(app, settings):
    await make_consultation(settings)
    await make_user(settings, email="a@example.org", display_name="Jonas")
    data = {"title": "Trinkbrunnen am Sande", "body": "Im Sommer fehlt Wasser."}
    statuses = await _send_at_once(app, f"/vorhaben/{SLUG}/vorschlaege/neu", data)
    _no_errors(statuses)
    assert await _count(settings, Proposal) == ROUNDS


async def test_twenty_identical_questions_at_once_store_one(app, settings):
    meeting_id = await make_meeting(settings, state="live", question_moderation="post")
    await make_user(settings, email="a@example.org", display_name="Jonas")
    data = {"body": "Wann wird der Radweg befahrbar sein?"}
    statuses = await _send_at_once(app, f"/veranstaltungen/{meeting_id}/fragen", data)
    _no_errors(statuses)
    assert await _count(settings, MeetingQuestion) == ROUNDS
