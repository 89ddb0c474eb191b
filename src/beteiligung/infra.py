"""Shared state that must not live in one process: Redis when configured, memory otherwise.

* Stores (Litestar's ``Store``): sessions. Redis with a BlockingConnectionPool (the default pool
  fails fast at 100 connections, STACK.md gotcha 2) or, embedded, a MemoryStore.
* :class:`RateLimiter`: fixed-window counters (``INCR`` + ``EXPIRE`` in Redis, so every key has
  a TTL, DS-07). Litestar's ``RateLimitMiddleware`` keys only by IP and has no "per account"
  notion, which login limits need (SEC-03), hence this small counter.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from redis.asyncio import BlockingConnectionPool, Redis

from beteiligung.settings import Settings


def make_redis(settings: Settings) -> Redis | None:
    if not settings.redis_url:
        return None
    pool = BlockingConnectionPool.from_url(settings.redis_url, max_connections=64, timeout=5)
    return Redis(connection_pool=pool)


def make_session_store(settings: Settings, redis: Redis | None) -> Store:
    if redis is None:
        return MemoryStore()
    return RedisStore(redis=redis, namespace=f"{settings.redis_prefix}:session", handle_client_shutdown=False)


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    seconds: int


@dataclass(frozen=True)
class LimitResult:
    allowed: bool
    retry_after: int


class RateLimiter:
    """Counts events per key in fixed windows; shared across processes when Redis is set."""

    def __init__(self, settings: Settings, redis: Redis | None) -> None:
        self._redis = redis
        self._prefix = f"{settings.redis_prefix}:ratelimit"
        self._secret = settings.secret_key.encode()
        self._memory: dict[str, tuple[int, float]] = {}

    def key_for(self, value: str) -> str:
        """Keyed hash of an IP or e-mail: nothing personal is stored in Redis keys (DS-07)."""
        return hmac.new(self._secret, value.strip().lower().encode(), hashlib.sha256).hexdigest()[:32]

    async def hit(self, limit: Limit, subject: str) -> LimitResult:
        """Count one event; say whether it is still within the limit."""
        key = f"{self._prefix}:{limit.name}:{self.key_for(subject)}"
        if self._redis is not None:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, limit.seconds, nx=True)
                pipe.ttl(key)
                count, _, ttl = await pipe.execute()
            return LimitResult(count <= limit.count, max(int(ttl), 1))
        now = time.monotonic()
        count, reset = self._memory.get(key, (0, now + limit.seconds))
        if reset <= now:
            count, reset = 0, now + limit.seconds
        count += 1
        self._memory[key] = (count, reset)
        if len(self._memory) > 50_000:  # keep the embedded mode bounded
            self._memory = {k: v for k, v in self._memory.items() if v[1] > now}
        return LimitResult(count <= limit.count, max(int(reset - now), 1))

    async def peek(self, limit: Limit, subject: str) -> LimitResult:
        """Whether ``subject`` is already over the limit, without counting."""
        key = f"{self._prefix}:{limit.name}:{self.key_for(subject)}"
        if self._redis is not None:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.get(key)
                pipe.ttl(key)
                raw, ttl = await pipe.execute()
            count = int(raw or 0)
            return LimitResult(count < limit.count, max(int(ttl), 1))
        now = time.monotonic()
        count, reset = self._memory.get(key, (0, now))
        if reset <= now:
            return LimitResult(True, 1)
        return LimitResult(count < limit.count, max(int(reset - now), 1))

    async def reset(self, limit: Limit, subject: str) -> None:
        key = f"{self._prefix}:{limit.name}:{self.key_for(subject)}"
        if self._redis is not None:
            await self._redis.delete(key)
        else:
            self._memory.pop(key, None)


# The limits of the account routes (SEC-03). Windows and counts are documented in docs/security.md.
LOGIN_PER_IP = Limit("login-ip", 30, 15 * 60)
LOGIN_FAILURES_PER_ACCOUNT = Limit("login-fail", 5, 15 * 60)
REGISTER_PER_IP = Limit("register-ip", 10, 60 * 60)
RESET_PER_IP = Limit("reset-ip", 10, 60 * 60)
RESET_PER_ACCOUNT = Limit("reset-account", 3, 60 * 60)
