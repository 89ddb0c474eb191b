"""Publish after commit: actions queue events on the session; a commit publishes them, a
rollback drops them (so no listener ever sees a row that does not exist)."""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from sqlalchemy import event
from sqlalchemy.orm import Session

from beteiligung.live.broker import _coalesce_tasks
from beteiligung.live.events import LiveEvent

log = structlog.get_logger("beteiligung.live")

BROKER_KEY = "live_broker"
QUEUE_KEY = "live_events"
COALESCE_KEY = "live_events_coalesced"
_tasks: set[asyncio.Task[None]] = set()  # keep references until the publishes are done


def queue_event(db: Any, live_event: LiveEvent) -> None:
    """Publish ``live_event`` once the current transaction commits."""
    db.info.setdefault(QUEUE_KEY, []).append(live_event)


def queue_coalesced(db: Any, live_event: LiveEvent) -> None:
    """Like :func:`queue_event`, for frequent events (ballots, upvotes): after the commit, equal
    events of all processes within one window are published once, at the window's end."""
    db.info.setdefault(COALESCE_KEY, []).append(live_event)


@event.listens_for(Session, "after_commit")
def _publish_after_commit(session: Session) -> None:
    events: list[LiveEvent] | None = session.info.pop(QUEUE_KEY, None)
    coalesced: list[LiveEvent] | None = session.info.pop(COALESCE_KEY, None)
    broker = session.info.get(BROKER_KEY)
    if not (events or coalesced) or broker is None:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    for job in ([broker.publish(events)] if events else []) + (
        [broker.publish_coalesced(coalesced)] if coalesced else []
    ):
        task = loop.create_task(job)
        _tasks.add(task)
        task.add_done_callback(_tasks.discard)


@event.listens_for(Session, "after_soft_rollback")
def _drop_on_rollback(session: Session, previous_transaction: object) -> None:
    """Every ``rollback()``, also one that had no database transaction to undo."""
    session.info.pop(QUEUE_KEY, None)
    session.info.pop(COALESCE_KEY, None)


async def drain() -> None:
    """Wait for publishes in flight (tests, shutdown)."""

    while _tasks or _coalesce_tasks:
        await asyncio.gather(*list(_tasks), *list(_coalesce_tasks), return_exceptions=True)
