"""What a page and a stream route need of the live feature (the streams themselves are routes
of the features that own the pages: ``/live/vorhaben/{slug}`` in consultations, ``/live/vorschlaege/{id}``
in proposals, ``/live/veranstaltungen/{id}`` in meetings, ``/live/moderation`` in moderation).

* :func:`stream_response`: one Server-Sent-Events stream for a set of channels. It first replays
  what the page missed (after ``Last-Event-ID`` on a reconnect, else after the ``seit`` watermark
  the page recorded before it read its data), then follows live events, with a heartbeat every
  15 s. Messages carry live keys only (``event: live``); ``event: reset`` tells the page to
  re-fetch all its live parts. The route checks access first and closes its database session.
* The channel names (:func:`consultation_channels`, :func:`proposal_channels`,
  :func:`meeting_channels`, :func:`moderation_channels`; live/events.py says who hears what).
* :func:`watermark`, :func:`next_change` for the page, and :func:`live_messages` (a template
  global, registered in live/feature.py) for the page script's announcements.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any, cast

import anyio
import structlog
from litestar import Request
from litestar.exceptions import HTTPException
from litestar.response import ServerSentEvent, ServerSentEventMessage
from litestar.response.base import ASGIResponse

from beteiligung import i18n
from beteiligung.i18n import gettext as _
from beteiligung.live.broker import CLOSE, RESET, Broker, Delivery, parse_id, valid_id
from beteiligung.live.events import wire_message
from beteiligung.live.limits import ConnectionLimiter

log = structlog.get_logger("beteiligung.live")
Req = Request[Any, Any, Any]
HEARTBEAT_SECONDS = 15.0  # at most; more often when the slot TTL needs it (live/limits.py)
RETRY_MS = 3000
BEAT = object()  # time for the heartbeat
CLEANUP_SECONDS = 5.0  # a stream's clean-up (slot, presence) gives up after this (Redis stalled)


def broker_of(request: Any) -> Broker:
    return request.app.state["live_broker"]  # type: ignore[no-any-return]


def consultation_channels(consultation_id: int) -> list[str]:
    return [f"consultation:{consultation_id}"]


def proposal_channels(proposal_id: int, consultation_id: int) -> list[str]:
    return [f"proposal:{proposal_id}", f"consultation-state:{consultation_id}"]


def meeting_channels(meeting_id: int) -> list[str]:
    return [f"meeting:{meeting_id}"]


def moderation_channels(org_id: int) -> list[str]:
    """The organisation's review queue; its stream requires the moderator role."""
    return [f"moderation:{org_id}"]


async def stream_response(
    request: Req, channels: list[str], since: str, presence_of: int | None = None
) -> ServerSentEvent:
    """``presence_of``: a meeting id; the stream then counts as one participant in its room
    (meetings/presence.py) while it is open.

    The client's slot (live/limits.py) is taken here, before the response starts, so that a
    refusal can still be a 429. It is given back when the response ends, however it ends
    (:class:`_SlotStream`), and refreshed on every heartbeat while the stream lives; a slot whose
    release is lost anyway (a crashed process) expires on its own."""
    limiter: ConnectionLimiter = request.app.state["live_limiter"]
    client = request.client.host if request.client else "unknown"
    slot = await limiter.acquire(client)
    if slot is None:
        raise HTTPException(
            status_code=429, detail="too many live connections", headers={"Retry-After": "30"}
        )
    broker = broker_of(request)
    last_event_id = request.headers.get("last-event-id", "")
    after = last_event_id if valid_id(last_event_id) else (since if valid_id(since) else "")
    chs = frozenset(channels)
    beat_every = min(HEARTBEAT_SECONDS, limiter.refresh_seconds)

    async def events() -> AsyncGenerator[ServerSentEventMessage, None]:
        sub = broker.subscribe(chs)  # subscribe first, then replay: dedupe by id below
        sent = parse_id(after) if after else (0, 0)
        presence = request.app.state["meeting_presence"] if presence_of is not None else None
        entry = None
        try:
            entry = await presence.join(presence_of) if presence is not None else None
            yield ServerSentEventMessage(comment="verbunden", retry=RETRY_MS, data=None)
            if after:
                missed = await broker.replay(chs, after)
                if missed is None:
                    yield _reset()
                else:
                    for delivery in missed:
                        sent = max(sent, parse_id(delivery.id))
                        yield _message(delivery)
            next_beat = time.monotonic() + beat_every
            while True:
                wait = next_beat - time.monotonic()
                item: Any = BEAT
                if wait > 0:
                    try:
                        item = await asyncio.wait_for(sub.queue.get(), timeout=wait)
                    except TimeoutError:
                        item = BEAT
                if item is BEAT:  # the heartbeat, also on a busy stream: it keeps the slot
                    next_beat = time.monotonic() + beat_every
                    await limiter.refresh(client, slot)
                    if presence is not None and entry is not None:
                        await presence.beat(presence_of, entry)
                    yield ServerSentEventMessage(comment="hb", data=None)
                    continue
                if item is CLOSE:
                    return
                if item is RESET:
                    yield _reset()
                    continue
                if isinstance(item, Delivery):
                    key = parse_id(item.id)
                    if key <= sent:
                        continue  # already replayed
                    sent = key
                    yield _message(item)
        finally:
            broker.unsubscribe(sub)
            # The stream is being cancelled: shield the clean-up, or its awaits are cancelled too.
            with anyio.CancelScope(shield=True, deadline=anyio.current_time() + CLEANUP_SECONDS):
                await limiter.release(client, slot)
                if presence is not None and entry is not None:
                    await presence.leave(presence_of, entry)

    stream = events()

    async def cleanup() -> None:
        try:
            await stream.aclose()  # runs the finally above if the stream started; else a no-op
        finally:
            await limiter.release(client, slot)  # idempotent; the only release if it never started

    return _SlotStream(
        stream, cleanup=cleanup, headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )


class _SlotStream(ServerSentEvent):
    """An event stream that runs ``cleanup`` when its ASGI response ends, however it ends.

    The generator's ``finally`` alone is not enough: when the client goes away before the
    generator has produced its first message (connect and close at once), Litestar cancels the
    response before the generator ever runs, so its ``finally`` never runs either, and a cancelled
    generator that did start is only closed when it is garbage-collected."""

    def __init__(self, content: Any, *, cleanup: Callable[[], Awaitable[None]], **kwargs: Any) -> None:
        super().__init__(content, **kwargs)
        self.cleanup = cleanup

    def to_asgi_response(self, *args: Any, **kwargs: Any) -> ASGIResponse:
        inner = super().to_asgi_response(*args, **kwargs)
        return cast("ASGIResponse", _CleanupAfter(inner, self.cleanup))


class _CleanupAfter:
    """An ASGI app: ``inner``, then ``cleanup`` in a ``finally`` (shielded from cancellation)."""

    def __init__(self, inner: ASGIResponse, cleanup: Callable[[], Awaitable[None]]) -> None:
        self._inner = inner
        self._cleanup = cleanup

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await self._inner(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True, deadline=anyio.current_time() + CLEANUP_SECONDS):
                await self._cleanup()


def _message(delivery: Delivery) -> ServerSentEventMessage:
    return ServerSentEventMessage(
        event="live", data=json.dumps(wire_message(delivery.event), separators=(",", ":")), id=delivery.id
    )


def _reset() -> ServerSentEventMessage:
    return ServerSentEventMessage(event="reset", data="{}")


async def watermark(request: Any) -> str:
    """The newest event id, for a page to record *before* it reads its data ("" if unknown)."""
    try:
        return await broker_of(request).watermark()
    except Exception:
        return ""


def next_change(consultation: Any, now: Any) -> str:
    """When the phase situation changes next (ISO), so the page can refresh its live parts then:
    actions open and close by the clock, without any event."""
    moments = [m for p in consultation.phases for m in (p.starts_at, p.ends_at) if m > now]
    return i18n.format_datetime(min(moments), "iso") if moments else ""


def nmsg(singular: str, plural: str) -> list[str]:
    """Both forms of a counted message, untranslated placeholders kept (``%(num)s``) for the page
    script; extracted like ``ngettext`` (locale/extract.py)."""
    catalog = i18n.translations(i18n.current_locale.get())
    return [catalog.ngettext(singular, plural, 1), catalog.ngettext(singular, plural, 2)]


def live_messages() -> str:
    """The batched announcements' texts in the visitor's language, for the page script."""

    def same(text: str) -> list[str]:
        return [text, text]

    return json.dumps(
        {
            "comment": nmsg("%(num)s neuer Kommentar", "%(num)s neue Kommentare"),
            "comment_changed": nmsg("%(num)s Kommentar geändert", "%(num)s Kommentare geändert"),
            "proposal": nmsg("%(num)s neuer Vorschlag", "%(num)s neue Vorschläge"),
            "proposal_changed": nmsg("%(num)s Vorschlag geändert", "%(num)s Vorschläge geändert"),
            "support": nmsg("%(num)s Unterstützung geändert", "%(num)s Unterstützungen geändert"),
            "vote": nmsg("%(num)s Bewertung geändert", "%(num)s Bewertungen geändert"),
            "answer": nmsg("%(num)s neue Antwort der Verwaltung", "%(num)s neue Antworten der Verwaltung"),
            "consultation": same(_("Das Verfahren wurde aktualisiert.")),
            "meeting": same(_("Die Veranstaltung wurde aktualisiert.")),
            "agenda": same(_("Die Tagesordnung ist weitergerückt.")),
            "question": nmsg("%(num)s Änderung bei den Fragen", "%(num)s Änderungen bei den Fragen"),
            "poll": same(_("Die Abstimmung hat sich geändert.")),
            "speakers": same(_("Die Redeliste hat sich geändert.")),
            "new_comments": nmsg("%(num)s neuer Beitrag – anzeigen", "%(num)s neue Beiträge – anzeigen"),
            "new_proposals": nmsg("%(num)s neuer Vorschlag – anzeigen", "%(num)s neue Vorschläge – anzeigen"),
            "changed": nmsg("%(num)s Änderung – anzeigen", "%(num)s Änderungen – anzeigen"),
            "notice_review": nmsg(
                "%(num)s Änderung in der Warteschlange – anzeigen",
                "%(num)s Änderungen in der Warteschlange – anzeigen",
            ),
            "paused": same(_("Live-Aktualisierung pausiert.")),
            "resumed": same(_("Live-Aktualisierung fortgesetzt.")),
        },
        ensure_ascii=False,
    )
