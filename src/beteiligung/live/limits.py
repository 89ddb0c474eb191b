"""A cap on open live streams per client address, shared by all processes through Redis.

A browser needs one stream per open tab; 20 covers a family behind one router with many tabs
while stopping one client from holding thousands of connections. Keys are HMACs of the address
with a TTL, so a crashed process cannot leave a client locked out for longer than an hour.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

MAX_STREAMS_PER_CLIENT = 20
TTL_SECONDS = 3600


class ConnectionLimiter:
    def __init__(self, secret: str, redis: Any | None, prefix: str, limit: int = MAX_STREAMS_PER_CLIENT):
        self.secret = secret.encode()
        self.redis = redis
        self.prefix = prefix
        self.limit = limit
        self._local: dict[str, int] = {}

    def _key(self, client: str) -> str:
        digest = hmac.new(self.secret, client.encode(), hashlib.sha256).hexdigest()[:32]
        return f"{self.prefix}:live-conn:{digest}"

    async def acquire(self, client: str) -> bool:
        key = self._key(client)
        if self.redis is not None:
            try:
                count = int(await self.redis.incr(key))
                await self.redis.expire(key, TTL_SECONDS)
            except Exception:  # Redis down: streams still work (they only pause)
                return True
            if count > self.limit:
                await self.redis.decr(key)
                return False
            return True
        count = self._local.get(key, 0) + 1
        if count > self.limit:
            return False
        self._local[key] = count
        return True

    async def release(self, client: str) -> None:
        key = self._key(client)
        if self.redis is not None:
            try:
                await self.redis.decr(key)
            except Exception:  # noqa: S110 - the key expires on its own
                pass
            return
        count = self._local.get(key, 1) - 1
        if count <= 0:
            self._local.pop(key, None)
        else:
            self._local[key] = count
