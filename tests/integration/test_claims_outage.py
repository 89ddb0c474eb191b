"""Moderation claims while Redis is away (issue 12, item 4; moderation/claims.py).

Found in review: reading the claims answered "nobody holds it" on any Redis error, silently, so a
moderator holding a claim was told to claim the item first. Now every error is logged; the check
before a decision and taking a claim say "unavailable" (ClaimsUnavailable); the queue's display
shows no claims; and when Redis is back, claims work again on fresh connections.

Redis is our own server (tests/own_servers.py), killed during the test.
"""

from __future__ import annotations

import re

import pytest

from beteiligung.infra import make_redis
from beteiligung.moderation.claims import Claims, ClaimsUnavailable
from beteiligung.settings import Settings
from tests.own_servers import own_redis

SECRET = "claims-test-secret-" + "x" * 40


async def test_claims_say_unavailable_while_redis_is_down_and_work_again_after(capsys):
    with own_redis() as server:
        settings = Settings(env="test", secret_key=SECRET, redis_url=server.url, redis_prefix="claims")
        redis = make_redis(settings)
        claims = Claims(redis, settings.redis_prefix)
        try:
            mine = await claims.claim(7, user_id=1, name="Moderation Kim")
            assert mine.user_id == 1
            assert (await claims.holder(7)) == mine
            assert (await claims.holders([7, 8])) == {7: mine}
            assert (await claims.claim(7, user_id=2, name="Moderation Ali")).user_id == 1  # taken

            server.kill()
            capsys.readouterr()
            with pytest.raises(ClaimsUnavailable):
                await claims.holder(7)  # unknown, not "nobody": no "claim it first" for Kim
            with pytest.raises(ClaimsUnavailable):
                await claims.claim(7, user_id=1, name="Moderation Kim")
            assert (await claims.holders([7, 8])) == {}  # the queue still shows, without claims
            await claims.release(7, user_id=1)  # expires on its own: no error for the moderator
            await claims.forget([7])
            logged = capsys.readouterr().out
            for operation in ("read", "claim", "release", "forget"):
                assert re.search(rf"operation\W+{operation}\b", logged), logged
            assert logged.count("moderation.claims_unavailable") == 5, logged

            server.start()  # same port, empty (no persistence): the claim is gone with it
            assert (await claims.holder(7)) is None
            again = await claims.claim(7, user_id=2, name="Moderation Ali")
            assert (await claims.holders([7])) == {7: again}
            assert "moderation.claims_unavailable" not in capsys.readouterr().out
        finally:
            await redis.aclose()  # type: ignore[union-attr]


async def test_embedded_claims_need_no_redis():
    claims = Claims(None, "embedded")
    mine = await claims.claim(3, user_id=1, name="Moderation Kim")
    assert (await claims.holder(3)) == mine and (await claims.holders([3, 4])) == {3: mine}
    await claims.release(3, user_id=1)
    assert (await claims.holder(3)) is None
