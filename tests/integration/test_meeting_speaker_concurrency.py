"""On PostgreSQL, 40 participants ask to speak at the same moment (a quarter of them twice, every
fifth one to a point of order) while staff call speakers: one waiting entry per participant, no
two entries share a place, the points of order stand before the other requests, and there is
never more than one current speaker."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from beteiligung.meetings.models import MeetingSpeaker, SpeakerStatus
from tests.conftest import DEMO_PASSWORD, make_user
from tests.integration.test_participation_integrity import _users
from tests.meeting_factories import make_meeting
from tests.participation_factories import run_sql

BASE = "http://testserver.local"
HX = {"HX-Request": "true"}
N = 40


@pytest.fixture(params=["postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    """Concurrency is tested on PostgreSQL only (SQLite serialises all writers)."""
    return str(request.param)


async def _entries(settings: Any, meeting_id: int) -> list[MeetingSpeaker]:
    async def load(db: Any) -> list[MeetingSpeaker]:
        stmt = select(MeetingSpeaker).where(MeetingSpeaker.meeting_id == meeting_id)
        return list((await db.scalars(stmt)).all())

    return await run_sql(settings, load)  # type: ignore[no-any-return]


async def test_simultaneous_requests_keep_the_list_consistent(app, settings):
    meeting_id = await make_meeting(settings, state="live")
    await _users(settings, N)
    await make_user(settings, email="staff@example.org", role="staff", display_name="Sitzungsleitung")
    # The app's start-up on this test's event loop (a test client would run it on a loop of its
    # own, and the pool's connections must not move between loops).
    async with app.lifespan():
        clients = [
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app, client=(f"10.2.0.{i + 1}", 40000)), base_url=BASE
            )
            for i in range(N + 1)
        ]
        staff = clients[-1]
        participants = clients[:-1]
        try:

            async def sign_in(email: str, c: httpx.AsyncClient) -> None:
                await c.get("/anmelden")
                r = await c.post(
                    "/anmelden",
                    data={"email": email, "password": DEMO_PASSWORD, "_csrf_token": c.cookies["csrftoken"]},
                )
                assert r.status_code == 303, r.text

            emails = [f"r{i}@example.org" for i in range(N)] + ["staff@example.org"]
            for start in range(0, len(clients), 20):
                await asyncio.gather(
                    *(sign_in(emails[i], clients[i]) for i in range(start, min(start + 20, len(clients))))
                )

            async def ask(i: int, c: httpx.AsyncClient) -> int:
                data = {"_csrf_token": c.cookies["csrftoken"], "aktion": "melden"}
                if i % 5 == 0:
                    data["geschaeftsordnung"] = "on"
                r = await c.post(f"/veranstaltungen/{meeting_id}/redeliste", data=data, headers=HX)
                return r.status_code

            async def call_next() -> int:
                await asyncio.sleep(0.02)
                r = await staff.post(
                    f"/verwaltung/veranstaltungen/{meeting_id}/redeliste",
                    data={"_csrf_token": staff.cookies["csrftoken"], "aktion": "naechste"},
                    headers=HX,
                )
                return r.status_code

            calls = [ask(i, c) for i, c in enumerate(participants)]
            calls += [ask(i, c) for i, c in enumerate(participants) if i % 4 == 0]  # double clicks
            *statuses, first, second = await asyncio.gather(*calls, call_next(), call_next())
            assert set(statuses) == {200}, statuses
            assert {first, second} <= {200, 409}
        finally:
            for c in clients:
                await c.aclose()

    entries = await _entries(settings, meeting_id)
    by_person: dict[str, list[MeetingSpeaker]] = {}
    for e in entries:
        by_person.setdefault(e.voter_key, []).append(e)
    assert len(by_person) == N
    for rows in by_person.values():
        # One waiting entry each; a double click that arrived after its first request was called
        # is a new request (the person may speak again later).
        assert [e.status for e in rows].count(SpeakerStatus.WAITING) <= 1
        assert len(rows) == 1 or {e.status for e in rows} - {SpeakerStatus.WAITING}, rows
    speaking = [e for e in entries if e.status == SpeakerStatus.SPEAKING]
    done = [e for e in entries if e.status == SpeakerStatus.DONE]
    assert len(speaking) <= 1 and len(speaking) + len(done) == [first, second].count(200)
    waiting = sorted((e for e in entries if e.status == SpeakerStatus.WAITING), key=lambda e: e.position)
    assert len({e.position for e in waiting}) == len(waiting)  # no shared places
    orders = [e.point_of_order for e in waiting]
    assert orders == sorted(orders, reverse=True)  # points of order first
    # Among the points of order, and among the others, the order is the order of the requests.
    for kind in (True, False):
        ids = [e.id for e in waiting if e.point_of_order is kind]
        assert ids == sorted(ids)
