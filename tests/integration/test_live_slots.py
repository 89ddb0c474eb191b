"""The per-address cap on open live streams (live/limits.py, live/streams.py): a slot is held only
while a stream lives.

Found by a probe: a client that connected and closed at once kept its slot (the stream's
``finally`` never ran because the generator never started), 100 such attempts locked the
address out for an hour, each refusal renewed the expiry, and during a Redis outage the counter
went negative and then let 53 streams through against a limit of 20.

Both backends: ``sqlite`` is the embedded mode (slots in memory), ``postgres`` runs with the
shared Redis. The streams go through a real uvicorn (tests/own_servers.py): the in-process test
client buffers streaming responses.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import httpx

from beteiligung.infra import make_redis
from beteiligung.live.limits import ConnectionLimiter
from beteiligung.settings import Settings
from tests.conftest import reset_database
from tests.own_servers import own_redis, served
from tests.participation_factories import make_consultation

PATH = "/live/vorhaben/isek-2030"
PATIENCE = 20.0  # only a guard against hanging: every wait below polls for a state


async def _app(settings: Settings, **overrides: Any) -> tuple[Any, Settings]:
    from beteiligung.app import create_app

    settings = dataclasses.replace(settings, **overrides)
    await reset_database(settings)
    await make_consultation(settings)
    return create_app(settings), settings


async def _eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not await check():
        assert time.monotonic() < deadline, f"never: {what}"
        await asyncio.sleep(0.05)


async def _connect_and_close(base: str, client: str, *, read_status: bool) -> None:
    """Send the request and hang up: at once, or right after the status line."""
    url = urlsplit(base)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    writer.write(
        (
            f"GET {PATH} HTTP/1.1\r\nHost: {url.netloc}\r\nAccept: text/event-stream\r\n"
            f"X-Forwarded-For: {client}\r\n\r\n"
        ).encode()
    )
    await writer.drain()
    if read_status:
        assert (await reader.readline()).startswith(b"HTTP/1.1 200")
    writer.close()
    with contextlib.suppress(ConnectionError):
        await writer.wait_closed()


@contextlib.asynccontextmanager
async def _stream(http: httpx.AsyncClient, client: str) -> Any:
    async with http.stream(
        "GET", PATH, headers={"X-Forwarded-For": client, "Accept": "text/event-stream"}
    ) as response:
        yield response


async def _status(http: httpx.AsyncClient, client: str) -> int:
    async with _stream(http, client) as response:
        return response.status_code


def _http(base: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base,
        timeout=httpx.Timeout(10.0, read=30.0),
        limits=httpx.Limits(max_connections=50, max_keepalive_connections=0),
    )


async def test_connect_and_close_a_hundred_times_leaves_no_slot(settings):
    """100 connect-and-close cycles from one address (half hang up before the response, half
    right after its status line): afterwards the address holds 0 slots and may connect again."""
    app, _ = await _app(settings)
    limiter: ConnectionLimiter = app.state["live_limiter"]
    client = "198.51.100.41"
    async with served(app) as base, _http(base) as http:
        for i in range(100):
            await _connect_and_close(base, client, read_status=bool(i % 2))

        async def none_held() -> bool:
            return await limiter.held(client) == 0

        await _eventually(none_held, "all 100 slots given back")
        assert await _status(http, client) == 200
        await _eventually(none_held, "the last stream's slot given back")


async def test_open_streams_keep_their_slots_past_the_ttl_and_free_them_when_closed(settings):
    """A live stream refreshes its slot on its heartbeat: with a TTL of 1 s, two open streams
    still fill a limit of two after several heartbeats; once closed, the address connects again."""
    app, _ = await _app(settings, live_slot_ttl_seconds=1, live_streams_per_client=2)
    limiter: ConnectionLimiter = app.state["live_limiter"]
    client = "198.51.100.42"
    async with served(app) as base, _http(base) as http:
        async with _stream(http, client) as one, _stream(http, client) as two:
            assert (one.status_code, two.status_code) == (200, 200)
            # Keep each line iterator: leaving one (`async for … break`, or dropping it) closes its stream.
            readers = [one.aiter_lines(), two.aiter_lines()]
            for lines in readers:  # 4 heartbeats at a third of the TTL: past the TTL
                beats = 0
                while beats < 4:
                    beats += await anext(lines) == ": hb"
            assert await limiter.held(client) == 2
            assert await _status(http, client) == 429

        async def free_again() -> bool:
            return await limiter.held(client) == 0

        await _eventually(free_again, "both slots given back after the streams closed")
        assert await _status(http, client) == 200


async def _limiter(settings: Settings, **kwargs: Any) -> tuple[ConnectionLimiter, Any]:
    redis = make_redis(settings)
    return ConnectionLimiter(settings.secret_key, redis, settings.redis_prefix, **kwargs), redis


async def test_a_crashed_connections_slot_expires_and_refusals_do_not_extend_it(settings):
    """Slots acquired and never released (a crashed process: in Redis mode another limiter, as
    another process, is asked afterwards) expire after the TTL, although the address keeps
    knocking the whole time; a refusal renews nothing."""
    client = "198.51.100.43"
    crashed, crashed_redis = await _limiter(settings, limit=3, ttl_seconds=1)
    survivor, redis = crashed, crashed_redis
    if crashed_redis is not None:
        survivor, redis = await _limiter(settings, limit=3, ttl_seconds=1)
    try:
        assert all([await crashed.acquire(client) for _ in range(3)])
        if crashed_redis is not None:
            await crashed_redis.aclose()  # the process is gone; its slots stay in Redis
        assert await survivor.acquire(client) is None
        if redis is not None:
            key = survivor._key(client)
            before = await redis.pttl(key)
            assert before > 0
            assert await survivor.acquire(client) is None
            assert 0 <= await redis.pttl(key) <= before  # the refusal did not renew the key

        slot = None

        async def accepted() -> bool:
            nonlocal slot
            slot = await survivor.acquire(client)
            return slot is not None

        await _eventually(accepted, "the crashed slots expire while the address keeps knocking")
        assert await survivor.held(client) == 1
        await survivor.release(client, slot)  # type: ignore[arg-type]
        assert await survivor.held(client) == 0
    finally:
        if redis is not None:
            await redis.aclose()


async def test_releasing_twice_or_unknown_slots_never_makes_room(settings):
    """There is no counter to go below zero: extra releases change nothing, and the limit is
    still exactly the limit afterwards."""
    client = "198.51.100.44"
    limiter, redis = await _limiter(settings, limit=3)
    try:
        slot = await limiter.acquire(client)
        assert slot is not None
        for _ in range(3):
            await limiter.release(client, slot)
        await limiter.release(client, "never-acquired")
        assert await limiter.held(client) == 0
        slots = [await limiter.acquire(client) for _ in range(3)]
        assert None not in slots
        assert await limiter.acquire(client) is None
        assert await limiter.held(client) == 3
        for s in slots:
            await limiter.release(client, s)  # type: ignore[arg-type]
        assert await limiter.held(client) == 0
    finally:
        if redis is not None:
            await redis.aclose()


async def test_while_redis_is_down_the_limit_holds_in_the_process(settings):
    """Redis (our own server) is killed while the app runs: streams still open, but only up to
    the limit (counted in the process), and closed ones give their slots back."""
    with own_redis() as redis_server:
        app, _ = await _app(settings, redis_url=redis_server.url, live_streams_per_client=3)
        limiter: ConnectionLimiter = app.state["live_limiter"]
        client = "198.51.100.45"
        async with served(app) as base, _http(base) as http:
            assert await _status(http, client) == 200  # Redis up: fine
            redis_server.kill()
            async with contextlib.AsyncExitStack() as stack:
                opened = [await stack.enter_async_context(_stream(http, client)) for _ in range(3)]
                assert [r.status_code for r in opened] == [200, 200, 200]
                assert await _status(http, client) == 429
                assert await _status(http, "198.51.100.46") == 200  # per address

            async def free_again() -> bool:
                return await limiter.held(client) == 0

            await _eventually(free_again, "the slots of the closed streams given back")
            assert await _status(http, client) == 200
