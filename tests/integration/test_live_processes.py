"""Live updates across real processes: two app processes (``beteiligung run``) share PostgreSQL and
Redis; an SSE client on one hears what residents do through the other. Also: reconnect with
``Last-Event-ID``, a gap older than the history, Redis going away and coming back (own
``redis-server``), permissions and the per-client connection limit.

The in-process test client buffers streaming responses, so these tests speak HTTP to real
servers (``httpx``) and read the event stream line by line.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from beteiligung.settings import Settings
from tests.conftest import DEMO_PASSWORD, IN_CI, in_thread, make_user, reset_database

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

SECRET = "live-process-secret-" + "z" * 40
REDIS_SERVER = "/usr/bin/redis-server"
AUTHOR = "autorin@example.org"
RESIDENT = "anwohner@example.org"
OTHER = "nachbarin@example.org"
FAST = 1.0  # functional bound: an event reaches the other process within a second
IDLE = 5.6  # longer than the broker's XREAD BLOCK (5 s)
TIMEOUT = httpx.Timeout(10.0)
STREAM_TIMEOUT = httpx.Timeout(10.0, read=60.0)  # heartbeats come every 15 s


# ---------------------------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    name: str
    base: str
    proc: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _start_app(
    name: str, tmp: Path, *, database_url: str, redis_url: str, prefix: str, smtp_port: int
) -> Server:
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
            "BETEILIGUNG_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
            "BETEILIGUNG_DEMO": "false",
            "BETEILIGUNG_LOG_LEVEL": "INFO",
            "BETEILIGUNG_LOG_JSON": "true",
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
            start_new_session=True,  # its own process group: stopped as a whole
        )
    return Server(name, base, proc, log_path)


def _wait_healthy(*servers: Server, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    waiting = list(servers)
    while waiting:
        for server in list(waiting):
            if server.proc.poll() is not None:
                _stop(*servers)
                pytest.fail(f"{server.name} exited ({server.proc.returncode}):\n{server.log()}")
            try:
                with urllib.request.urlopen(server.base + "/healthz", timeout=1) as response:
                    if response.status == 200:
                        waiting.remove(server)
            except OSError:
                pass
        if waiting and time.monotonic() > deadline:
            _stop(*servers)
            pytest.fail(f"{waiting[0].name} did not answer /healthz:\n{waiting[0].log()}")
        if waiting:
            time.sleep(0.1)


def _stop(*servers: Server) -> None:
    for server in servers:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.proc.pid, signal.SIGTERM)
    for server in servers:
        try:
            server.proc.wait(timeout=8)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.proc.pid, signal.SIGKILL)
            server.proc.wait()


class RedisServer:
    """A redis-server of our own (no persistence), to stop and start again on the same port."""

    def __init__(self, tmp: Path) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.tmp = tmp
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = (self.tmp / "redis.log").open("ab")
        self.proc = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            cwd=self.tmp,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"redis-server did not start:\n{(self.tmp / 'redis.log').read_text()}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------
@dataclass
class World:
    consultation_id: int
    proposal_id: int
    other_proposal_id: int
    draft_slug: str
    draft_proposal_id: int


async def _arrange(settings: Settings) -> World:
    from beteiligung.consultations.models import ConsultationStatus
    from beteiligung.proposals.models import Proposal
    from tests.participation_factories import make_consultation, run_sql

    await reset_database(settings)
    author = await make_user(settings, email=AUTHOR, display_name="Autorin")
    await make_user(settings, email=RESIDENT, display_name="Anwohner")
    await make_user(settings, email=OTHER, display_name="Nachbarin")
    consultation_id = await make_consultation(settings, slug="live-vorhaben", title="Live: Am Sande")
    draft_id = await make_consultation(
        settings, slug="live-entwurf", title="Entwurf", status=ConsultationStatus.DRAFT
    )

    async def proposals(db: Any) -> list[int]:
        from sqlalchemy import select

        from beteiligung.moderation.models import ModerationSettings
        from beteiligung.organisations.models import Organisation

        # These tests post many comments from one account in minutes: lift the moderation's rate
        # limits (which would hold them, tests/http/test_moderation.py) so every post is public.
        org = (await db.scalars(select(Organisation))).first()
        db.add(
            ModerationSettings(
                organisation_id=org.id, posts_per_ten_minutes=100_000, new_account_posts_per_hour=100_000
            )
        )
        rows = [
            Proposal(consultation_id=consultation_id, author_id=author, title="Mehr Bänke", body="Am Sande."),
            Proposal(consultation_id=consultation_id, author_id=author, title="Mehr Bäume", body="Am Markt."),
            Proposal(consultation_id=draft_id, author_id=author, title="Noch geheim", body="Entwurf."),
        ]
        db.add_all(rows)
        await db.flush()
        return [p.id for p in rows]

    proposal_id, other_id, draft_proposal_id = await run_sql(settings, proposals)
    return World(consultation_id, proposal_id, other_id, "live-entwurf", draft_proposal_id)


@pytest.fixture(scope="module")
def live_env(
    pg_url: str,
    redis_url: str,
    redis_prefix: str,
    smtp_server: tuple[Any, int],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    settings = Settings(env="test", database_url=pg_url, secret_key=SECRET)
    world = in_thread(asyncio.run, _arrange(settings))
    return {
        "world": world,
        "pg_url": pg_url,
        "redis_url": redis_url,
        "prefix": f"{redis_prefix}:liveproc",
        "smtp_port": smtp_server[1],
        "tmp": tmp_path_factory.mktemp("live-processes"),
    }


@pytest.fixture(scope="module")
def world(live_env: dict[str, Any]) -> World:
    return live_env["world"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def servers(live_env: dict[str, Any]) -> Iterator[tuple[Server, Server]]:
    """Two app processes A and B on one PostgreSQL database and one Redis key prefix."""
    common = {
        "database_url": live_env["pg_url"],
        "redis_url": live_env["redis_url"],
        "prefix": live_env["prefix"],
        "smtp_port": live_env["smtp_port"],
    }
    a = _start_app("app-a", live_env["tmp"], **common)
    b = _start_app("app-b", live_env["tmp"], **common)
    _wait_healthy(a, b)
    yield a, b
    _stop(a, b)


# ---------------------------------------------------------------------------------------------
# HTTP and SSE clients
# ---------------------------------------------------------------------------------------------
@contextlib.asynccontextmanager
async def browser(base: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base, follow_redirects=False, timeout=TIMEOUT) as http:
        yield http


async def login(http: httpx.AsyncClient, email: str) -> None:
    await http.get("/anmelden")
    response = await http.post(
        "/anmelden",
        data={"email": email, "password": DEMO_PASSWORD, "_csrf_token": http.cookies["csrftoken"]},
    )
    assert response.status_code == 303, response.text


async def post_comment(http: httpx.AsyncClient, proposal_id: int, body: str) -> httpx.Response:
    return await http.post(
        f"/vorschlaege/{proposal_id}/kommentare",
        data={"body": body, "_csrf_token": http.cookies["csrftoken"]},
    )


def saved(response: httpx.Response) -> bool:
    """The POST did its work: a 303 back to the page, not to the login form."""
    location = response.headers.get("location", "")
    return response.status_code == 303 and location.startswith("/vorschlaege/")


async def comment(http: httpx.AsyncClient, proposal_id: int, body: str) -> float:
    """Post a comment; the time its response arrived."""
    response = await post_comment(http, proposal_id, body)
    returned = time.monotonic()
    assert saved(response) and "#comment-" in response.headers["location"], (response, response.text[:300])
    return returned


async def support(http: httpx.AsyncClient, proposal_id: int) -> float:
    response = await http.post(
        f"/vorschlaege/{proposal_id}/unterstuetzen", data={"_csrf_token": http.cookies["csrftoken"]}
    )
    returned = time.monotonic()
    assert saved(response), (response, response.text[:300])
    return returned


@dataclass
class Message:
    event: str = "message"
    id: str | None = None
    data: str = ""
    comment: str | None = None
    at: float = 0.0  # time.monotonic() when it arrived

    @property
    def keys(self) -> list[str]:
        return list(json.loads(self.data)["keys"]) if self.event == "live" else []


def id_key(event_id: str | None) -> tuple[int, int]:
    assert event_id, "a live message without id"
    ms, _, seq = event_id.partition("-")
    return int(ms), int(seq)


@dataclass
class Stream:
    """An EventSource-like reader: a task parses the stream into messages on a queue."""

    response: httpx.Response
    messages: asyncio.Queue[Message] = field(default_factory=asyncio.Queue)
    task: asyncio.Task[None] | None = None

    async def _read(self) -> None:
        current = Message()
        seen = False
        async for line in self.response.aiter_lines():
            if line == "":
                if seen:
                    current.at = time.monotonic()
                    self.messages.put_nowait(current)
                current, seen = Message(), False
                continue
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "":
                self.messages.put_nowait(Message(event="comment", comment=value, at=time.monotonic()))
            elif name in ("event", "id", "data"):
                setattr(current, name, value)
                seen = True

    async def next(self, timeout: float = 5.0, *, skip_comments: bool = True) -> Message:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                message = await asyncio.wait_for(self.messages.get(), max(remaining, 0.001))
            except TimeoutError:
                raise AssertionError(f"no message within {timeout} s") from None
            if message.event == "comment" and skip_comments:
                continue
            return message

    async def quiet(self, seconds: float) -> list[Message]:
        """Everything (but comments) that arrives within ``seconds``."""
        got: list[Message] = []
        with contextlib.suppress(AssertionError):
            while True:
                got.append(await self.next(seconds))
        return got


@contextlib.asynccontextmanager
async def sse(
    http: httpx.AsyncClient, path: str, headers: dict[str, str] | None = None
) -> AsyncIterator[Stream]:
    """Open a stream; once ``: verbunden`` arrived the server has subscribed it."""
    request = http.build_request(
        "GET", path, headers={"Accept": "text/event-stream", **(headers or {})}, timeout=STREAM_TIMEOUT
    )
    response = await http.send(request, stream=True)
    stream = Stream(response)
    try:
        if response.status_code == 200:
            stream.task = asyncio.get_running_loop().create_task(stream._read())
            first = await stream.next(5, skip_comments=False)
            assert first.event == "comment" and first.comment == "verbunden", first
        yield stream
    finally:
        if stream.task is not None:
            stream.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
                await stream.task
        await response.aclose()


async def next_live(stream: Stream, timeout: float = 5.0) -> Message:
    message = await stream.next(timeout)
    assert message.event == "live", message
    return message


# ---------------------------------------------------------------------------------------------
# 1. One process hears what happens in the other
# ---------------------------------------------------------------------------------------------
async def test_a_comment_and_a_support_through_a_reach_a_stream_on_b_within_a_second(servers, world):
    a, b = servers
    pid = world.proposal_id
    async with browser(a.base) as resident, browser(b.base) as reader:
        await login(resident, RESIDENT)
        async with sse(reader, f"/live/vorschlaege/{pid}") as stream:
            assert stream.response.headers["content-type"].startswith("text/event-stream")

            returned = await comment(resident, pid, "Eine Bank im Schatten wäre schön.")
            message = await next_live(stream)
            assert max(0.0, message.at - returned) < FAST
            assert json.loads(message.data) == {
                "type": "comment_posted",
                "kind": "comment",
                "keys": [f"proposal-{pid}-comments"],
            }
            first_id = message.id

            returned = await support(resident, pid)
            message = await next_live(stream)
            assert max(0.0, message.at - returned) < FAST
            assert message.keys == [f"proposal-{pid}-supports"]
            assert json.loads(message.data)["type"] == "proposal_support_changed"
            assert id_key(message.id) > id_key(first_id)

            # A quiet spell longer than the listener's blocking read (5 s) changes nothing: the
            # next event arrives as itself, without a reset, and Redis was never "unavailable".
            assert await stream.quiet(IDLE) == []
            returned = await comment(resident, pid, "Nach einer ruhigen Pause.")
            message = await stream.next()
            assert message.event == "live", (message, _live_log_lines(a, b))
            assert max(0.0, message.at - returned) < FAST
            assert _live_log_lines(a, b) == []


def _live_log_lines(*servers: Server) -> list[str]:
    return [line for s in servers for line in s.log().splitlines() if '"live.redis.' in line]


# ---------------------------------------------------------------------------------------------
# 2. Reconnect: exactly the missed events; a gap older than the history resets
# ---------------------------------------------------------------------------------------------
async def test_a_reconnect_with_last_event_id_gets_exactly_the_missed_events_then_a_reset_after_trimming(
    servers, world, live_env
):
    a, b = servers
    pid = world.proposal_id
    async with browser(a.base) as resident, browser(b.base) as reader:
        await login(resident, RESIDENT)
        async with sse(reader, f"/live/vorschlaege/{pid}") as stream:
            await comment(resident, pid, "Vor der Pause.")
            last_seen = (await next_live(stream)).id
        assert last_seen

        for i in range(5):  # the reader is away
            await comment(resident, pid, f"Während der Pause, Nummer {i + 1}.")
        await asyncio.sleep(0.2)  # the publishes run after the commits

        # ``seit=0-0`` would replay everything: the header of a reconnect wins over it.
        async with sse(reader, f"/live/vorschlaege/{pid}?seit=0-0", {"Last-Event-ID": last_seen}) as stream:
            replayed = [await next_live(stream, 2.0) for _ in range(5)]
            ids = [id_key(m.id) for m in replayed]
            assert ids == sorted(ids) and len(set(ids)) == 5
            assert ids[0] > id_key(last_seen)
            assert all(m.keys == [f"proposal-{pid}-comments"] for m in replayed)
            # Nothing more: the next message is a new event, not a duplicate of the five.
            await comment(resident, pid, "Nach der Pause.")
            after = await next_live(stream)
            assert id_key(after.id) > ids[-1], (after, replayed)
            newest = after.id

        # The history no longer reaches back to the client's id: it is told to refresh.
        from redis.asyncio import Redis

        redis = Redis.from_url(live_env["redis_url"])
        try:
            await redis.xtrim(f"{live_env['prefix']}:live:events", maxlen=1, approximate=False)
        finally:
            await redis.aclose()
        async with sse(reader, f"/live/vorschlaege/{pid}", {"Last-Event-ID": "1-0"}) as stream:
            message = await stream.next(2.0)
            assert (message.event, message.data) == ("reset", "{}")
        # An id the history still covers replays normally (nothing after the newest one).
        async with sse(reader, f"/live/vorschlaege/{pid}", {"Last-Event-ID": newest}) as stream:
            assert await stream.quiet(0.3) == []


# ---------------------------------------------------------------------------------------------
# 4. Permissions and channels
# ---------------------------------------------------------------------------------------------
async def test_a_draft_is_not_streamed_to_the_public_and_other_proposals_stay_off_the_stream(servers, world):
    a, b = servers
    async with browser(b.base) as anonymous:
        for path in (f"/live/vorhaben/{world.draft_slug}", f"/live/vorschlaege/{world.draft_proposal_id}"):
            async with sse(anonymous, path) as stream:
                assert stream.response.status_code == 404, path
        async with sse(anonymous, "/live/vorhaben/live-vorhaben") as stream:
            assert stream.response.status_code == 200

    pid, other = world.proposal_id, world.other_proposal_id
    async with browser(a.base) as resident, browser(b.base) as reader:
        await login(resident, OTHER)
        async with sse(reader, f"/live/vorschlaege/{pid}") as stream:
            await comment(resident, other, "Zu einem anderen Vorschlag.")
            await support(resident, other)
            # The stream keeps the order of events: had the other proposal's arrived, it would
            # come before this one.
            await comment(resident, pid, "Zu diesem Vorschlag.")
            message = await next_live(stream)
            assert message.keys == [f"proposal-{pid}-comments"], message
            assert await stream.quiet(0.2) == []


# ---------------------------------------------------------------------------------------------
# 5. At most 20 streams per client address, counted across processes
# ---------------------------------------------------------------------------------------------
def _limiter_key(prefix: str, client: str) -> str:
    digest = hmac.new(SECRET.encode(), client.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{prefix}:live-conn:{digest}"


async def test_the_twenty_first_stream_of_one_client_gets_429(servers, world, live_env):
    from redis.asyncio import Redis

    a, b = servers
    client = "198.51.100.21"  # via X-Forwarded-For, which uvicorn trusts from 127.0.0.1
    headers = {"X-Forwarded-For": client}
    path = f"/live/vorschlaege/{world.proposal_id}"
    limits = httpx.Limits(max_connections=50, max_keepalive_connections=0)
    async with (
        httpx.AsyncClient(base_url=a.base, limits=limits, timeout=TIMEOUT) as on_a,
        httpx.AsyncClient(base_url=b.base, limits=limits, timeout=TIMEOUT) as on_b,
        contextlib.AsyncExitStack() as stack,
    ):
        opened = await asyncio.gather(
            *[stack.enter_async_context(sse(on_a if i % 2 else on_b, path, headers)) for i in range(20)]
        )
        assert [s.response.status_code for s in opened] == [200] * 20
        for http in (on_a, on_b):
            async with sse(http, path, headers) as extra:
                assert extra.response.status_code == 429
                assert extra.response.headers.get("retry-after") == "30"
        async with sse(on_a, path, {"X-Forwarded-For": "198.51.100.22"}) as neighbour:
            assert neighbour.response.status_code == 200  # the limit is per address
        await stack.aclose()

    # Closed streams give their places back (the server notices the disconnect).
    redis = Redis.from_url(live_env["redis_url"])
    try:
        key = _limiter_key(live_env["prefix"], client)
        deadline = time.monotonic() + 5
        while (count := int(await redis.zcard(key))) > 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert count == 0, f"{count} of 20 places still held 5 s after the streams closed"
    finally:
        await redis.aclose()
    async with browser(b.base) as http, sse(http, path, headers) as again:
        assert again.response.status_code == 200


# ---------------------------------------------------------------------------------------------
# 3. Redis goes away and comes back
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def own_redis(live_env: dict[str, Any]) -> Iterator[RedisServer]:
    if not Path(REDIS_SERVER).exists():
        message = f"{REDIS_SERVER} is missing (install Debian's redis-server package)"
        if IN_CI:
            pytest.fail(f"{message}; CI=true: it fails the run", pytrace=False)
        pytest.skip(message)
    server = RedisServer(live_env["tmp"])
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def lonely_app(live_env: dict[str, Any], own_redis: RedisServer) -> Iterator[Server]:
    app = _start_app(
        "app-c",
        live_env["tmp"],
        database_url=live_env["pg_url"],
        redis_url=own_redis.url,
        prefix=live_env["prefix"] + "c",
        smtp_port=live_env["smtp_port"],
    )
    _wait_healthy(app)
    yield app
    _stop(app)


async def _comment_count(pg_url: str, proposal_id: int, body: str) -> int:
    from sqlalchemy import func, select

    from beteiligung.comments.models import Comment
    from tests.participation_factories import run_sql

    settings = Settings(env="test", database_url=pg_url, secret_key=SECRET)

    async def count(db: Any) -> int:
        stmt = select(func.count()).where(Comment.proposal_id == proposal_id, Comment.body == body)
        return int((await db.execute(stmt)).scalar_one())

    return int(await run_sql(settings, count))


async def _wait_for_log(server: Server, text: str, count: int = 1, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while server.log().count(text) < count:
        assert time.monotonic() < deadline, f"{text!r} not logged {count}x:\n{server.log()[-3000:]}"
        await asyncio.sleep(0.05)


async def _collect_until(stream: Stream, wanted: set[str], timeout: float) -> list[Message]:
    """Messages until each event name in ``wanted`` was seen at least once."""
    got: list[Message] = []
    deadline = time.monotonic() + timeout
    while not wanted <= {m.event for m in got}:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"only {got} within {timeout} s"
        got.append(await stream.next(remaining))
    return got


async def test_a_publish_redis_refused_is_sent_when_it_accepts_writes_again(
    lonely_app, own_redis, world, live_env
):
    """Redis refuses the event (here: an ACL takes XADD away) while sessions still work: the
    comment is saved, the publish waits, and once Redis accepts it again the stream gets the
    missed event and a reset."""
    from redis.asyncio import Redis

    pid = world.proposal_id
    admin = Redis.from_url(own_redis.url)
    try:
        async with browser(lonely_app.base) as resident, browser(lonely_app.base) as reader:
            await login(resident, RESIDENT)
            async with sse(reader, f"/live/vorschlaege/{pid}") as stream:
                await admin.execute_command("ACL", "SETUSER", "default", "-xadd")
                try:
                    body = "Geschrieben, während Redis nichts annimmt."
                    await comment(resident, pid, body)
                    assert await _comment_count(live_env["pg_url"], pid, body) == 1
                    await _wait_for_log(lonely_app, "live.redis.unavailable")
                    assert await stream.quiet(0.2) == []
                finally:
                    await admin.execute_command("ACL", "SETUSER", "default", "+xadd")

                got = await _collect_until(stream, {"live", "reset"}, timeout=10)
                assert [m.keys for m in got if m.event == "live"] == [[f"proposal-{pid}-comments"]], got
                await _wait_for_log(lonely_app, "live.redis.recovered")

                await comment(resident, pid, "Redis nimmt wieder an.")
                message = await next_live(stream)
                assert message.keys == [f"proposal-{pid}-comments"]
    finally:
        await admin.aclose()


async def test_redis_going_away_and_coming_back(lonely_app, own_redis, world, live_env):
    """The Redis server stops and starts again (empty: no persistence). A contribution posted
    while it is away is saved; open streams get a reset once it is back; new events flow.
    Each expectation is checked, and all misses are reported together."""
    pid = world.proposal_id
    problems: list[str] = []
    async with browser(lonely_app.base) as resident, browser(lonely_app.base) as reader:
        await login(resident, RESIDENT)
        async with sse(reader, f"/live/vorschlaege/{pid}") as stream:
            warnings = lonely_app.log().count("live.redis.unavailable")
            own_redis.stop()
            body = "Geschrieben, während Redis fehlt."
            response = await post_comment(resident, pid, body)
            if not saved(response):
                problems.append(
                    f"POST during the outage answered {response.status_code}: {_last_failure(lonely_app)}"
                )
            if (count := await _comment_count(live_env["pg_url"], pid, body)) != 1:
                problems.append(f"the comment posted during the outage was saved {count}x")
            try:
                await _wait_for_log(lonely_app, "live.redis.unavailable", warnings + 1)
            except AssertionError:
                problems.append("no new live.redis.unavailable warning for the outage")

            own_redis.start()
            got: list[Message] = []
            try:
                got = await _collect_until(stream, {"reset"}, timeout=12)
            except AssertionError as exc:
                problems.append(f"no reset within 12 s after Redis came back ({exc})")
            if any(m.event not in ("live", "reset") for m in got):
                problems.append(f"unexpected messages after the restart: {got}")

            # New events flow again (the restarted Redis lost the sessions: log in again).
            resident.cookies.clear()
            await _retrying(
                "login after the restart", lambda: login(resident, RESIDENT), lonely_app, problems
            )
            await _retrying(
                "comment after the restart",
                lambda: comment(resident, pid, "Redis ist zurück."),
                lonely_app,
                problems,
            )
            try:
                after = await _collect_until(stream, {"live"}, timeout=8)
            except AssertionError as exc:
                problems.append(f"a new comment did not reach the stream within 8 s ({exc})")
            else:
                assert after[-1].keys == [f"proposal-{pid}-comments"]
                # A reset before it is tolerated (a publish on a connection the restart broke
                # is retried by the listener, which then resets); losing it is not.
                assert all(m.event in ("live", "reset") for m in after), after
    assert not problems, "\n".join(problems)


async def _retrying(label: str, action: Any, server: Server, problems: list[str]) -> Any:
    """Run ``action`` (which asserts its success) up to five times; note each failure."""
    for _ in range(5):
        try:
            return await action()
        except AssertionError:
            problems.append(f"{label} failed: {_last_failure(server)}")
    raise AssertionError("\n".join(problems))


def _last_failure(server: Server) -> str:
    """The last line of the last logged request failure's traceback."""
    for line in reversed(server.log().splitlines()):
        if '"request.failed"' in line:
            return str(json.loads(line).get("exception", "")).strip().splitlines()[-1]
    return "(no request.failed in the log)"
