"""A meeting at scale across real processes (issue 6): 200 participants in one live meeting.

Two app processes (``beteiligung run``) share PostgreSQL and Redis (own key prefix). 200 guests
(a chosen name each: no Argon2 login per participant) load the room, join and keep its live
stream open, alternately on either process. Then 20 of them ask a question (post-moderation,
the moderation's rate limits lifted so nothing is held), all 200 upvote one question that is not
their own, staff open a poll, all 200 vote, staff close it. Everything runs concurrently.

Checked: every client received every public event of the meeting's channel published after it
loaded the room (the page's ``seit`` watermark, as the browser does; presence events included),
with no ``reset``; the events themselves (one per question and poll change; ballots and upvotes
coalesced into one event per second, so far fewer than one per vote); the
counters equal the rows behind them; no request failed. No time is asserted: the timeouts are
only generous bounds so a hang fails instead of blocking.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from beteiligung.settings import Settings
from tests.conftest import in_thread, make_user, reset_database
from tests.integration.test_live_processes import (
    SECRET,
    Server,
    Stream,
    _free_port,
    _stop,
    _wait_healthy,
    login,
    sse,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

PARTICIPANTS = 200
QUESTIONS = 20
OPTIONS = ("Ja", "Nein", "Enthaltung")
STAFF = "verwaltung-skala@example.org"
CONCURRENCY = 40  # requests in flight at once (each participant has its own client)
DELIVERY_TIMEOUT = 45.0  # generous bound for the last events to reach every stream
TIMEOUT = httpx.Timeout(30.0)
LIVE_URL = re.compile(r'hx-sse:connect="(/live/veranstaltungen/\d+\?seit=[^"]*)"')


# ---------------------------------------------------------------------------------------------
# Processes: as tests/integration/test_live_processes.py starts them, plus a raised stream cap
# (all 200 streams come from 127.0.0.1; the default allows 20 per address)
# ---------------------------------------------------------------------------------------------
def _start_app(name: str, tmp: Path, *, database_url: str, redis_url: str, prefix: str) -> Server:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BETEILIGUNG_")}
    env.update(
        {
            "BETEILIGUNG_ENV": "test",
            "BETEILIGUNG_DATABASE_URL": database_url,
            "BETEILIGUNG_REDIS_URL": redis_url,
            "BETEILIGUNG_REDIS_PREFIX": prefix,
            "BETEILIGUNG_SECRET_KEY": SECRET,
            "BETEILIGUNG_HOST": "127.0.0.1",
            "BETEILIGUNG_PORT": str(port),
            "BETEILIGUNG_BASE_URL": base,
            "BETEILIGUNG_DEMO": "false",
            "BETEILIGUNG_LOG_LEVEL": "INFO",
            "BETEILIGUNG_LOG_JSON": "true",
            "BETEILIGUNG_LIVE_STREAMS_PER_CLIENT": "1000",
            "PYTHONUNBUFFERED": "1",
        }
    )
    log_path = tmp / f"{name}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "beteiligung.cli", "run"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(name, base, proc, log_path)


async def _arrange(settings: Settings) -> int:
    from sqlalchemy import select

    from beteiligung.moderation.models import ModerationSettings
    from beteiligung.organisations.models import Organisation
    from tests.meeting_factories import make_meeting
    from tests.participation_factories import run_sql

    await reset_database(settings)
    await make_user(settings, email=STAFF, role="staff", display_name="Stadtentwicklung")

    async def lift_limits(db: Any) -> None:
        # 20 questions in seconds: the rate limits would hold some (tests/http/test_moderation.py).
        org = (await db.scalars(select(Organisation))).first()
        db.add(
            ModerationSettings(
                organisation_id=org.id, posts_per_ten_minutes=100_000, new_account_posts_per_hour=100_000
            )
        )

    await run_sql(settings, lift_limits)
    return await make_meeting(
        settings,
        title="Virtuelle Bürgerversammlung: 200 Teilnehmende",
        state="live",
        allow_guests=True,
        question_moderation="post",
    )


@pytest.fixture(scope="module")
def scale_env(
    pg_url: str, redis_url: str, redis_prefix: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    settings = Settings(env="test", database_url=pg_url, secret_key=SECRET)
    meeting_id = in_thread(asyncio.run, _arrange(settings))
    tmp = tmp_path_factory.mktemp("meeting-scale")
    prefix = f"{redis_prefix}:meetscale"
    common = {"database_url": pg_url, "redis_url": redis_url, "prefix": prefix}
    a = _start_app("app-a", tmp, **common)
    b = _start_app("app-b", tmp, **common)
    _wait_healthy(a, b)
    yield {
        "settings": settings,
        "meeting_id": meeting_id,
        "servers": (a, b),
        "redis_url": redis_url,
        "prefix": prefix,
    }
    _stop(a, b)


# ---------------------------------------------------------------------------------------------
# Participants
# ---------------------------------------------------------------------------------------------
class Participant:
    def __init__(self, index: int, server: Server) -> None:
        self.index = index
        self.server = server
        self.http = httpx.AsyncClient(
            base_url=server.base,
            follow_redirects=False,
            timeout=TIMEOUT,
            # uvicorn closes an idle keep-alive connection after 5 s; drop ours before that, or a
            # request sent as it closes fails with a ReadError.
            limits=httpx.Limits(max_connections=4, max_keepalive_connections=2, keepalive_expiry=2.0),
        )
        self.since = ""
        self.stream: Stream | None = None

    async def post(self, path: str, data: dict[str, Any]) -> httpx.Response:
        return await self.http.post(path, data={**data, "_csrf_token": self.http.cookies["csrftoken"]})

    def live_ids(self) -> tuple[list[str], int]:
        """The ids of the live events received so far (in order) and the number of resets."""
        assert self.stream is not None
        ids: list[str] = []
        resets = 0
        queue = self.stream.messages
        kept = []
        while not queue.empty():
            kept.append(queue.get_nowait())
        for message in kept:
            queue.put_nowait(message)  # leave them for the next look
            if message.event == "live":
                assert message.id, message
                ids.append(message.id)
            elif message.event == "reset":
                resets += 1
        return ids, resets


def _key(event_id: str) -> tuple[int, int]:
    ms, _, seq = event_id.partition("-")
    return int(ms), int(seq)


async def _published(redis_url: str, prefix: str, meeting_id: int) -> list[tuple[str, str]]:
    """(id, type) of every event on the meeting's public channel, from the broker's own stream."""
    from redis.asyncio import Redis

    channel = f"meeting:{meeting_id}"
    redis = Redis.from_url(redis_url)
    try:
        entries = await redis.xrange(f"{prefix}:live:events", "-", "+")
    finally:
        await redis.aclose()
    out = []
    for raw_id, fields in entries:
        if channel in fields[b"ch"].decode().split(","):
            out.append((raw_id.decode(), json.loads(fields[b"ev"])["type"]))
    return out


async def _gather(limit: int, coros: list[Any]) -> list[Any]:
    semaphore = asyncio.Semaphore(limit)

    async def one(coro: Any) -> Any:
        async with semaphore:
            return await coro

    return await asyncio.gather(*(one(c) for c in coros))


async def _counts(settings: Settings, meeting_id: int, poll_id: int) -> dict[str, Any]:
    from sqlalchemy import func, select

    from beteiligung.meetings.models import (
        MeetingPoll,
        MeetingPollBallot,
        MeetingPollChoice,
        MeetingPollOption,
        MeetingQuestion,
        MeetingQuestionVote,
    )
    from tests.participation_factories import run_sql

    async def read(db: Any) -> dict[str, Any]:
        questions = (
            await db.scalars(select(MeetingQuestion).where(MeetingQuestion.meeting_id == meeting_id))
        ).all()
        vote_rows = dict(
            (
                await db.execute(
                    select(MeetingQuestionVote.question_id, func.count())
                    .join(MeetingQuestion, MeetingQuestion.id == MeetingQuestionVote.question_id)
                    .where(MeetingQuestion.meeting_id == meeting_id)
                    .group_by(MeetingQuestionVote.question_id)
                )
            ).all()
        )
        poll = await db.get(MeetingPoll, poll_id)
        options = (
            await db.scalars(select(MeetingPollOption).where(MeetingPollOption.poll_id == poll_id))
        ).all()
        ballots = await db.scalar(
            select(func.count()).select_from(MeetingPollBallot).where(MeetingPollBallot.poll_id == poll_id)
        )
        choice_rows = dict(
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
            "questions": {q.id: (q.vote_count, int(vote_rows.get(q.id, 0)), q.is_public) for q in questions},
            "ballot_count": poll.ballot_count,
            "ballot_rows": int(ballots or 0),
            "poll_state": poll.state.value,
            "options": {o.label: (o.vote_count, int(choice_rows.get(o.id, 0))) for o in options},
        }

    return await run_sql(settings, read)  # type: ignore[no-any-return]


async def _poll_ids(settings: Settings, meeting_id: int) -> tuple[int, dict[str, int]]:
    from sqlalchemy import select

    from beteiligung.meetings.models import MeetingPoll
    from tests.participation_factories import run_sql

    async def read(db: Any) -> tuple[int, dict[str, int]]:
        poll = (await db.scalars(select(MeetingPoll).where(MeetingPoll.meeting_id == meeting_id))).one()
        return poll.id, {o.label: o.id for o in poll.options}

    return await run_sql(settings, read)  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------------------------
# The test
# ---------------------------------------------------------------------------------------------
async def test_200_participants_ask_upvote_and_vote_across_two_processes(scale_env):
    settings: Settings = scale_env["settings"]
    mid: int = scale_env["meeting_id"]
    a, b = scale_env["servers"]
    room = f"/veranstaltungen/{mid}"
    statuses: Counter[tuple[str, int]] = Counter()

    def expect(label: str, response: httpx.Response, location: str = room) -> httpx.Response:
        statuses[(label, response.status_code)] += 1
        assert response.status_code == 303, (label, response.status_code, response.text[:500])
        assert response.headers["location"].startswith(location), (label, response.headers["location"])
        return response

    staff = httpx.AsyncClient(
        base_url=a.base,
        follow_redirects=False,
        timeout=TIMEOUT,
        limits=httpx.Limits(keepalive_expiry=2.0),
    )
    people = [Participant(i, a if i % 2 else b) for i in range(PARTICIPANTS)]
    async with staff, contextlib.AsyncExitStack() as stack:
        for person in people:
            await stack.enter_async_context(person.http)

        # Staff prepare the poll (a draft: its event is the meeting stream's first entry).
        await login(staff, STAFF)
        expect(
            "poll.create",
            await staff.post(
                f"/verwaltung{room}/abstimmungen",
                data={
                    "question": "Soll der Marktplatz autofrei werden?",
                    "options": "\n".join(OPTIONS),
                    "kind": "single",
                    "results": "live",
                    "agenda_item": "-",
                    "_csrf_token": staff.cookies["csrftoken"],
                },
            ),
        )
        poll_id, option_ids = await _poll_ids(settings, mid)

        # 200 guests load the room, choose a name and keep the live stream open.
        async def join(person: Participant) -> None:
            page = await person.http.get(room)
            statuses[("room", page.status_code)] += 1
            assert page.status_code == 200, page.text[:500]
            found = LIVE_URL.search(page.text)
            assert found, "the room page names no live stream"
            live_url = found.group(1).replace("&amp;", "&")
            person.since = live_url.rsplit("seit=", 1)[1]
            expect("guest", await person.post(f"{room}/gast", {"name": f"Gast {person.index:03}"}))
            person.stream = await stack.enter_async_context(sse(person.http, live_url))
            assert person.stream.response.status_code == 200, person.stream.response.status_code

        await _gather(CONCURRENCY, [join(p) for p in people])
        assert all(p.since for p in people)

        # 20 questions, concurrently.
        async def ask(person: Participant) -> int:
            response = expect(
                "ask",
                await person.post(
                    f"{room}/fragen",
                    {
                        "body": f"Frage Nummer {person.index}: Wie geht es mit Abschnitt {person.index} weiter?"
                    },
                ),
            )
            found = re.search(r"#frage-(\d+)$", response.headers["location"])
            assert found, response.headers["location"]
            return int(found.group(1))

        question_ids: list[int] = await _gather(CONCURRENCY, [ask(p) for p in people[:QUESTIONS]])
        assert len(set(question_ids)) == QUESTIONS

        # 200 upvotes: each participant one question not their own (10 per question).
        async def upvote(person: Participant) -> None:
            target = person.index % QUESTIONS
            if target == person.index:  # the asker of this question
                target = (target + 1) % QUESTIONS
            expect("upvote", await person.post(f"{room}/fragen/{question_ids[target]}/stimme", {}))

        await _gather(CONCURRENCY, [upvote(p) for p in people])

        # Staff open the poll, all 200 vote, staff close it.
        poll_path = f"/verwaltung{room}/abstimmungen/{poll_id}"
        csrf = staff.cookies["csrftoken"]
        expect("poll.open", await staff.post(poll_path, data={"aktion": "oeffnen", "_csrf_token": csrf}))

        async def vote(person: Participant) -> None:
            option = option_ids[OPTIONS[person.index % len(OPTIONS)]]
            expect(
                "vote", await person.post(f"{room}/abstimmungen/{poll_id}/stimme", {"option": str(option)})
            )

        await _gather(CONCURRENCY, [vote(p) for p in people])
        votes_done_mark = f"{int(time.time() * 1000)}-0"  # every vote has been answered (committed)
        expect("poll.close", await staff.post(poll_path, data={"aktion": "schliessen", "_csrf_token": csrf}))

        # Ballots and upvotes are published once per window (live/broker.py): let the last window
        # end, so its event is among the published ones.
        from beteiligung.live.broker import Broker

        await asyncio.sleep(Broker.COALESCE_SECONDS + 1.0)

        # Every client gets every event published after it loaded the room. Presence events
        # may still come (a window after the last join), so the wanted set is read afresh until
        # all clients match it or the bound runs out.
        deadline = asyncio.get_running_loop().time() + DELIVERY_TIMEOUT
        while True:
            published = await _published(scale_env["redis_url"], scale_env["prefix"], mid)
            lacking = {}
            for person in people:
                got, _resets = person.live_ids()
                wanted = [i for i, _type in published if _key(i) > _key(person.since)]
                if got != wanted:
                    lacking[person.index] = (got, wanted)
            if not lacking or asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.5)

        report = []
        for index, (got, wanted) in sorted(lacking.items())[:5]:
            missing = sorted(set(wanted) - set(got), key=_key)
            extra = sorted(set(got) - set(wanted), key=_key)
            order = "" if missing or extra else " (all there, another order or duplicates)"
            report.append(
                f"participant {index} on {people[index].server.name}: {len(got)} of {len(wanted)} "
                f"events{order}; missing {missing[:5]}, unexpected {extra[:5]}"
            )
        assert not lacking, f"{len(lacking)} of {PARTICIPANTS} clients lack events:\n" + "\n".join(report)
        resets = {p.index: r for p in people if (r := p.live_ids()[1])}
        assert not resets, f"clients told to reset (events dropped for them): {resets}"

        # The events themselves: one per question and poll change; upvotes and ballots coalesced
        # (at least one event, far fewer than one per vote).
        types = Counter(t for _i, t in published)
        assert QUESTIONS < types["meeting_questions_changed"] < QUESTIONS + PARTICIPANTS // 2, types
        assert 1 <= types["meeting_votes_changed"] < PARTICIPANTS // 2, types
        # The last ballot is on every screen: a votes event came after the last vote's commit.
        last_votes_event = max(_key(i) for i, t in published if t == "meeting_votes_changed")
        assert last_votes_event > _key(votes_done_mark), (last_votes_event, votes_done_mark)
        assert types["meeting_poll_changed"] == 3, types  # prepared, opened, closed
        assert types["meeting_presence_changed"] >= 1, types
        assert set(types) == {
            "meeting_questions_changed",
            "meeting_votes_changed",
            "meeting_poll_changed",
            "meeting_presence_changed",
        }, types

    # Exact counts: counters equal their rows.
    counts = await _counts(settings, mid, poll_id)
    questions = counts["questions"]
    assert len(questions) == QUESTIONS
    assert all(public for _count, _rows, public in questions.values()), "a question was held"
    assert {qid: (count, rows) for qid, (count, rows, _p) in questions.items()} == {
        qid: (10, 10) for qid in question_ids
    }
    assert sum(count for count, _rows, _p in questions.values()) == PARTICIPANTS
    assert counts["ballot_count"] == counts["ballot_rows"] == PARTICIPANTS
    assert counts["poll_state"] == "closed"
    assert counts["options"] == {"Ja": (67, 67), "Nein": (67, 67), "Enthaltung": (66, 66)}

    # No request failed (5xx) in either process; every answer was the expected 303 or 200.
    assert all(status < 500 for _label, status in statuses), statuses
    for server in (a, b):
        assert '"request.failed"' not in server.log(), server.log()[-3000:]
