"""Claims on queue items: a moderator takes an item before deciding it, so two people never
work on the same post. A claim expires after CLAIM_SECONDS (someone closed the laptop).

With Redis (production, several app processes) a claim is one key set with ``SET NX PX``: of two
simultaneous claims exactly one wins, whichever process they reach. The embedded mode (one
process) keeps them in memory with the same contract.

When Redis does not answer, nobody can say who holds a claim. Each such error is logged
(``moderation.claims_unavailable``, with the operation and the error's class). Taking a claim and
:meth:`Claims.holder` (the check before a decision) raise :class:`ClaimsUnavailable`, so the
moderator hears "not possible right now, try again" and never "claim it first" while holding the
claim; :meth:`Claims.holders` (the queue's display) shows no claims then, so the queue itself and
what needs no claim (bulk actions, notes) keep working.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

import structlog

log = structlog.get_logger("beteiligung.moderation.claims")

CLAIM_SECONDS = 300  # five minutes: long enough to read a thread, short enough not to block others

# Refresh or release only one's own claim, atomically.
_REFRESH = """
local v = redis.call('GET', KEYS[1])
if not v then return redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3], 'NX') and 1 or 0 end
if cjson.decode(v)['uid'] == tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1 end
return 0
"""
_RELEASE = """
local v = redis.call('GET', KEYS[1])
if v and cjson.decode(v)['uid'] == tonumber(ARGV[1]) then return redis.call('DEL', KEYS[1]) end
return 0
"""


class ClaimsUnavailable(Exception):
    """Redis is unreachable: claiming pauses (deciding needs a claim), nothing else breaks."""


@dataclass(frozen=True)
class Claim:
    user_id: int
    name: str
    until: float  # epoch seconds


class Claims:
    def __init__(self, redis: Any | None, prefix: str, seconds: int = CLAIM_SECONDS) -> None:
        self.redis = redis
        self.prefix = prefix
        self.seconds = seconds
        self._local: dict[int, Claim] = {}
        self._lock = asyncio.Lock()

    def _key(self, review_id: int) -> str:
        return f"{self.prefix}:claim:{review_id}"

    async def claim(self, review_id: int, user_id: int, name: str) -> Claim:
        """Take (or renew) the claim; returns the claim that holds afterwards, which is someone
        else's when they were first."""
        until = time.time() + self.seconds
        mine = Claim(user_id, name, until)
        if self.redis is None:
            async with self._lock:
                held = self._current(review_id)
                if held is None or held.user_id == user_id:
                    self._local[review_id] = mine
                    return mine
                return held
        value = json.dumps({"uid": user_id, "name": name, "until": until})
        try:
            won = await self.redis.eval(
                _REFRESH, 1, self._key(review_id), user_id, value, self.seconds * 1000
            )
        except Exception as exc:  # redis errors: tell the moderator, don't 500
            _unavailable("claim", exc)
            raise ClaimsUnavailable from exc
        if won:
            return mine
        # Someone else's; Redis failing now raises ClaimsUnavailable (not "nobody holds it").
        return await self.holder(review_id) or mine

    async def release(self, review_id: int, user_id: int) -> None:
        if self.redis is None:
            async with self._lock:
                held = self._current(review_id)
                if held is not None and held.user_id == user_id:
                    del self._local[review_id]
            return
        try:
            await self.redis.eval(_RELEASE, 1, self._key(review_id), user_id)
        except Exception as exc:  # the claim expires on its own
            _unavailable("release", exc)

    async def forget(self, review_ids: list[int]) -> None:
        """Drop the claims of decided items (whoever held them)."""
        if not review_ids:
            return
        if self.redis is None:
            for rid in review_ids:
                self._local.pop(rid, None)
            return
        try:
            await self.redis.delete(*[self._key(r) for r in review_ids])
        except Exception as exc:  # the claims expire on their own
            _unavailable("forget", exc)

    async def holders(self, review_ids: list[int]) -> dict[int, Claim]:
        """The live claims among ``review_ids`` (one round trip), for showing them in the queue.
        Redis unreachable: logged, and no claims are shown (nobody can take or use one then)."""
        try:
            return await self._read(review_ids)
        except ClaimsUnavailable:
            return {}

    async def holder(self, review_id: int) -> Claim | None:
        """Who holds ``review_id`` now, for checking a decision. Raises :class:`ClaimsUnavailable`
        when Redis does not answer: "unknown" must not read as "nobody"."""
        return (await self._read([review_id])).get(review_id)

    async def _read(self, review_ids: list[int]) -> dict[int, Claim]:
        if not review_ids:
            return {}
        if self.redis is None:
            return {rid: c for rid in review_ids if (c := self._current(rid)) is not None}
        try:
            values = await self.redis.mget([self._key(r) for r in review_ids])
        except Exception as exc:
            _unavailable("read", exc)
            raise ClaimsUnavailable from exc
        out: dict[int, Claim] = {}
        for rid, raw in zip(review_ids, values, strict=True):
            if raw:
                data = json.loads(raw)
                out[rid] = Claim(int(data["uid"]), str(data["name"]), float(data["until"]))
        return out

    def _current(self, review_id: int) -> Claim | None:
        held = self._local.get(review_id)
        if held is not None and held.until <= time.time():
            del self._local[review_id]
            return None
        return held


def _unavailable(operation: str, exc: Exception) -> None:
    # The class only: a Redis error's text names the server, never anything a person typed, but
    # the log stays as terse as the app's other outage lines.
    log.warning("moderation.claims_unavailable", operation=operation, error=type(exc).__name__)
