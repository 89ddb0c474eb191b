"""Shared state that must not live in one process: Redis when configured, memory otherwise.

* The Redis client: a BlockingConnectionPool (the default pool fails fast at 100 connections,
  STACK.md gotcha 2) with health checks and retries, so a restarted Redis costs no request.
* Sessions live in the database (``accounts.sessions.make_session_store``), so a Redis outage
  signs nobody out.
* :class:`RateLimiter`: fixed-window counters (``INCR`` + ``EXPIRE`` in Redis, so every key has
  a TTL, DS-07). Litestar's ``RateLimitMiddleware`` keys only by IP and has no "per account"
  notion, which login limits need (SEC-03), hence this small counter. While Redis is down it
  counts in the process's memory (the limits hold per process) instead of failing open.
* :class:`RedisOutage`: logs an outage once when it starts and once when it ends.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any

import structlog
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from beteiligung.settings import Settings


def make_redis(settings: Settings) -> Redis | None:
    if not settings.redis_url:
        return None

    pool = BlockingConnectionPool.from_url(
        settings.redis_url, max_connections=64, timeout=5, health_check_interval=15
    )
    # Stale pooled connections after a Redis restart are retried on a fresh connection.
    return Redis(
        connection_pool=pool,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), retries=2),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
    )


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    seconds: int


@dataclass(frozen=True)
class LimitResult:
    allowed: bool
    retry_after: int


class RedisOutage:
    """Remembers whether Redis answered the last time a component asked, so that an outage is
    logged once when it starts and once when it ends (not once per request), and so that during
    an outage Redis is tried at most every ``retry_seconds`` (each try can wait for timeouts)
    while the caller uses its in-process fallback."""

    def __init__(self, component: str, retry_seconds: float = 1.0) -> None:
        self.component = component
        self.retry_seconds = retry_seconds
        self.down = False
        self._retry_at = 0.0

    def should_try(self) -> bool:
        return not self.down or time.monotonic() >= self._retry_at

    def failed(self, exc: BaseException) -> None:
        self._retry_at = time.monotonic() + self.retry_seconds
        if not self.down:
            self.down = True
            _log().warning(
                f"{self.component}.redis.unavailable", error=type(exc).__name__, fallback="in-process"
            )

    def succeeded(self) -> None:
        if self.down:
            self.down = False
            _log().info(f"{self.component}.redis.recovered")


def _log() -> Any:

    return structlog.get_logger("beteiligung.infra")


class RateLimiter:
    """Counts events per key in fixed windows; shared across processes when Redis is set.

    While Redis is unreachable the same limits are counted in this process's memory instead of
    letting every request through (an outage must not switch off the login limits); the
    in-process counts are dropped again once Redis answers."""

    MEMORY_KEYS = 50_000  # keep the in-process counters bounded

    def __init__(self, settings: Settings, redis: Redis | None) -> None:
        self._redis = redis
        self._prefix = f"{settings.redis_prefix}:ratelimit"
        self._secret = settings.secret_key.encode()
        self._memory: dict[str, tuple[int, float]] = {}
        self._outage = RedisOutage("ratelimit")

    def key_for(self, value: str) -> str:
        """Keyed hash of an IP or e-mail: nothing personal is stored in Redis keys (DS-07)."""
        return hmac.new(self._secret, value.strip().lower().encode(), hashlib.sha256).hexdigest()[:32]

    def _redis_now(self) -> Redis | None:
        """Redis if it should be asked now; None while it is down (between retries)."""
        if self._redis is None or not self._outage.should_try():
            return None
        return self._redis

    def _recovered(self) -> None:
        if self._outage.down:
            self._memory.clear()  # counts of the outage; Redis counts again
        self._outage.succeeded()

    async def hit(self, limit: Limit, subject: str) -> LimitResult:
        """Count one event; say whether it is still within the limit."""
        key = f"{self._prefix}:{limit.name}:{self.key_for(subject)}"
        if (redis := self._redis_now()) is not None:
            try:
                async with redis.pipeline(transaction=True) as pipe:
                    pipe.incr(key)
                    pipe.expire(key, limit.seconds, nx=True)
                    pipe.ttl(key)
                    count, _, ttl = await pipe.execute()
            except Exception as exc:  # Redis down: count in this process instead
                self._outage.failed(exc)
            else:
                self._recovered()
                return LimitResult(count <= limit.count, max(int(ttl), 1))
        return self._memory_hit(key, limit)

    def _memory_hit(self, key: str, limit: Limit) -> LimitResult:
        now = time.monotonic()
        count, reset = self._memory.get(key, (0, now + limit.seconds))
        if reset <= now:
            count, reset = 0, now + limit.seconds
        count += 1
        self._memory[key] = (count, reset)
        if len(self._memory) > self.MEMORY_KEYS:
            self._memory = {k: v for k, v in self._memory.items() if v[1] > now}
        return LimitResult(count <= limit.count, max(int(reset - now), 1))

    async def peek(self, limit: Limit, subject: str) -> LimitResult:
        """Whether ``subject`` is already over the limit, without counting."""
        key = f"{self._prefix}:{limit.name}:{self.key_for(subject)}"
        if (redis := self._redis_now()) is not None:
            try:
                async with redis.pipeline(transaction=False) as pipe:
                    pipe.get(key)
                    pipe.ttl(key)
                    raw, ttl = await pipe.execute()
            except Exception as exc:
                self._outage.failed(exc)
            else:
                self._recovered()
                count = int(raw or 0)
                return LimitResult(count < limit.count, max(int(ttl), 1))
        now = time.monotonic()
        count, reset = self._memory.get(key, (0, now))
        if reset <= now:
            return LimitResult(True, 1)
        return LimitResult(count < limit.count, max(int(reset - now), 1))

    async def reset(self, limit: Limit, subject: str) -> None:
        key = f"{self._prefix}:{limit.name}:{self.key_for(subject)}"
        self._memory.pop(key, None)
        if (redis := self._redis_now()) is not None:
            try:
                await redis.delete(key)
            except Exception as exc:
                self._outage.failed(exc)
            else:
                self._recovered()


# The limits of the account routes (SEC-03). Windows and counts are documented in docs/security.md.
LOGIN_PER_IP = Limit("login-ip", 30, 15 * 60)
LOGIN_FAILURES_PER_ACCOUNT = Limit("login-fail", 5, 15 * 60)
REGISTER_PER_IP = Limit("register-ip", 10, 60 * 60)
RESET_PER_IP = Limit("reset-ip", 10, 60 * 60)
RESET_PER_ACCOUNT = Limit("reset-account", 3, 60 * 60)
