"""On PostgreSQL, 100 participants vote in a meeting's poll at the same moment, a third of them
twice (133 concurrent requests through the app): exactly 100 ballots, and every counter equals
the rows behind it. Then the next poll is closed by staff while votes are still arriving: each
vote is either counted before the close or refused, never half-counted."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from beteiligung.meetings.models import (
    MeetingPoll,
    MeetingPollBallot,
    MeetingPollChoice,
    MeetingPollOption,
    PollState,
)
from tests.conftest import DEMO_PASSWORD, make_user
from tests.integration.test_participation_integrity import _users
from tests.meeting_factories import make_meeting
from tests.participation_factories import run_sql

BASE = "http://testserver.local"
HX = {"HX-Request": "true"}


@pytest.fixture(params=["postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    """Concurrency is tested on PostgreSQL only (SQLite serialises all writers)."""
    return str(request.param)


async def _make_poll(
    settings: Any, meeting_id: int, question: str, labels: list[str], *, state: str
) -> list[int]:
    async def add(db: Any) -> list[int]:
        poll = MeetingPoll(meeting_id=meeting_id, question=question, multiple=True, state=PollState(state))
        poll.options = [MeetingPollOption(position=n, label=label) for n, label in enumerate(labels, 1)]
        db.add(poll)
        await db.flush()
        return [poll.id, *(o.id for o in poll.options)]

    return await run_sql(settings, add)  # type: ignore[no-any-return]


async def _counts(settings: Any, poll_id: int) -> dict[str, Any]:
    """The counters shown and the rows they count."""

    async def read(db: Any) -> dict[str, Any]:
        poll = await db.get(MeetingPoll, poll_id)
        ballots = await db.scalar(
            select(func.count()).select_from(MeetingPollBallot).where(MeetingPollBallot.poll_id == poll_id)
        )
        choices = dict(
            (
                await db.execute(
                    select(MeetingPollChoice.option_id, func.count())
                    .join(MeetingPollOption, MeetingPollOption.id == MeetingPollChoice.option_id)
                    .where(MeetingPollOption.poll_id == poll_id)
                    .group_by(MeetingPollChoice.option_id)
                )
            ).all()
        )
        return {
            "ballot_count": poll.ballot_count,
            "ballot_rows": int(ballots or 0),
            "option_counts": {o.id: o.vote_count for o in poll.options},
            "choice_rows": {o.id: int(choices.get(o.id, 0)) for o in poll.options},
            "state": poll.state,
        }

    return await run_sql(settings, read)  # type: ignore[no-any-return]


def _choice(i: int, options: list[int]) -> list[int]:
    """Participant i's options: one by turn, and every third participant a second one."""
    chosen = [options[i % len(options)]]
    if i % 3 == 0:
        chosen.append(options[(i + 1) % len(options)])
    return chosen


async def test_100_participants_vote_at_once_and_counts_are_exact(app, settings):
    meeting_id = await make_meeting(settings, state="live")
    poll_id, *options = await _make_poll(
        settings, meeting_id, "Welche Maßnahme zuerst?", ["Radwege", "Bänke", "Bäume", "Licht"], state="open"
    )
    next_poll, *next_options = await _make_poll(
        settings, meeting_id, "Und danach?", ["Markt", "Spielplatz"], state="draft"
    )
    residents = await _users(settings, 100)
    await make_user(settings, email="staff@example.org", role="staff", display_name="Stadtentwicklung")
    # The app starts on this test's event loop, where every request below runs. (A test client
    # would run the start-up on an event loop of its own in another thread: the connection that
    # start-up opens would go back to the pool and then be used from this loop, while the other
    # loop still watches its socket: "Future attached to a different loop", or a segfault.)
    async with app.lifespan():
        # One address per participant, as in reality (the login limit counts per address).
        clients = [
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app, client=(f"10.1.{i // 200}.{i % 200 + 1}", 40000)),
                base_url=BASE,
            )
            for i in range(len(residents) + 1)
        ]
        staff = clients[-1]
        voters = clients[:-1]
        try:
            assert (await staff.get("/healthz")).status_code == 200

            async def sign_in(email: str, c: httpx.AsyncClient) -> None:
                await c.get("/anmelden")
                r = await c.post(
                    "/anmelden",
                    data={"email": email, "password": DEMO_PASSWORD, "_csrf_token": c.cookies["csrftoken"]},
                )
                assert r.status_code == 303, r.text

            emails = [f"r{i}@example.org" for i in range(len(voters))] + ["staff@example.org"]
            for start in range(0, len(clients), 20):
                await asyncio.gather(
                    *(sign_in(emails[i], clients[i]) for i in range(start, min(start + 20, len(clients))))
                )

            async def vote(c: httpx.AsyncClient, poll: int, chosen: list[int]) -> int:
                r = await c.post(
                    f"/veranstaltungen/{meeting_id}/abstimmungen/{poll}/stimme",
                    data={"_csrf_token": c.cookies["csrftoken"], "option": [str(o) for o in chosen]},
                    headers=HX,
                )
                return r.status_code

            # Round 1: everyone at once, every third participant twice (a double click).
            calls = [vote(c, poll_id, _choice(i, options)) for i, c in enumerate(voters)]
            calls += [vote(c, poll_id, _choice(i, options)) for i, c in enumerate(voters) if i % 3 == 0]
            statuses = await asyncio.gather(*calls)
            assert statuses.count(200) == 100 and statuses.count(409) == len(calls) - 100, statuses

            counts = await _counts(settings, poll_id)
            expected: dict[int, int] = dict.fromkeys(options, 0)
            for i in range(len(voters)):
                for o in _choice(i, options):
                    expected[o] += 1
            assert counts["ballot_count"] == counts["ballot_rows"] == 100
            assert counts["option_counts"] == counts["choice_rows"] == expected
            page = await voters[0].get(f"/veranstaltungen/{meeting_id}/live/abstimmung", headers=HX)
            text = " ".join(re.sub(r"<[^>]+>", " ", page.text).split())
            assert "100 Teilnehmende haben abgestimmt." in text
            assert f"Radwege: {expected[options[0]]} Stimmen ({expected[options[0]]} %)" in text

            # Round 2: staff close poll 1, open poll 2, and close it while the votes arrive.
            admin = f"/verwaltung/veranstaltungen/{meeting_id}/abstimmungen"
            token = {"_csrf_token": staff.cookies["csrftoken"]}
            r = await staff.post(f"{admin}/{next_poll}", data={**token, "aktion": "oeffnen"})
            assert r.status_code == 409  # poll 1 is still open: nothing closes silently
            r = await staff.post(f"{admin}/{poll_id}", data={**token, "aktion": "schliessen"})
            assert r.status_code == 303
            r = await staff.post(f"{admin}/{next_poll}", data={**token, "aktion": "oeffnen"})
            assert r.status_code == 303

            at_close: dict[str, Any] = {}

            async def close_soon() -> int:
                await asyncio.sleep(0.05)
                r = await staff.post(f"{admin}/{next_poll}", data={**token, "aktion": "schliessen"})
                at_close.update(await _counts(settings, next_poll))  # nothing may change after this
                return r.status_code

            votes = [vote(c, next_poll, _choice(i, next_options)) for i, c in enumerate(voters)]
            *statuses, closed = await asyncio.gather(*votes, close_soon())
            assert closed == 303
            assert set(statuses) <= {200, 409}, statuses
        finally:
            for c in clients:
                await c.aclose()

    counts = await _counts(settings, next_poll)
    assert counts["state"] == PollState.CLOSED
    assert counts["ballot_count"] == counts["ballot_rows"] == statuses.count(200)
    assert counts["option_counts"] == counts["choice_rows"]
    assert counts == at_close  # votes still in flight at the close were refused, not counted late
    # Poll 1 kept its result after closing.
    final = await _counts(settings, poll_id)
    assert final["ballot_count"] == final["ballot_rows"] == 100 and final["state"] == PollState.CLOSED
