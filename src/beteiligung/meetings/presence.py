"""Presence: how many participants are in a meeting's room right now.

Each open live stream of a room is one presence entry, refreshed with the stream's heartbeat and
dropped when the stream closes (or, if a process dies, when its entries expire). With Redis the
entries are members of a sorted set per meeting scored by their expiry, so every app process
counts the same room; the embedded mode keeps them in memory with the same contract.

Joins and leaves are not published one by one: the first change in a quiet room starts a short
window (``PUBLISH_EVERY``), and one ``MeetingPresenceChanged`` goes out at its end: the broker's
coalescing (``Broker.publish_coalesced``, a ``SET NX PX`` key in Redis), so of several processes
only one publishes.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import structlog

from beteiligung.live.events import MeetingPresenceChanged

log = structlog.get_logger("beteiligung.meetings")
ENTRY_SECONDS = 45.0  # three heartbeats: a stream that missed them is gone
PUBLISH_EVERY = 2.0


class Presence:
    def __init__(self, redis: Any | None, prefix: str, broker: Any) -> None:
        self.redis = redis
        self.prefix = prefix
        self.broker = broker
        self._local: dict[int, dict[str, float]] = {}

    def _key(self, meeting_id: int) -> str:
        return f"{self.prefix}:presence:meeting:{meeting_id}"

    async def join(self, meeting_id: int) -> str:
        entry = uuid.uuid4().hex
        await self.beat(meeting_id, entry)
        await self._changed(meeting_id)
        return entry

    async def beat(self, meeting_id: int, entry: str) -> None:
        until = time.time() + ENTRY_SECONDS
        if self.redis is None:
            self._local.setdefault(meeting_id, {})[entry] = until
            return
        try:
            await self.redis.zadd(self._key(meeting_id), {entry: until})
            await self.redis.expire(self._key(meeting_id), int(ENTRY_SECONDS * 2))
        except Exception as exc:
            log.warning("presence_unavailable", error=str(exc))

    async def leave(self, meeting_id: int, entry: str) -> None:
        if self.redis is None:
            self._local.get(meeting_id, {}).pop(entry, None)
        else:
            try:
                await self.redis.zrem(self._key(meeting_id), entry)
            except Exception as exc:
                log.warning("presence_unavailable", error=str(exc))
        await self._changed(meeting_id)

    async def count(self, meeting_id: int) -> int:
        now = time.time()
        if self.redis is None:
            entries = self._local.get(meeting_id, {})
            for key in [k for k, until in entries.items() if until <= now]:
                del entries[key]
            return len(entries)
        try:
            await self.redis.zremrangebyscore(self._key(meeting_id), "-inf", now)
            return int(await self.redis.zcard(self._key(meeting_id)))
        except Exception as exc:
            log.warning("presence_unavailable", error=str(exc))
            return 0

    async def _changed(self, meeting_id: int) -> None:
        """One presence event per window, whichever process sees the first change in it."""
        await self.broker.publish_coalesced([MeetingPresenceChanged(meeting_id=meeting_id)], PUBLISH_EVERY)
