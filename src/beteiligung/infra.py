"""Shared state that must not live in one process: Redis when configured, memory otherwise.

* The Redis client: a BlockingConnectionPool (the default pool fails fast at 100 connections,
  STACK.md gotcha 2) with health checks and retries, so a restarted Redis costs no request.
* Sessions live in the database (``make_session_store``), so a Redis outage signs nobody out.
* :class:`RateLimiter`: fixed-window counters (``INCR`` + ``EXPIRE`` in Redis, so every key has
  a TTL, DS-07). Litestar's ``RateLimitMiddleware`` keys only by IP and has no "per account"
  notion, which login limits need (SEC-03), hence this small counter.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any

from litestar.stores.base import Store
from redis.asyncio import BlockingConnectionPool, Redis

from beteiligung.settings import Settings


def make_redis(settings: Settings) -> Redis | None:
    if not settings.redis_url:
        return None
    from redis.asyncio.retry import Retry
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    pool = BlockingConnectionPool.from_url(
        settings.redis_url, max_connections=64, timeout=5, health_check_interval=15
    )
    # Stale pooled connections after a Redis restart are retried on a fresh connection.
    return Redis(
        connection_pool=pool,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), retries=2),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
    )


def make_session_store(alchemy_config: Any) -> Store:
    """Sessions live in the database (table ``web_session``), not in Redis: a Redis outage must
    not sign anyone out or lose a contribution in the making, and every process sees them."""
    from advanced_alchemy.extensions.litestar.store import SQLAlchemyStore

    from beteiligung.accounts.models import StoredSession

    return SQLAlchemyStore(alchemy_config, model=StoredSession, namespace="session")  # type: ignore[arg-type]


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
            try:
                async with self._redis.pipeline(transaction=True) as pipe:
                    pipe.incr(key)
                    pipe.expire(key, limit.seconds, nx=True)
                    pipe.ttl(key)
                    count, _, ttl = await pipe.execute()
            except Exception as exc:  # Redis down: let the request through (Argon2 still slows guessing)
                _redis_unavailable(exc)
                return LimitResult(True, 1)
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
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    pipe.get(key)
                    pipe.ttl(key)
                    raw, ttl = await pipe.execute()
            except Exception as exc:
                _redis_unavailable(exc)
                return LimitResult(True, 1)
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
            try:
                await self._redis.delete(key)
            except Exception as exc:
                _redis_unavailable(exc)
        else:
            self._memory.pop(key, None)


def _redis_unavailable(exc: BaseException) -> None:
    import structlog

    structlog.get_logger("beteiligung.infra").warning("ratelimit.redis.unavailable", error=type(exc).__name__)


# The limits of the account routes (SEC-03). Windows and counts are documented in docs/security.md.
LOGIN_PER_IP = Limit("login-ip", 30, 15 * 60)
LOGIN_FAILURES_PER_ACCOUNT = Limit("login-fail", 5, 15 * 60)
REGISTER_PER_IP = Limit("register-ip", 10, 60 * 60)
RESET_PER_IP = Limit("reset-ip", 10, 60 * 60)
RESET_PER_ACCOUNT = Limit("reset-account", 3, 60 * 60)
