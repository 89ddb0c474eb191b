"""Rate limits hold during a Redis outage (infra.RateLimiter).

Found by a probe: with Redis down every limit let requests through, so 40 wrong passwords in a
row never got a 429. Now the limiter counts in the process's memory while Redis is away, logs
the outage once (not once per request) and logs when Redis answers again.

Redis is our own server (tests/own_servers.py), killed during the test; both databases.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Any

from litestar.testing import AsyncTestClient

from beteiligung.settings import Settings
from tests.conftest import make_user, post_form, reset_database
from tests.own_servers import own_redis

EMAIL = "ratelimit@example.org"


async def _client(settings: Settings) -> Any:
    from beteiligung.app import create_app

    await reset_database(settings)
    await make_user(settings, email=EMAIL)
    client = AsyncTestClient(app=create_app(settings), base_url="http://testserver.local")
    client.follow_redirects = False
    return client


async def _wrong_logins(client: Any, emails: list[str]) -> list[int]:
    statuses = []
    for email in emails:
        response = await post_form(
            client, "/anmelden", {"email": email, "password": "ganz falsches passwort"}
        )
        assert response.status_code in (422, 429), response.text  # the form again, or refused
        statuses.append(response.status_code)
    return statuses


def _refused_from_some_point(statuses: list[int]) -> int:
    """The attempt (1-based) from which on every attempt was refused."""
    assert 429 in statuses, f"no 429 among {len(statuses)} wrong passwords: {statuses}"
    first = statuses.index(429)
    assert set(statuses[first:]) == {429}, statuses
    return first + 1


async def test_forty_wrong_passwords_for_one_account_are_refused_while_redis_is_down(settings, capsys):
    """5 failures per account in 15 minutes: the 6th attempt is refused, with Redis killed."""
    with own_redis() as redis_server:
        settings = dataclasses.replace(settings, redis_url=redis_server.url)
        async with await _client(settings) as client:
            await client.get("/anmelden")  # the CSRF cookie
            redis_server.kill()
            capsys.readouterr()
            statuses = await _wrong_logins(client, [EMAIL] * 40)
            assert _refused_from_some_point(statuses) == 6, statuses
            logs = "".join(capsys.readouterr())
            assert logs.count("ratelimit.redis.unavailable") == 1, "the outage is logged once"

            # Back (empty: no persistence). Redis is tried again a moment after the last failure;
            # until then the process keeps counting. Then Redis counts, from zero.
            redis_server.start()
            logs = ""
            deadline = time.monotonic() + 20
            while "ratelimit.redis.recovered" not in logs:
                assert time.monotonic() < deadline, "Redis's return was never logged"
                statuses = await _wrong_logins(client, [EMAIL])
                logs += "".join(capsys.readouterr())
                await asyncio.sleep(0.1)
            assert statuses == [422]
            assert logs.count("ratelimit.redis.recovered") == 1
            assert "ratelimit.redis.unavailable" not in logs


async def test_forty_wrong_passwords_from_one_address_are_refused_while_redis_is_down(settings):
    """The per-address login limit (30 in 15 minutes) holds too: 40 different e-mail addresses,
    each with a wrong password, from one address."""
    with own_redis() as redis_server:
        settings = dataclasses.replace(settings, redis_url=redis_server.url)
        async with await _client(settings) as client:
            await client.get("/anmelden")
            redis_server.kill()
            statuses = await _wrong_logins(client, [f"niemand{i}@example.org" for i in range(40)])
            # 30 per address (whether successful logins count too or only failures)
            assert _refused_from_some_point(statuses) in (30, 31), statuses
