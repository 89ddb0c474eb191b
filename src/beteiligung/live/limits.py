"""A cap on open live streams per client address, shared by all processes through Redis.

A browser needs one stream per open tab; 20 (``BETEILIGUNG_LIVE_STREAMS_PER_CLIENT``) covers a
family behind one router with many tabs while stopping one client from holding thousands of
connections.

Each open stream holds a *slot*: a random connection id with an expiry. In Redis the slots of one
client are a sorted set (key: an HMAC of the address, member: the connection id, score: when the
slot expires). A stream refreshes its slot on its heartbeat; counting first drops expired
members. So a slot is held only by a live connection: a stream whose process crashed, or whose
release was lost, frees its slot after ``BETEILIGUNG_LIVE_SLOT_TTL_SECONDS``. Acquiring is one
Lua script (prune, count, add: atomic across processes); a refusal changes nothing (no expiry is
renewed), and a count cannot go negative because there is no counter.

Every process also keeps its own streams' slots in memory. That is the whole state in the
embedded mode, and the limit while Redis is unreachable (then it holds per process instead of
letting every stream through). Once Redis answers again, the next heartbeat of each stream puts
its slot (back) into Redis.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Any

from beteiligung.infra import RedisOutage

MAX_STREAMS_PER_CLIENT = 20
SLOT_TTL_SECONDS = 45

# KEYS[1]: the client's sorted set. ARGV: ttl (ms), limit, connection id.
# Redis's clock, not the processes' clocks, decides expiry (TIME is allowed in scripts since
# Redis 5, which replicates scripts by their effects). Each script first drops expired slots.
_PRUNE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
"""

# Add (or renew) the connection's slot; the set expires with its last slot.
_ADD = """redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[3])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], last[2])
return 1
"""

_ACQUIRE = (
    _PRUNE
    + """if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
"""
    + _ADD
)

# Refresh (or put back, after a Redis restart or outage) a live stream's slot.
_REFRESH = _PRUNE + _ADD

# The number of live slots (for tests and diagnostics); prunes like acquiring does.
_COUNT = _PRUNE + "return redis.call('ZCARD', KEYS[1])\n"


class ConnectionLimiter:
    MEMORY_CLIENTS = 10_000  # beyond this many clients in memory, drop the expired ones

    def __init__(
        self,
        secret: str,
        redis: Any | None,
        prefix: str,
        limit: int = MAX_STREAMS_PER_CLIENT,
        ttl_seconds: float = SLOT_TTL_SECONDS,
    ):
        self.secret = secret.encode()
        self.redis: Any = redis  # redis.asyncio.Redis or None (embedded mode)
        self.prefix = prefix
        self.limit = limit
        self.ttl = float(ttl_seconds)
        # key -> {connection id: expiry (monotonic)}: this process's slots
        self._local: dict[str, dict[str, float]] = {}
        self._outage = RedisOutage("live.slots")
        if redis is not None:
            self._acquire = redis.register_script(_ACQUIRE)
            self._refresh = redis.register_script(_REFRESH)
            self._count = redis.register_script(_COUNT)

    @property
    def refresh_seconds(self) -> float:
        """How often a stream must refresh its slot: three tries before the slot expires."""
        return self.ttl / 3

    def _key(self, client: str) -> str:
        digest = hmac.new(self.secret, client.encode(), hashlib.sha256).hexdigest()[:32]
        return f"{self.prefix}:live-conn:{digest}"

    def _ttl_ms(self) -> int:
        return max(int(self.ttl * 1000), 1)

    def _prune_local(self, key: str, now: float) -> dict[str, float]:
        slots = self._local.get(key, {})
        for slot in [s for s, expiry in slots.items() if expiry <= now]:
            del slots[slot]
        if not slots:
            self._local.pop(key, None)
        return slots

    def _use_redis(self) -> bool:
        return self.redis is not None and self._outage.should_try()

    async def acquire(self, client: str) -> str | None:
        """A slot for one more stream of ``client`` (its connection id), or None at the limit."""
        key = self._key(client)
        slot = secrets.token_hex(8)
        now = time.monotonic()
        if len(self._local) > self.MEMORY_CLIENTS:
            for other in list(self._local):
                self._prune_local(other, now)
        if self._use_redis():
            try:
                granted = await self._acquire(keys=[key], args=[self._ttl_ms(), self.limit, slot])
            except Exception as exc:  # Redis down: the limit holds in this process
                self._outage.failed(exc)
            else:
                self._outage.succeeded()
                if not int(granted):
                    return None
                self._local.setdefault(key, {})[slot] = now + self.ttl
                return slot
        slots = self._prune_local(key, now)
        if len(slots) >= self.limit:
            return None
        self._local.setdefault(key, slots)[slot] = now + self.ttl
        return slot

    async def refresh(self, client: str, slot: str) -> None:
        """Keep a live stream's slot (called on the stream's heartbeat)."""
        key = self._key(client)
        self._local.setdefault(key, {})[slot] = time.monotonic() + self.ttl
        if self._use_redis():
            try:
                await self._refresh(keys=[key], args=[self._ttl_ms(), self.limit, slot])
            except Exception as exc:
                self._outage.failed(exc)
            else:
                self._outage.succeeded()

    async def release(self, client: str, slot: str) -> None:
        """Give the slot back (idempotent: releasing twice or after expiry changes nothing)."""
        key = self._key(client)
        slots = self._local.get(key)
        if slots is not None:
            slots.pop(slot, None)
            if not slots:
                self._local.pop(key, None)
        if self._use_redis():
            try:
                await self.redis.zrem(key, slot)
            except Exception as exc:  # the slot expires on its own after the TTL
                self._outage.failed(exc)
            else:
                self._outage.succeeded()

    async def held(self, client: str) -> int:
        """How many live slots ``client`` holds (Redis when reachable, else this process)."""
        key = self._key(client)
        if self._use_redis():
            try:
                count = await self._count(keys=[key])
            except Exception as exc:
                self._outage.failed(exc)
            else:
                self._outage.succeeded()
                return int(count)
        return len(self._prune_local(key, time.monotonic()))
