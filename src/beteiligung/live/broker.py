"""The live broker: an ordered, capped history of events plus fan-out to this process's streams.

* :class:`RedisBroker` (production, several processes): every event is one entry of a single
  Redis stream (``XADD … MAXLEN ~ history``). Its id (``<ms>-<seq>``) is the event id the
  browser echoes as ``Last-Event-ID``; ids grow across all channels and survive a Redis restart
  (they are time based), so "everything after X" is one ``XRANGE``. Each process runs one
  listener (``XREAD BLOCK`` from the last id it saw) that hands entries to its local streams.
* :class:`MemoryBroker` (embedded mode, one process): the same contract in memory.

Why not ``litestar.channels``: its stream backend replays the whole stream to a process's first
subscriber, its subscriber task dies for good on a Redis restart, and it cannot tell a client
that its gap is older than the history. Each of those would lose or duplicate updates; this
module is the small part of it that we need, with those three cases handled (docs/live-updates.md).

The database stays the truth: a failed publish is logged and retried, never raised into the
request; when the broker cannot guarantee a gap-free replay it sends ``RESET`` and the browser
re-fetches its live fragments.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import structlog

from beteiligung.live.events import LiveEvent, decode, encode
from beteiligung.web.params import parse_int

log = structlog.get_logger("beteiligung.live")

ZERO = "0-0"
QUEUE_SIZE = 500  # events buffered per connection before it is told to reset instead


def parse_id(value: str) -> tuple[int, int]:
    """``"1700000000000-3"`` → (1700000000000, 3); anything malformed sorts first."""
    try:
        ms, _, seq = value.partition("-")
        return int(ms), int(seq or 0)
    except ValueError:
        return (0, 0)


def valid_id(value: str | None) -> bool:
    if not value or len(value) > 40:
        return False
    ms, _, seq = value.partition("-")
    return parse_int(ms) is not None and (seq == "" or parse_int(seq) is not None)


@dataclass(frozen=True)
class Delivery:
    id: str
    event: LiveEvent


class Reset:
    """Sentinel: the connection cannot be brought up to date event by event; refresh."""


RESET = Reset()
CLOSE = object()  # the process is shutting down


@dataclass(eq=False)
class Subscription:
    channels: frozenset[str]
    queue: asyncio.Queue[Any] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))

    def offer(self, item: Any) -> None:
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            # A stalled reader: drop its backlog and tell it to refresh (nothing is lost: the
            # fragments it re-fetches come from the database).
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(RESET)


class LocalHub:
    """This process's open streams, by channel."""

    def __init__(self) -> None:
        self._by_channel: dict[str, set[Subscription]] = {}

    def subscribe(self, channels: Iterable[str]) -> Subscription:
        sub = Subscription(frozenset(channels))
        for ch in sub.channels:
            self._by_channel.setdefault(ch, set()).add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        for ch in sub.channels:
            subs = self._by_channel.get(ch)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._by_channel[ch]

    def dispatch(self, event_id: str, channels: Iterable[str], event: LiveEvent) -> None:
        targets: set[Subscription] = set()
        for ch in channels:
            targets |= self._by_channel.get(ch, set())
        for sub in targets:
            sub.offer(Delivery(event_id, event))

    def broadcast(self, item: Any) -> None:
        for sub in {s for subs in self._by_channel.values() for s in subs}:
            sub.offer(item)

    @property
    def connections(self) -> int:
        return len({s for subs in self._by_channel.values() for s in subs})


_coalesce_tasks: set[asyncio.Task[None]] = set()  # keep references until published


class Broker:
    """The interface both brokers share."""

    def __init__(self) -> None:
        self.hub = LocalHub()

    async def start(self) -> None: ...

    async def stop(self) -> None:
        self.hub.broadcast(CLOSE)

    async def publish(self, events: list[LiveEvent]) -> None:
        raise NotImplementedError

    # -- coalescing: frequent events (votes) published at most once per window ------------------
    COALESCE_SECONDS = 1.0

    async def _open_window(self, name: str, seconds: float) -> bool:
        """True for the first caller of a window (per process here; across processes in Redis)."""
        now = time.monotonic()
        windows: dict[str, float] = self.__dict__.setdefault("_windows", {})
        if windows.get(name, 0.0) > now:
            return False
        windows[name] = now + seconds
        return True

    async def publish_coalesced(self, events: list[LiveEvent], seconds: float | None = None) -> None:
        """Publish each event once at the end of a window that its first occurrence opens; equal
        events within the window ride along. A page re-fetches the same fragment either way, so
        200 ballots in a second become one refresh per screen, not 200 (bench/meeting.py)."""
        window = self.COALESCE_SECONDS if seconds is None else seconds
        for event in events:
            if await self._open_window(encode(event).decode(), window):
                task = asyncio.get_running_loop().create_task(self._publish_later(event, window))
                _coalesce_tasks.add(task)
                task.add_done_callback(_coalesce_tasks.discard)

    async def _publish_later(self, event: LiveEvent, window: float) -> None:
        # A little after the window's end: any process that found the window open (and so left
        # its change to this publish) had committed before that moment.
        await asyncio.sleep(window + 0.05)
        await self.publish([event])

    async def watermark(self) -> str:
        """The newest event id (taken *before* a page reads its data)."""
        raise NotImplementedError

    async def replay(self, channels: frozenset[str], after: str) -> list[Delivery] | None:
        """Events on ``channels`` after ``after``, oldest first; None when the history no
        longer reaches back that far (the client must refresh)."""
        raise NotImplementedError

    def subscribe(self, channels: Iterable[str]) -> Subscription:
        return self.hub.subscribe(channels)

    def unsubscribe(self, sub: Subscription) -> None:
        self.hub.unsubscribe(sub)

    @property
    def healthy(self) -> bool:
        return True


class MemoryBroker(Broker):
    """Embedded mode: one process, history in memory."""

    def __init__(self, history: int = 5000) -> None:
        super().__init__()
        self._log: deque[tuple[str, tuple[str, ...], LiveEvent]] = deque(maxlen=history)
        self._dropped_upto = ZERO
        self._last = (0, 0)

    def _next_id(self) -> str:
        ms = int(time.time() * 1000)
        last_ms, seq = self._last
        self._last = (ms, 0) if ms > last_ms else (last_ms, seq + 1)
        return f"{self._last[0]}-{self._last[1]}"

    async def publish(self, events: list[LiveEvent]) -> None:
        for event in events:
            event_id = self._next_id()
            if len(self._log) == self._log.maxlen:
                self._dropped_upto = self._log[0][0]
            channels = tuple(event.channels())
            self._log.append((event_id, channels, event))
            self.hub.dispatch(event_id, channels, event)

    async def watermark(self) -> str:
        return self._log[-1][0] if self._log else f"{self._last[0]}-{self._last[1]}"

    async def replay(self, channels: frozenset[str], after: str) -> list[Delivery] | None:
        after_key = parse_id(after)
        if after_key < parse_id(self._dropped_upto):
            return None
        if after_key > self._last:
            return None  # an id from before a restart of this process: unknown gap
        return [
            Delivery(event_id, event)
            for event_id, chs, event in self._log
            if parse_id(event_id) > after_key and channels.intersection(chs)
        ]


class RedisBroker(Broker):
    """Production: one Redis stream for all channels, one listener per process."""

    # The blocking read must end well before the client's socket timeout (redis-py: 5 s), or a
    # quiet site would look like a dead Redis.
    def __init__(self, redis: Any, prefix: str, history: int = 10_000, block_ms: int = 2000) -> None:
        super().__init__()
        self.redis = redis
        self.key = f"{prefix}:live:events"
        self.history = history
        self.block_ms = block_ms
        self._task: asyncio.Task[None] | None = None
        self._pending: deque[LiveEvent] = deque(maxlen=1000)  # publishes that failed: retried
        self._down = False
        self._last_seen = ZERO

    async def _open_window(self, name: str, seconds: float) -> bool:
        try:
            opened = await self.redis.set(
                f"{self.key}:window:{name}", "1", nx=True, px=max(1, int(seconds * 1000))
            )
        except Exception:
            return await super()._open_window(name, seconds)  # Redis away: this process alone
        return bool(opened)

    @property
    def healthy(self) -> bool:
        return not self._down and self._task is not None and not self._task.done()

    async def start(self) -> None:
        try:
            self._last_seen = await self.watermark()
        except Exception as exc:  # Redis down at start: begin from "now" when it is back
            self._mark_down(exc)
            self._last_seen = "$"
        self._task = asyncio.get_running_loop().create_task(self._listen(), name="live-listener")

    async def stop(self) -> None:
        await super().stop()
        if self._task is not None:
            self._task.cancel()
            # A cancelled read inside redis-py can take its time to unwind (it closes the
            # connection); shutdown does not wait longer than this for it.
            await asyncio.wait({self._task}, timeout=3)
            self._task = None

    async def publish(self, events: list[LiveEvent]) -> None:
        """Never raises: the contribution is saved; a failed publish waits for Redis."""
        for event in events:
            try:
                await self._xadd(event)
            except Exception as exc:
                self._mark_down(exc)
                self._pending.append(event)

    async def _xadd(self, event: LiveEvent) -> str:
        fields = {"ch": ",".join(event.channels()), "ev": encode(event)}
        raw = await self.redis.xadd(self.key, fields, maxlen=self.history, approximate=True)
        return raw.decode() if isinstance(raw, bytes) else str(raw)

    def _mark_down(self, exc: BaseException) -> None:
        if not self._down:
            log.warning("live.redis.unavailable", error=type(exc).__name__)
        self._down = True

    async def watermark(self) -> str:
        entries = await self.redis.xrevrange(self.key, "+", "-", count=1)
        if not entries:
            return ZERO
        raw = entries[0][0]
        return raw.decode() if isinstance(raw, bytes) else str(raw)

    async def replay(self, channels: frozenset[str], after: str) -> list[Delivery] | None:
        try:
            info = await self.redis.xinfo_stream(self.key)
        except Exception as exc:
            if "no such key" in str(exc).lower():
                return None if after != ZERO else []
            self._mark_down(exc)
            return None
        last = _text(info.get("last-generated-id", ZERO))
        first = info.get("first-entry")
        first_id = _text(first[0]) if first else last
        trimmed = int(info.get("entries-added", 0)) > int(info.get("length", 0))
        after_key = parse_id(after)
        if trimmed and after_key < parse_id(first_id):
            return None  # entries after it may have been trimmed (Redis 7.0 keeps no exact mark)
        if after_key > parse_id(last):
            return None  # an id this stream never issued (its data was lost)
        out: list[Delivery] = []
        cursor = f"({after}"
        while True:
            entries = await self.redis.xrange(self.key, min=cursor, max="+", count=1000)
            for raw_id, fields in entries:
                delivery = _delivery(raw_id, fields, channels)
                if delivery is not None:
                    out.append(delivery)
            if len(entries) < 1000:
                return out
            cursor = f"({_text(entries[-1][0])}"

    async def _listen(self) -> None:
        """Follow the stream from the last id seen; survive Redis going away and coming back."""
        delay = 0.5
        while True:
            try:
                if self._last_seen == "$":
                    self._last_seen = await self.watermark()
                result = await self.redis.xread({self.key: self._last_seen}, block=self.block_ms, count=500)
                if self._down:
                    await self._recovered()
                delay = 0.5
                for _stream, entries in result or []:
                    for raw_id, fields in entries:
                        event_id = _text(raw_id)
                        self._last_seen = event_id
                        channels = _field(fields, "ch").split(",")
                        try:
                            event = decode(_field(fields, "ev"))
                        except Exception:
                            log.warning("live.event.invalid", id=event_id)
                            continue
                        self.hub.dispatch(event_id, channels, event)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._mark_down(exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def _recovered(self) -> None:
        """Redis is back: publish what failed, then let every open page refresh its live parts
        (events published elsewhere during the outage may be gone with a restarted Redis)."""
        self._down = False
        log.info("live.redis.recovered", pending=len(self._pending))
        while self._pending:
            event = self._pending[0]
            await self._xadd(event)
            self._pending.popleft()
        self.hub.broadcast(RESET)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _field(fields: dict[Any, Any], name: str) -> str:
    return _text(fields.get(name.encode(), fields.get(name, b"")))


def _delivery(raw_id: Any, fields: dict[Any, Any], channels: frozenset[str]) -> Delivery | None:
    chs = _field(fields, "ch").split(",")
    if not channels.intersection(chs):
        return None
    try:
        event = decode(_field(fields, "ev"))
    except Exception:
        return None
    return Delivery(_text(raw_id), event)
